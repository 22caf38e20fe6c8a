// status.disruptedPods and the healthy count (Kubernetes' buildDisruptedPodMap and
// countHealthyPods). The eviction subresource lists each pod it evicts there, with the time, and
// lowers disruptionsAllowed; the controller keeps an entry until the pod is seen being deleted,
// is gone, or DELETION_TIMEOUT_MS has passed — meanwhile the pod does not count as healthy, so
// the budget is not handed out twice for one eviction. Pure functions of the pods and the time.
import { isPodReady } from '../replicaset/pod-readiness.js';
import { DELETION_TIMEOUT_MS, parseTime, type Pod } from './objects.js';

export interface PrunedDisruptedPods {
  /** entries still in force: the pod is selected, not being deleted, and its eviction is not older than the timeout */
  readonly disruptedPods: Record<string, string>;
  /** selected pods evicted longer than the timeout ago that are still not being deleted (Kubernetes records NotDeleted for each) */
  readonly expired: readonly Pod[];
  /** when the first entry in force expires (ms since the epoch); look at the budget again then */
  readonly recheckAtMs?: number;
}

/**
 * The entries of `listed` to keep at `nowMs`, given the pods the budget selects. An entry whose
 * pod is gone or no longer selected, or is being deleted, or whose time does not parse, is
 * dropped; one past its deadline (strictly) is dropped and reported in `expired`.
 */
export function pruneDisruptedPods(listed: Readonly<Record<string, string>> | undefined, pods: readonly Pod[], nowMs: number): PrunedDisruptedPods {
  const disruptedPods: Record<string, string> = {};
  const expired: Pod[] = [];
  let recheckAtMs: number | undefined;
  if (!listed) return { disruptedPods, expired };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || !Object.prototype.hasOwnProperty.call(listed, name)) continue;
    const evictedAt = parseTime(listed[name]);
    if (evictedAt === undefined) continue;
    const deadline = evictedAt + DELETION_TIMEOUT_MS;
    if (deadline < nowMs) {
      expired.push(pod);
      continue;
    }
    disruptedPods[name] = listed[name]!;
    if (recheckAtMs === undefined || deadline < recheckAtMs) recheckAtMs = deadline;
  }
  return recheckAtMs === undefined ? { disruptedPods, expired } : { disruptedPods, expired, recheckAtMs };
}

/** Pods that are Ready, not being deleted, and not evicted within the timeout (listed in `disruptedPods`). */
export function countHealthyPods(pods: readonly Pod[], disruptedPods: Readonly<Record<string, string>>, nowMs: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? '';
    const evictedAt = Object.prototype.hasOwnProperty.call(disruptedPods, name) ? parseTime(disruptedPods[name]) : undefined;
    if (evictedAt !== undefined && evictedAt + DELETION_TIMEOUT_MS > nowMs) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

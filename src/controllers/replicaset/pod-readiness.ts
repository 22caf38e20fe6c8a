// What the workload controllers ask of a pod's status (Kubernetes' podutil): is it active, ready,
// available for minReadySeconds. Pure functions of the pod and the current time.
import type { Pod } from './objects.js';
import { parseTime } from './objects.js';

/** The pod's Ready condition, if it reports one. */
export function podReadyCondition(pod: Pod): { status: string; lastTransitionTime?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Ready condition True. */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * Ready for at least `minReadySeconds` at `nowMs` (IsPodAvailable): with minReadySeconds 0 a ready
 * pod is available at once; otherwise its Ready condition must have turned True strictly more than
 * minReadySeconds ago.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = parseTime(c.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** Not finished (Succeeded/Failed) and not being deleted: the pods a ReplicaSet counts (FilterActivePods). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** The highest restartCount among the pod's containers. */
export function maxContainerRestarts(pod: Pod): number {
  let max = 0;
  for (const c of pod.status?.containerStatuses ?? []) max = Math.max(max, c.restartCount ?? 0);
  return max;
}

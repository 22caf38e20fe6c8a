// Which pods a ReplicaSet deletes first when it has too many (Kubernetes' ActivePodsWithRanks with
// LogarithmicScaleDown, on by default since 1.22). A pod sorts before another — is less valuable —
// at the first of these rules that tells them apart:
//   1. unassigned (no spec.nodeName) before assigned;
//   2. phase Pending before Unknown before Running;
//   3. not ready before ready;
//   4. lower `controller.kubernetes.io/pod-deletion-cost` before higher;
//   5. more related pods (of the same ReplicaSet or its sibling ReplicaSets) on the same node before fewer;
//   6. both ready: ready more recently before ready longer, compared in log2 buckets of the time since
//      (same bucket: by uid);
//   7. more container restarts before fewer;
//   8. created more recently before created earlier, in log2 buckets as in 6 (same bucket: by uid).
// A pod without a time in 6 or 8 sorts first.
import type { Pod } from './objects.js';
import { parseTime } from './objects.js';
import { isPodActive, isPodReady, maxContainerRestarts, podReadyCondition } from './pod-readiness.js';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** The pod-deletion-cost annotation as an int32; 0 when absent or invalid. */
export function podDeletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : 0;
}

/** Related active pods per node name (getPodsRankedByRelatedPodsOnSameNode). */
function podsPerNode(related: readonly Pod[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec?.nodeName ?? '';
    m.set(node, (m.get(node) ?? 0) + 1);
  }
  return m;
}

/** floor(log2(nanoseconds since t)); -1 when t is not in the past. */
function logRank(t: number, nowMs: number): number {
  const ns = (nowMs - t) * 1e6;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/** Later times (and missing times) first; equal buckets by uid. */
function compareTimes(a: number | undefined, b: number | undefined, uidA: string, uidB: string, nowMs: number): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const diff = logRank(a, nowMs) - logRank(b, nowMs);
  if (diff !== 0) return diff;
  return uidA < uidB ? -1 : uidA > uidB ? 1 : 0;
}

/** Negative when `a` should be deleted before `b`. */
export function comparePodsForDeletion(a: Pod, b: Pod, rankA: number, rankB: number, nowMs: number): number {
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  const phaseA = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(a);
  const readyB = isPodReady(b);
  if (readyA !== readyB) return readyA ? 1 : -1;
  const costA = podDeletionCost(a);
  const costB = podDeletionCost(b);
  if (costA !== costB) return costA - costB;
  if (rankA !== rankB) return rankB - rankA;
  const uidA = a.metadata?.uid ?? '';
  const uidB = b.metadata?.uid ?? '';
  if (readyA && readyB) {
    const c = compareTimes(parseTime(podReadyCondition(a)?.lastTransitionTime), parseTime(podReadyCondition(b)?.lastTransitionTime), uidA, uidB, nowMs);
    if (c !== 0) return c;
  }
  const restarts = maxContainerRestarts(b) - maxContainerRestarts(a);
  if (restarts !== 0) return restarts;
  return compareTimes(parseTime(a.metadata?.creationTimestamp), parseTime(b.metadata?.creationTimestamp), uidA, uidB, nowMs);
}

/**
 * The `count` pods of `pods` to delete first (getPodsToDelete). `related` are the active pods of the
 * ReplicaSet and of the ReplicaSets sharing its controller, for rule 5. Returns a new array.
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], count: number, nowMs: number): Pod[] {
  if (count >= pods.length) return [...pods];
  const perNode = podsPerNode(related);
  const ranked = pods.map((pod) => ({ pod, rank: perNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => comparePodsForDeletion(x.pod, y.pod, x.rank, y.rank, nowMs));
  return ranked.slice(0, count).map((x) => x.pod);
}

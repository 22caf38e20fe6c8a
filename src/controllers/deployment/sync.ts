// Scaling without a rollout (pkg/controller/deployment/sync.go): when spec.replicas changes, or
// the Deployment is paused, ReplicaSets are resized in place. During a rollout the change is spread
// over all active ReplicaSets in proportion to their size (proportional scaling), so a scale-up in
// the middle of a rollout does not all land on one side. Also: which old ReplicaSets the history
// limit lets go. Pure functions; `syncScale` applies them.
import type { Deployment, ReplicaSet } from './objects.js';
import { replicasOf } from './objects.js';
import { revisionOf, desiredReplicasAnnotation, maxReplicasAnnotation } from './revision.js';
import { activeReplicaSets, byCreationTimestamp, bySizeNewer, bySizeOlder, specReplicas } from './replica-sets.js';
import { isRollingUpdate, maxSurge } from './rolling-update.js';
import type { RolloutActions } from './rollout-actions.js';

/** One planned resize; with `operation`, annotations are refreshed even when the size stays (scaleReplicaSet). */
export interface ScalePlanStep {
  readonly rs: ReplicaSet;
  readonly replicas: number;
  /** "up", "down" or "" (proportional scaling); absent: a plain scaleReplicaSetAndRecordEvent */
  readonly operation?: string;
}

/** Whether an active ReplicaSet was sized for a different spec.replicas (isScalingEvent). */
export function isScalingEvent(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
  for (const rs of activeReplicaSets([newRS, ...oldRSs])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/**
 * The only active ReplicaSet, or — when none is active — the new one, else the newest old one;
 * undefined when several are active (FindActiveOrLatest).
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** The new ReplicaSet was sized for, holds, and has available spec.replicas pods (IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const want = replicasOf(d);
  return desiredReplicasAnnotation(rs) === want && replicasOf(rs) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/** Kubernetes' integer.RoundToInt32: halves away from zero. */
function round(x: number): number {
  return x < 0 ? Math.ceil(x - 0.5) : Math.floor(x + 0.5);
}

/**
 * How many replicas `rs` gains (or loses) if the Deployment's new size were spread in proportion
 * (getReplicaSetFraction): its share of replicas + maxSurge, relative to the max-replicas it was
 * last sized for (or, lacking the annotation, the Deployment's status.replicas).
 */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const size = replicasOf(rs);
  if (replicasOf(d) === 0) return -size;
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (annotated <= 0) return 0;
  return round((size * deploymentReplicas) / annotated) - size;
}

/** The proportion of `toAdd` that goes to `rs`, given `added` so far (GetProportion). */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * How to resize the ReplicaSets to the Deployment's spec.replicas (scale):
 * - one active (or latest) ReplicaSet: it takes spec.replicas;
 * - the new ReplicaSet saturated: every active old one goes to 0;
 * - RollingUpdate with several active: the difference to replicas + maxSurge is spread in proportion,
 *   the largest ReplicaSet (newest on ties when growing, oldest when shrinking) taking the rounding leftover.
 */
export function scalePlan(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScalePlanStep[] {
  const replicas = replicasOf(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) return replicasOf(activeOrLatest) === replicas ? [] : [{ rs: activeOrLatest, replicas }];
  if (isSaturated(d, newRS)) return activeReplicaSets(oldRSs).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];

  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  let operation = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return replicasOf(rs);
    const p = proportion(rs, d, toAdd, added);
    added += p;
    return replicasOf(rs) + p;
  });
  if (toAdd !== 0 && sizes.length) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
  return all.map((rs, i) => ({ rs, replicas: sizes[i]!, operation }));
}

/** Applies scalePlan. */
export async function syncScale(a: RolloutActions, d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): Promise<void> {
  for (const step of scalePlan(d, newRS, oldRSs)) {
    if (step.operation === undefined) await a.scaleAndRecord(a.current(step.rs), step.replicas, d);
    else await a.scale(a.current(step.rs), step.replicas, d, step.operation);
  }
}

/** Old ReplicaSets to delete (cleanupDeployment): beyond revisionHistoryLimit, lowest revision first, only those fully scaled to 0 and settled. */
export function replicaSetsToCleanUp(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === 2 ** 31 - 1) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const excess = alive.length - limit;
  if (excess <= 0) return [];
  const sorted = [...alive].sort((a, b) => {
    const ra = revisionOf(a);
    const rb = revisionOf(b);
    return ra === undefined || rb === undefined || ra === rb ? byCreationTimestamp(a, b) : ra - rb;
  });
  return sorted
    .slice(0, excess)
    .filter((rs) => (rs.status?.replicas ?? 0) === 0 && replicasOf(rs) === 0 && (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}

// The RollingUpdate strategy (pkg/controller/deployment/rolling.go and util): the arithmetic, as
// pure functions, and the rollout step that applies it.
//
// maxSurge and maxUnavailable are integers or percentages of spec.replicas: a surge percentage
// rounds up, an unavailable one rounds down, and when both come to 0 maxUnavailable is 1 (else
// nothing could move). Each step:
//   1. scale the new ReplicaSet up, keeping all pods ≤ replicas + maxSurge;
//   2. else scale old ReplicaSets down, keeping available pods ≥ replicas − maxUnavailable —
//      unhealthy (unavailable) old pods go first, then old pods in creation order of their ReplicaSets;
//   3. once complete, delete old ReplicaSets beyond revisionHistoryLimit;
// and always report the status.
import { scaledValue } from '../../api/intstr.js';
import type { Deployment, ReplicaSet } from './objects.js';
import { replicasOf } from './objects.js';
import { deploymentComplete } from './progress.js';
import { activeReplicaSets, availableReplicas, byCreationTimestamp, specReplicas } from './replica-sets.js';
import type { RolloutActions } from './rollout-actions.js';

type IntOrString = number | string | undefined;

/** One planned write: scale `rs` to `replicas`. */
export interface ScaleStep {
  readonly rs: ReplicaSet;
  readonly replicas: number;
}

/**
 * maxSurge and maxUnavailable resolved against `desired` (ResolveFenceposts). Throws, in
 * Kubernetes' words, on a value that is neither an integer nor a percentage.
 */
export function resolveFenceposts(maxSurge: IntOrString, maxUnavailable: IntOrString, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  try {
    return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d));
  } catch {
    // Validation refuses such values; should one get through, move nothing rather than fail every sync.
    return { surge: 0, unavailable: 0 };
  }
}

/** Pods allowed above spec.replicas (MaxSurge); 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

/** Pods allowed to be unavailable, at most spec.replicas (MaxUnavailable); 0 for Recreate or 0 replicas. */
export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

/**
 * The size the new ReplicaSet may grow to now (NewRSNewReplicas): for RollingUpdate, up to
 * spec.replicas while all ReplicaSets together stay within replicas + maxSurge; for Recreate, spec.replicas.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d)) return replicas;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? 0, replicas, true);
  const current = specReplicas(allRSs);
  const maxTotal = replicas + surge;
  const newSize = replicasOf(newRS);
  if (current >= maxTotal) return newSize;
  return newSize + Math.min(maxTotal - current, replicas - newSize);
}

/** What the new ReplicaSet should be scaled to in this step (reconcileNewReplicaSet); undefined: leave it. */
export function newReplicaSetTarget(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number | undefined {
  const replicas = replicasOf(d);
  const current = replicasOf(newRS);
  if (current === replicas) return undefined;
  const target = current > replicas ? replicas : newRSNewReplicas(d, allRSs, newRS);
  return target === current ? undefined : target;
}

/**
 * How to scale old ReplicaSets down in this step (reconcileOldReplicaSets), in order:
 * at most `allPods − minAvailable − newRSUnavailable` pods go, unavailable old pods first (oldest
 * ReplicaSet first), then available old pods down to minAvailable (oldest ReplicaSet first).
 * `oldRSs` are the active old ReplicaSets. A ReplicaSet may appear twice (both phases).
 */
export function oldReplicaSetsScaleDown(d: Deployment, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[], newRS: ReplicaSet): ScaleStep[] {
  if (specReplicas(oldRSs) === 0) return [];
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newRSUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(allRSs) - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return [];

  const steps: ScaleStep[] = [];
  const sorted = [...oldRSs].sort(byCreationTimestamp);
  const size = new Map(sorted.map((rs) => [rs, replicasOf(rs)]));

  // Unhealthy replicas first: scaling them down costs no availability (cleanupUnhealthyReplicas).
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const n = size.get(rs)!;
    const available = rs.status?.availableReplicas ?? 0;
    if (n === 0 || n === available) continue;
    const down = Math.min(maxScaledDown - cleaned, n - available);
    size.set(rs, n - down);
    steps.push({ rs, replicas: n - down });
    cleaned += down;
  }

  // Then available ones, down to minAvailable (scaleDownOldReplicaSetsForRollingUpdate).
  const availableNow = availableReplicas(allRSs);
  if (availableNow <= minAvailable) return steps;
  const budget = availableNow - minAvailable;
  let scaled = 0;
  for (const rs of sorted) {
    if (scaled >= budget) break;
    const n = size.get(rs)!;
    if (n === 0) continue;
    const down = Math.min(n, budget - scaled);
    size.set(rs, n - down);
    steps.push({ rs, replicas: n - down });
    scaled += down;
  }
  return steps;
}

/** One RollingUpdate step (rolloutRolling). */
export async function rolloutRolling(a: RolloutActions, d: Deployment, rsList: readonly ReplicaSet[]): Promise<void> {
  const { newRS: found, oldRSs } = await a.replicaSets(d, rsList, true);
  if (!found) throw new Error(`deployment ${d.metadata?.namespace}/${d.metadata?.name}: no new ReplicaSet after creating it`);
  let newRS = found;
  const all = () => [...oldRSs.map((rs) => a.current(rs)), a.current(newRS)];

  const target = newReplicaSetTarget(d, all(), newRS);
  if (target !== undefined) {
    const r = await a.scaleAndRecord(newRS, target, d);
    newRS = r.rs;
    if (r.scaled) return a.syncRolloutStatus(all(), newRS, d);
  }

  const steps = oldReplicaSetsScaleDown(d, all(), activeReplicaSets(oldRSs.map((rs) => a.current(rs))), a.current(newRS));
  let scaledDown = false;
  for (const step of steps) {
    const r = await a.scaleAndRecord(a.current(step.rs), step.replicas, d);
    scaledDown ||= r.scaled;
  }
  if (scaledDown) return a.syncRolloutStatus(all(), newRS, d);

  if (deploymentComplete(d, d.status)) await a.cleanup(oldRSs.map((rs) => a.current(rs)), d);
  return a.syncRolloutStatus(all(), newRS, d);
}

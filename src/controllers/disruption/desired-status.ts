// The status a PodDisruptionBudget should have (Kubernetes' updatePdbStatus, failSafe and the
// DisruptionAllowed condition helpers). Pure: builds new objects, never mutates the budget.
import { isDeepStrictEqual } from 'node:util';
import { setStatusCondition } from '../../api/status-condition.js';
import {
  DISRUPTION_ALLOWED_CONDITION,
  INSUFFICIENT_PODS_REASON,
  SUFFICIENT_PODS_REASON,
  SYNC_FAILED_REASON,
  type PodDisruptionBudget,
  type PodDisruptionBudgetStatus,
} from './objects.js';

export interface BudgetCounts {
  readonly currentHealthy: number;
  readonly desiredHealthy: number;
  readonly expectedPods: number;
  /** the entries of status.disruptedPods still in force (pod name → eviction time) */
  readonly disruptedPods: Readonly<Record<string, string>>;
}

/**
 * currentHealthy − desiredHealthy, but never below 0, and 0 while no pods are expected (so a budget
 * whose first pods appear before this controller has counted them is safe).
 */
export function disruptionsAllowed(counts: Pick<BudgetCounts, 'currentHealthy' | 'desiredHealthy' | 'expectedPods'>): number {
  const allowed = counts.currentHealthy - counts.desiredHealthy;
  return counts.expectedPods <= 0 || allowed <= 0 ? 0 : allowed;
}

/**
 * The computed status: the counts, observedGeneration = metadata.generation, and the
 * DisruptionAllowed condition — True/SufficientPods when disruptions are allowed,
 * False/InsufficientPods otherwise — with an empty message. Other conditions are kept.
 */
export function desiredStatus(pdb: PodDisruptionBudget, counts: BudgetCounts, nowMs: number): PodDisruptionBudgetStatus {
  const generation = pdb.metadata?.generation;
  const allowed = disruptionsAllowed(counts);
  return normalizeStatus({
    observedGeneration: generation,
    disruptedPods: { ...counts.disruptedPods },
    disruptionsAllowed: allowed,
    currentHealthy: counts.currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedPods,
    conditions: setStatusCondition(
      pdb.status?.conditions,
      allowed > 0
        ? { type: DISRUPTION_ALLOWED_CONDITION, status: 'True', reason: SUFFICIENT_PODS_REASON, message: '', observedGeneration: generation }
        : { type: DISRUPTION_ALLOWED_CONDITION, status: 'False', reason: INSUFFICIENT_PODS_REASON, message: '', observedGeneration: generation },
      nowMs,
    ),
  });
}

/**
 * The status after a failed sync (failSafe): the current one with disruptionsAllowed 0 and the
 * condition False/SyncFailed carrying `message`, so the eviction subresource refuses evictions.
 */
export function failSafeStatus(pdb: PodDisruptionBudget, message: string, nowMs: number): PodDisruptionBudgetStatus {
  const current = normalizeStatus(pdb.status);
  return normalizeStatus({
    ...current,
    disruptionsAllowed: 0,
    conditions: setStatusCondition(
      current.conditions,
      { type: DISRUPTION_ALLOWED_CONDITION, status: 'False', reason: SYNC_FAILED_REASON, message, observedGeneration: current.observedGeneration },
      nowMs,
    ),
  });
}

/** Whether writing `status` would change nothing (absent and zero counts, empty maps and lists are alike). */
export function statusUpToDate(pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus): boolean {
  return isDeepStrictEqual(normalizeStatus(pdb.status), normalizeStatus(status));
}

/** The status in the form this controller writes: the four counts always, observedGeneration, disruptedPods and conditions only when set. */
function normalizeStatus(s: Partial<PodDisruptionBudgetStatus> | undefined): PodDisruptionBudgetStatus {
  return {
    ...(s?.observedGeneration ? { observedGeneration: s.observedGeneration } : {}),
    ...(s?.disruptedPods && Object.keys(s.disruptedPods).length ? { disruptedPods: { ...s.disruptedPods } } : {}),
    disruptionsAllowed: s?.disruptionsAllowed ?? 0,
    currentHealthy: s?.currentHealthy ?? 0,
    desiredHealthy: s?.desiredHealthy ?? 0,
    expectedPods: s?.expectedPods ?? 0,
    ...(s?.conditions?.length ? { conditions: s.conditions.map((c) => ({ ...c })) } : {}),
  };
}

// A Deployment's status and conditions (pkg/controller/deployment/{sync,progress}.go, util):
// - replicas (pods that exist), updatedReplicas (pods of the new ReplicaSet), ready, available and
//   unavailable counts, observedGeneration;
// - Available: True (MinimumReplicasAvailable) while at least replicas − maxUnavailable pods are
//   available, else False (MinimumReplicasUnavailable);
// - Progressing, while a progress deadline is set: NewReplicaSetCreated / FoundNewReplicaSet when the
//   new ReplicaSet appears, ReplicaSetUpdated whenever the rollout makes progress (lastUpdateTime
//   moves), NewReplicaSetAvailable once complete, False ProgressDeadlineExceeded when no progress
//   was made for progressDeadlineSeconds, Unknown DeploymentPaused / DeploymentResumed;
// - ReplicaFailure copied from a ReplicaSet that reports one.
// Pure functions of the objects and the time; those named set*/remove* mutate the status given.
import { rfc3339 } from '../../api/time.js';
import { isDeepStrictEqual } from 'node:util';
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from './objects.js';
import {
  AVAILABLE,
  MIN_REPLICAS_AVAILABLE,
  MIN_REPLICAS_UNAVAILABLE,
  NEW_RS_AVAILABLE_REASON,
  PAUSED_REASON,
  PROGRESSING,
  REPLICA_FAILURE,
  RESUMED_REASON,
  RS_UPDATED_REASON,
  TIMED_OUT_REASON,
  parseTime,
  replicasOf,
} from './objects.js';
import { actualReplicas, availableReplicas, readyReplicas, specReplicas } from './replica-sets.js';
import { maxUnavailable } from './rolling-update.js';

/** progressDeadlineSeconds that means "no deadline" (math.MaxInt32). */
export const NO_PROGRESS_DEADLINE = 2 ** 31 - 1;

export function newCondition(type: string, status: string, reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = rfc3339(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * Sets a condition (SetDeploymentCondition): nothing changes when one of that type already has the
 * same status and reason; the lastTransitionTime is kept when only the reason changes; the new
 * condition goes last.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = cur && cur.status === cond.status ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== NO_PROGRESS_DEADLINE;
}

/** Drops zero counts and empty conditions, as Kubernetes' JSON (omitempty) does, in Kubernetes' field order. */
export function compactStatus(s: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  if (s.replicas) out.replicas = s.replicas;
  if (s.updatedReplicas) out.updatedReplicas = s.updatedReplicas;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.availableReplicas) out.availableReplicas = s.availableReplicas;
  if (s.unavailableReplicas) out.unavailableReplicas = s.unavailableReplicas;
  if (s.conditions?.length) out.conditions = s.conditions;
  if (s.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  return out;
}

/** Whether two statuses say the same (zero and absent counts are the same). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return isDeepStrictEqual(compactStatus(a ?? {}), compactStatus(b ?? {}));
}

/** The status the ReplicaSets add up to, with the Available condition (calculateStatus). */
export function calculateStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    conditions: [...(d.status?.conditions ?? [])],
    collisionCount: d.status?.collisionCount,
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, 'True', MIN_REPLICAS_AVAILABLE, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition(AVAILABLE, 'False', MIN_REPLICAS_UNAVAILABLE, 'Deployment does not have minimum availability.', nowMs));
  }
  return compactStatus(status);
}

/** Every pod updated, none old, all available, the current generation observed (DeploymentComplete). */
export function deploymentComplete(d: Deployment, s: DeploymentStatus | undefined): boolean {
  const want = replicasOf(d);
  return (
    (s?.updatedReplicas ?? 0) === want &&
    (s?.replicas ?? 0) === want &&
    (s?.availableReplicas ?? 0) === want &&
    (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** More pods updated, fewer old ones, or more ready or available than the stored status says (DeploymentProgressing). */
export function deploymentProgressing(d: Deployment, next: DeploymentStatus): boolean {
  const cur = d.status ?? {};
  const oldBefore = (cur.replicas ?? 0) - (cur.updatedReplicas ?? 0);
  const oldNow = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (cur.updatedReplicas ?? 0) ||
    oldNow < oldBefore ||
    (next.readyReplicas ?? 0) > (cur.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (cur.availableReplicas ?? 0)
  );
}

/** No progress for progressDeadlineSeconds since the Progressing condition last moved (DeploymentTimedOut). */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, PROGRESSING);
  if (!cond) return false;
  if (cond.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (cond.reason === TIMED_OUT_REASON) return true;
  const from = parseTime(cond.lastUpdateTime);
  if (from === undefined) return false;
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < nowMs;
}

/**
 * The ReplicaFailure condition of the new ReplicaSet, else of the first old one reporting it,
 * as a Deployment condition (getReplicaFailures).
 */
export function replicaFailureCondition(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition | undefined {
  for (const rs of [newRS, ...allRSs.filter((r) => r !== newRS)]) {
    const c = rs?.status?.conditions?.find((x) => x.type === REPLICA_FAILURE);
    if (c) return { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  }
  return undefined;
}

export interface RolloutStatus {
  readonly status: DeploymentStatus;
  /** the stored status already says this */
  readonly unchanged: boolean;
  /** when unchanged and the rollout is neither complete nor timed out: check the deadline again after this long */
  readonly recheckAfterMs?: number;
}

/** The status a rollout step ends with, progress conditions included (syncRolloutStatus without the write). */
export function rolloutStatus(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, nowMs: number): RolloutStatus {
  const status = calculateStatus(allRSs, newRS, d, nowMs);
  const deadline = hasProgressDeadline(d);
  if (!deadline) removeCondition(status, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  const name = d.metadata?.name ?? '';
  const rsName = newRS?.metadata?.name;
  const isComplete = (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === NEW_RS_AVAILABLE_REASON;
  if (deadline && !isComplete) {
    if (deploymentComplete(d, status)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      setCondition(status, newCondition(PROGRESSING, 'True', NEW_RS_AVAILABLE_REASON, msg, nowMs));
    } else if (deploymentProgressing(d, status)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${name}" is progressing.`;
      let cond = newCondition(PROGRESSING, 'True', RS_UPDATED_REASON, msg, nowMs);
      // Progress moves lastUpdateTime even when the reason stays the same.
      if (current) {
        if (current.status === 'True') cond = { ...cond, lastTransitionTime: current.lastTransitionTime };
        removeCondition(status, PROGRESSING);
      }
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, nowMs)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      setCondition(status, newCondition(PROGRESSING, 'False', TIMED_OUT_REASON, msg, nowMs));
    }
  }
  const failure = replicaFailureCondition(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, REPLICA_FAILURE);

  const out = compactStatus(status);
  if (!statusEqual(d.status, out)) return { status: out, unchanged: false };
  return { status: out, unchanged: true, recheckAfterMs: progressRecheck(d, out, nowMs) };
}

/**
 * When a stuck rollout would pass its deadline (requeueStuckDeployment): the Progressing condition's
 * lastUpdateTime + progressDeadlineSeconds, plus a second of slack; undefined when there is nothing to wait for.
 */
function progressRecheck(d: Deployment, next: DeploymentStatus, nowMs: number): number | undefined {
  const cond = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, next) || cond.reason === TIMED_OUT_REASON) return undefined;
  const from = parseTime(cond.lastUpdateTime) ?? nowMs;
  const after = from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - nowMs;
  return Math.max(after, 0) + 1000;
}

/**
 * Records pause and resume in the Progressing condition (checkPausedConditions): Unknown
 * DeploymentPaused while paused, Unknown DeploymentResumed once resumed; a ProgressDeadlineExceeded
 * condition is left alone. Mutates `d.status`; returns whether it changed.
 */
export function setPausedCondition(d: Deployment, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(d.status, PROGRESSING);
  if (cond?.reason === TIMED_OUT_REASON) return false;
  const pausedShown = cond?.reason === PAUSED_REASON;
  const status = (d.status ??= {});
  if (d.spec?.paused && !pausedShown) {
    setCondition(status, newCondition(PROGRESSING, 'Unknown', PAUSED_REASON, 'Deployment is paused', nowMs));
    return true;
  }
  if (!d.spec?.paused && pausedShown) {
    setCondition(status, newCondition(PROGRESSING, 'Unknown', RESUMED_REASON, 'Deployment is resumed', nowMs));
    return true;
  }
  return false;
}

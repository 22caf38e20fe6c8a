// A ReplicaSet's status as the controller reports it (Kubernetes' calculateStatus): pure functions
// of the ReplicaSet, the active pods it owns, the outcome of this sync and the time.
import { rfc3339 } from '../../api/time.js';
import { isDeepStrictEqual } from 'node:util';
import { selectorFromSet } from '../../api/labels.js';
import type { Pod, ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from './objects.js';
import { parseTime } from './objects.js';
import { isPodAvailable, isPodReady, podReadyCondition } from './pod-readiness.js';
import { errorMessage } from '../work-loop.js';

export const REPLICA_FAILURE = 'ReplicaFailure';

export interface StatusInput {
  readonly rs: ReplicaSet;
  /** the active pods the ReplicaSet owns after claiming */
  readonly pods: readonly Pod[];
  /** why creating or deleting pods failed in this sync, if it did */
  readonly manageError?: unknown;
  readonly nowMs: number;
}

/**
 * The new status: replicas, fullyLabeledReplicas (pods carrying every template label),
 * readyReplicas, availableReplicas (ready for minReadySeconds), and the ReplicaFailure condition —
 * added (reason FailedCreate or FailedDelete) when this sync failed and none is set, removed when this
 * sync succeeded. observedGeneration is carried over; the writer sets it.
 * Zero counts are omitted, as Kubernetes' JSON (omitempty) does, except `replicas`.
 */
export function calculateStatus({ rs, pods, manageError, nowMs }: StatusInput): ReplicaSetStatus {
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels);
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (templateLabels.matches(pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, nowMs)) available++;
    }
  }
  let conditions = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions.push(replicaSetCondition(REPLICA_FAILURE, 'True', reason, errorMessage(manageError), nowMs));
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  return compactStatus({
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.status?.observedGeneration,
    conditions,
  });
}

/**
 * How long until the next ready-but-not-yet-available pod becomes available (its Ready condition
 * more than minReadySeconds old); undefined when no pod is waiting for that.
 */
export function nextAvailableInMs(rs: ReplicaSet, pods: readonly Pod[], nowMs: number): number | undefined {
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    if (!isPodReady(pod) || isPodAvailable(pod, minReadySeconds, nowMs)) continue;
    const since = parseTime(podReadyCondition(pod)?.lastTransitionTime) ?? nowMs;
    const wait = Math.max(1, since + minReadySeconds * 1000 + 1 - nowMs);
    next = next === undefined ? wait : Math.min(next, wait);
  }
  return next;
}

export function replicaSetCondition(type: string, status: string, reason: string, message: string, nowMs: number): ReplicaSetCondition {
  return { type, status, lastTransitionTime: rfc3339(nowMs), reason, message };
}

/** Drops zero counts and empty conditions (Kubernetes' omitempty); `replicas` always stays. */
export function compactStatus(s: ReplicaSetStatus): ReplicaSetStatus {
  const out: ReplicaSetStatus = { replicas: s.replicas ?? 0 };
  if (s.fullyLabeledReplicas) out.fullyLabeledReplicas = s.fullyLabeledReplicas;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.availableReplicas) out.availableReplicas = s.availableReplicas;
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}

/**
 * Whether writing `next` would change nothing (updateReplicaSetStatus' steady state): same counts
 * and conditions, and the current generation already observed.
 */
export function statusUpToDate(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur = rs.status ?? { replicas: 0 };
  return (
    (cur.replicas ?? 0) === (next.replicas ?? 0) &&
    (cur.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    (rs.metadata?.generation ?? 0) === (cur.observedGeneration ?? 0) &&
    isDeepStrictEqual(cur.conditions ?? [], next.conditions ?? [])
  );
}

/** An error's message as Go's err.Error() would print it. */
export { errorMessage };

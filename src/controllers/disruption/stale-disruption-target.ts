// Stale DisruptionTarget conditions (Kubernetes' stalePodDisruption worker). The eviction
// subresource marks a pod DisruptionTarget=True before deleting it; if the pod still has no
// deletionTimestamp STALE_POD_DISRUPTION_TIMEOUT_MS after that, the deletion never happened and
// the controller sets the condition back to False. Conditions the kubelet sets
// (TerminationByKubelet) and pods already Succeeded/Failed are left alone.
import { isNotFound } from '../../api/errors.js';
import { deepCopy, objectKey } from '../../api/object.js';
import { rfc3339 } from '../../api/time.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { Lister } from '../../client/lister.js';
import { PODS, parseTime, type Pod } from './objects.js';

export const DISRUPTION_TARGET_CONDITION = 'DisruptionTarget';
/** Reason of the DisruptionTarget the kubelet sets; such conditions never go stale. */
export const TERMINATION_BY_KUBELET_REASON = 'TerminationByKubelet';
/** How long DisruptionTarget=True may stay on a pod that is not being deleted (stalePodDisruptionTimeout). */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;

/**
 * When `pod`'s DisruptionTarget=True condition is (or becomes) stale: undefined when it has none
 * that can go stale, else the milliseconds from `nowMs` until it is stale (0: already).
 */
export function staleDisruptionTargetInMs(pod: Pod, nowMs: number): number | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const cond = pod.status?.conditions?.find((c) => c.type === DISRUPTION_TARGET_CONDITION);
  if (cond?.status !== 'True' || cond.reason === TERMINATION_BY_KUBELET_REASON) return undefined;
  const since = parseTime(cond.lastTransitionTime) ?? 0;
  return Math.max(0, since + STALE_POD_DISRUPTION_TIMEOUT_MS - nowMs);
}

export interface StaleDisruptionTargetDeps {
  readonly client: Client;
  readonly pods: Lister<Pod>;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

/**
 * Resets the stale DisruptionTarget condition of the pod `namespace/name` to False (an update of
 * the pod's status pinned to the cached resourceVersion: a Conflict throws, the caller requeues).
 * Returns the delay after which to look again when the condition is not stale yet. A pod that is
 * gone, or whose condition needs nothing, is not an error.
 */
export async function resetStaleDisruptionTarget(deps: StaleDisruptionTargetDeps, key: string): Promise<{ requeueAfterMs?: number }> {
  const i = key.indexOf('/');
  const pod = deps.pods.get(key.slice(0, i), key.slice(i + 1));
  if (!pod) return {};
  const now = deps.clock.now();
  const wait = staleDisruptionTargetInMs(pod, now);
  if (wait === undefined) return {};
  if (wait > 0) return { requeueAfterMs: wait };
  const next = deepCopy(pod);
  // As Kubernetes' UpdatePodCondition: the condition is replaced whole, so its reason and message go.
  next.status!.conditions = next.status!.conditions!.map((c) =>
    c.type === DISRUPTION_TARGET_CONDITION ? { type: c.type, status: 'False', lastTransitionTime: rfc3339(now) } : c,
  );
  try {
    await deps.client.updateStatus(PODS, next);
  } catch (e) {
    if (isNotFound(e)) return {};
    throw e;
  }
  deps.log(`disruption: reset stale DisruptionTarget condition of pod ${objectKey(pod)} to False`);
  return {};
}

// metav1.Condition lists as Kubernetes' meta.SetStatusCondition keeps them: shared by the
// disruption controller and the eviction subresource, which both set a PodDisruptionBudget's
// DisruptionAllowed condition.
import type * as meta from 'kubernetes-types/meta/v1.js';
import type { DeepMutable } from './object.js';
import { rfc3339 } from './time.js';

export type StatusCondition = DeepMutable<meta.Condition>;

/**
 * `conditions` with `want` set as SetStatusCondition sets it: reason, message and
 * observedGeneration always replaced; lastTransitionTime = now when the condition is new or its
 * status changes, kept otherwise. Returns a new list in the same order; the input is left alone.
 */
export function setStatusCondition(
  conditions: readonly StatusCondition[] | undefined,
  want: Omit<StatusCondition, 'lastTransitionTime' | 'observedGeneration'> & { observedGeneration?: number },
  nowMs: number,
): StatusCondition[] {
  const out = (conditions ?? []).map((c) => ({ ...c }));
  const i = out.findIndex((c) => c.type === want.type);
  const old = i < 0 ? undefined : out[i];
  const next: StatusCondition = {
    type: want.type,
    status: want.status,
    ...(want.observedGeneration ? { observedGeneration: want.observedGeneration } : {}),
    lastTransitionTime: old && old.status === want.status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(nowMs),
    reason: want.reason,
    message: want.message,
  };
  if (i < 0) out.push(next);
  else out[i] = next;
  return out;
}

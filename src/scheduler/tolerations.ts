// Taints and tolerations as Kubernetes matches them (Toleration.ToleratesTaint,
// FindMatchingUntoleratedTaint). Shared by TaintToleration, NodeUnschedulable and
// PodTopologySpread's nodeTaintsPolicy.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { toleratesTaint } from '../api/toleration.js';

/** The taint a cordoned node (spec.unschedulable) implies. */
export { TAINT_UNSCHEDULABLE as TAINT_NODE_UNSCHEDULABLE } from '../api/well-known-taints.js';
export { toleratesTaint };

export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint (in node order) for which `include` holds and no toleration matches. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  include: (t: Taint) => boolean,
): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints) {
    if (include(taint) && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** NoSchedule and NoExecute taints keep pods off a node; PreferNoSchedule only lowers its score. */
export function isDoNotScheduleTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' || t.effect === 'NoExecute';
}

// Taints and tolerations as Kubernetes matches them (Toleration.ToleratesTaint,
// FindMatchingUntoleratedTaint). Shared by TaintToleration, NodeUnschedulable and
// PodTopologySpread's nodeTaintsPolicy.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** The taint a cordoned node (spec.unschedulable) implies. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/**
 * Whether `t` tolerates `taint`: an empty effect matches every effect, an empty key with
 * operator Exists matches every key, operator Equal (or empty) compares values.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

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

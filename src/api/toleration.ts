// Whether a pod's toleration tolerates a node's taint (Kubernetes' Toleration.ToleratesTaint),
// shared by the scheduler's TaintToleration filter and the node lifecycle controller's
// taint-based eviction, so both answer the same.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

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

// The taints the node lifecycle controller owns and how a pod's tolerations meet them
// (Kubernetes' well-known taint keys, defined in src/api, and Toleration.ToleratesTaint). Pure functions.
import type { Taint } from 'kubernetes-types/core/v1.js';

export {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_OUT_OF_SERVICE,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
} from '../../api/well-known-taints.js';

export { toleratesTaint } from '../../api/toleration.js';

export function noExecuteTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

export function hasTaint(taints: readonly Taint[] | undefined, key: string, effect: string): boolean {
  return (taints ?? []).some((t) => t.key === key && t.effect === effect);
}

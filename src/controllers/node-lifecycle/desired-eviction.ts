// When taint-based eviction deletes a pod from a node with NoExecute taints (Kubernetes' taint
// manager): at once when a taint is not tolerated; never when every taint is tolerated without
// tolerationSeconds; otherwise when the shortest toleration runs out, counted from the time the
// taint was added (from `now` for a taint without timeAdded). Pure functions.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { noExecuteTaints, toleratesTaint } from './taints.js';

/**
 * The time (ms) at which a pod with `tolerations` must be deleted from a node with `taints`, or
 * undefined when it may stay (no NoExecute taint, or all tolerated forever). A time ≤ now means
 * at once.
 */
export function evictionTime(tolerations: readonly Toleration[] | undefined, taints: readonly Taint[] | undefined, now: number): number | undefined {
  let at: number | undefined;
  for (const taint of noExecuteTaints(taints)) {
    // As Kubernetes does, the first toleration that matches a taint is the one that counts.
    const t = (tolerations ?? []).find((x) => toleratesTaint(x, taint));
    if (!t) return now;
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    const start = Number.isNaN(added) ? now : added;
    const deadline = t.tolerationSeconds <= 0 ? now : start + t.tolerationSeconds * 1000;
    at = at === undefined ? deadline : Math.min(at, deadline);
  }
  return at;
}

// How the Job controller reads a pod: which job it belongs to, whether it still runs, how it
// ended and when. Pure functions over API objects; nothing here mutates its input.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from '../../api/object.js';

/** Held on every pod the controller creates, so a finished pod is counted before it can vanish. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** Annotation (and label) with the pod's index in an Indexed Job. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** What became of a pod, for counting. */
export type PodOutcome = 'active' | 'terminating' | 'succeeded' | 'failed';

/** The controller reference (`controller: true`) of an object, if it has one. */
export function controllerRef(meta: { readonly ownerReferences?: readonly OwnerReference[] } | undefined): OwnerReference | undefined {
  return meta?.ownerReferences?.find((r) => r.controller === true);
}

/** Whether the pod's controller is a batch Job (any version). */
export function jobControllerRef(pod: Pod): OwnerReference | undefined {
  const ref = controllerRef(pod.metadata);
  return ref && ref.kind === 'Job' && ref.apiVersion.split('/')[0] === 'batch' ? ref : undefined;
}

export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/**
 * How a pod counts. Succeeded/Failed phases are final. A pod being deleted before it finished
 * counts as failed while the controller still tracks it, when the Job replaces terminating pods
 * at once (podReplacementPolicy TerminatingOrFailed) or when no node will ever finish it
 * (it was never bound); otherwise it is terminating until its phase says how it ended.
 */
export function podOutcome(pod: Pod, replaceTerminating: boolean): PodOutcome {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return 'succeeded';
  if (phase === 'Failed') return 'failed';
  if (pod.metadata?.deletionTimestamp) {
    if (hasTrackingFinalizer(pod) && (replaceTerminating || !pod.spec?.nodeName)) return 'failed';
    return 'terminating';
  }
  return 'active';
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Container restarts of a pod (init containers included), what backoffLimit counts for restartPolicy OnFailure. */
export function podRestarts(pod: Pod): number {
  let n = 0;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) n += s.restartCount ?? 0;
  return n;
}

/**
 * When a finished pod finished (ms since the epoch): the latest container termination, else the
 * pod's deletion or last condition change, else its creation. Stable across calls, so backoff
 * computed from it does not drift.
 */
export function podFinishedAt(pod: Pod): number {
  let best = Number.NaN;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const t = Date.parse(s.state?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(t) && !(t <= best)) best = t;
  }
  if (!Number.isNaN(best)) return best;
  for (const c of pod.status?.conditions ?? []) {
    const t = Date.parse(c.lastTransitionTime ?? '');
    if (!Number.isNaN(t) && !(t <= best)) best = t;
  }
  if (!Number.isNaN(best)) return best;
  const t = Date.parse(pod.metadata?.deletionTimestamp ?? pod.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** The completion index a pod carries (annotation, else label), or undefined when absent or not a non-negative integer. */
export function podCompletionIndex(pod: Pod): number | undefined {
  const raw = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] ?? pod.metadata?.labels?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (raw === undefined || !/^(0|[1-9][0-9]*)$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Orders active pods by how little would be lost by deleting them: unscheduled before
 * scheduled, pending before running, not ready before ready, newer before older.
 */
export function deletionCost(a: Pod, b: Pod): number {
  const rank = (p: Pod): number[] => [
    p.spec?.nodeName ? 1 : 0,
    p.status?.phase === 'Pending' || !p.status?.phase ? 0 : p.status.phase === 'Unknown' ? 1 : 2,
    isPodReady(p) ? 1 : 0,
    -(Date.parse(p.metadata?.creationTimestamp ?? '') || 0),
  ];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

// Revisions and the annotations a Deployment keeps on its ReplicaSets (pkg/controller/deployment/util):
// - `deployment.kubernetes.io/revision`: the new ReplicaSet gets max(old revisions) + 1; the
//   Deployment carries its new ReplicaSet's revision. A ReplicaSet brought back by a rollback
//   (kubectl rollout undo, or the template edited back) gets the next number and remembers its
//   earlier ones in `deployment.kubernetes.io/revision-history`.
// - the Deployment's own annotations are copied to the new ReplicaSet (kubectl rollout history
//   shows `kubernetes.io/change-cause` from there), except the ones in SKIPPED_ANNOTATIONS;
// - `desired-replicas` and `max-replicas` record the Deployment's size and size plus surge when
//   the ReplicaSet was last scaled, for proportional scaling.
// Functions that take a ReplicaSet or Deployment to change mutate that object (a copy the caller
// owns) and return whether they changed anything.
import type { Deployment, ReplicaSet } from './objects.js';
import {
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  LAST_APPLIED_CONFIG_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from './objects.js';

/** Longest revision-history annotation kept, in characters (the controller's default). */
export const MAX_REVISION_HISTORY_CHARS = 2000;

export const SKIPPED_ANNOTATIONS: ReadonlySet<string> = new Set([
  LAST_APPLIED_CONFIG_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
]);

/** An object's revision annotation as a number; 0 when absent, undefined when not an integer. */
export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } } | undefined): number | undefined {
  const v = o?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || v === '') return 0;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The highest revision among `rsList` (MaxRevision); unparsable revisions are ignored. */
export function maxRevision(rsList: readonly ReplicaSet[]): number {
  let max = 0;
  for (const rs of rsList) max = Math.max(max, revisionOf(rs) ?? 0);
  return max;
}

/** Copies the Deployment's annotations onto the ReplicaSet, except the skipped ones. */
export function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(k)) continue;
    const meta = (rs.metadata ??= {});
    const annotations = (meta.annotations ??= {});
    if (annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * Annotates the new ReplicaSet (SetNewReplicaSetAnnotations): the Deployment's annotations, revision
 * `newRevision` unless it already has a higher one (a reused ReplicaSet's earlier revision goes into
 * the history annotation, trimmed from the oldest to `historyLimitChars`), and — for a ReplicaSet
 * about to be created (`exists` false) — the replicas annotations.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
  opts: { surge: number; historyLimitChars?: number },
): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const meta = (rs.metadata ??= {});
  const annotations = (meta.annotations ??= {});
  const old = annotations[REVISION_ANNOTATION];
  const oldRevision = old === undefined || old === '' ? 0 : /^\d+$/.test(old) ? Number(old) : undefined;
  if (oldRevision === undefined) return changed;
  if (oldRevision < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (old !== undefined) appendRevisionHistory(annotations, old, opts.historyLimitChars ?? MAX_REVISION_HISTORY_CHARS);
  }
  const replicas = d.spec?.replicas ?? 1;
  if (!exists && setReplicasAnnotations(rs, replicas, replicas + opts.surge)) changed = true;
  return changed;
}

function appendRevisionHistory(annotations: Record<string, string>, oldRevision: string, limit: number): void {
  const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
  if (history === '') {
    annotations[REVISION_HISTORY_ANNOTATION] = oldRevision;
    return;
  }
  const revisions = history.split(',');
  let total = history.length + oldRevision.length + 1;
  let start = 0;
  while (total > limit && start < revisions.length) total -= revisions[start++]!.length + 1;
  if (total <= limit) annotations[REVISION_HISTORY_ANNOTATION] = [...revisions.slice(start), oldRevision].join(',');
}

/** Sets the Deployment's revision annotation (SetDeploymentRevision). */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const meta = (d.metadata ??= {});
  const annotations = (meta.annotations ??= {});
  if (annotations[REVISION_ANNOTATION] === revision) return false;
  annotations[REVISION_ANNOTATION] = revision;
  return true;
}

/** Sets desired-replicas and max-replicas (SetReplicasAnnotations). */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const meta = (rs.metadata ??= {});
  const annotations = (meta.annotations ??= {});
  let changed = false;
  if (annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    annotations[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

/** Whether desired-replicas or max-replicas differ from these values (ReplicasAnnotationsNeedUpdate). */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** An int32 annotation; undefined when absent or invalid. */
function int32Annotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : undefined;
}

export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return int32Annotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

export function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return int32Annotation(rs, MAX_REPLICAS_ANNOTATION);
}

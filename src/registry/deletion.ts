// What DELETE does to an object: remove it now, or mark it terminating (deletionTimestamp) and
// keep it until a kubelet (graceful pod deletion), the garbage collector (orphan/foreground
// finalizers) or the namespace controller (spec.finalizers) finishes the job.
import { rfc3339 } from '../api/time.js';
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';
import { isObject } from '../api/object.js';

export type DeletionPlan = { kind: 'now' } | { kind: 'mark'; object: KubeObject };

export interface DeletionRequest {
  readonly gracePeriodSeconds?: number;
  /** Orphan | Background | Foreground */
  readonly propagationPolicy?: string;
}

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Decides how to delete `live` (not mutated). The returned object is a fresh copy. */
export function deletionPlan(info: ResourceInfo, live: KubeObject, req: DeletionRequest, now: Date): DeletionPlan {
  const obj = structuredClone(live);
  const meta = (obj.metadata ??= {});
  const finalizers = [...(meta.finalizers ?? [])];
  const add = (f: string) => {
    if (!finalizers.includes(f)) finalizers.push(f);
  };
  const drop = (f: string) => {
    const i = finalizers.indexOf(f);
    if (i >= 0) finalizers.splice(i, 1);
  };
  if (req.propagationPolicy === 'Orphan') {
    add(ORPHAN_FINALIZER);
    drop(FOREGROUND_FINALIZER);
  } else if (req.propagationPolicy === 'Foreground') {
    add(FOREGROUND_FINALIZER);
    drop(ORPHAN_FINALIZER);
  }

  // Namespaces: spec.finalizers hold the namespace until the namespace controller has emptied it.
  if (info.group === '' && info.plural === 'namespaces') {
    const spec = isObject(obj.spec) ? obj.spec : {};
    const specFinalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    if (specFinalizers.length || finalizers.length) {
      meta.deletionTimestamp ??= rfc3339(now);
      meta.deletionGracePeriodSeconds ??= 0;
      if (finalizers.length) meta.finalizers = finalizers;
      obj.status = { ...(isObject(obj.status) ? obj.status : {}), phase: 'Terminating' };
      return { kind: 'mark', object: obj };
    }
    return { kind: 'now' };
  }

  // Pods on a node: graceful deletion, the kubelet deletes with grace 0 once containers are gone.
  if (info.group === '' && info.plural === 'pods') {
    const grace = podGracePeriod(obj, req.gracePeriodSeconds);
    if (grace > 0) {
      const current = meta.deletionGracePeriodSeconds;
      // An existing, shorter grace period is kept; a shorter new one replaces it.
      if (!meta.deletionTimestamp || (current !== undefined && grace < current)) {
        meta.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        meta.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.length) meta.finalizers = finalizers;
      return { kind: 'mark', object: obj };
    }
  }

  if (finalizers.length) {
    meta.deletionTimestamp ??= rfc3339(now);
    meta.deletionGracePeriodSeconds ??= 0;
    meta.finalizers = finalizers;
    return { kind: 'mark', object: obj };
  }
  return { kind: 'now' };
}

/** Unscheduled and finished pods go at once; others get the requested or their own grace period. */
function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const status = isObject(pod.status) ? pod.status : {};
  if (!spec.nodeName) return 0;
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  if (requested !== undefined) return Math.max(0, requested);
  const own = spec.terminationGracePeriodSeconds;
  return typeof own === 'number' ? Math.max(0, own) : 30;
}

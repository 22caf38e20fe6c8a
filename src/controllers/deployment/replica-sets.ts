// Reading a Deployment's ReplicaSets (pkg/controller/deployment/util): which one is new (its
// template equals the Deployment's, ignoring pod-template-hash), which are old, the sums the
// rollout arithmetic works with, and the orders Kubernetes sorts them in. Pure functions; the
// ReplicaSets passed in are never mutated.
import { isDeepStrictEqual } from 'node:util';
import type { PodTemplateSpec, ReplicaSet } from './objects.js';
import { POD_TEMPLATE_HASH_LABEL, parseTime, replicasOf } from './objects.js';

/**
 * Whether two pod templates are equal once the pod-template-hash label is removed from both
 * (EqualIgnoreHash). Absent, null and empty label or annotation maps count as equal, as
 * Kubernetes' semantic equality treats nil and empty maps.
 */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return isDeepStrictEqual(normalizeTemplate(a), normalizeTemplate(b));
}

function normalizeTemplate(t: PodTemplateSpec | undefined): unknown {
  const out = withoutNulls(t ?? {}) as Record<string, unknown>;
  const meta = (out.metadata ?? {}) as Record<string, unknown>;
  const labels = { ...((meta.labels ?? {}) as Record<string, string>) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  const m: Record<string, unknown> = { ...meta, labels };
  for (const k of ['labels', 'annotations']) if (Object.keys((m[k] ?? {}) as object).length === 0) delete m[k];
  if (Object.keys(m).length) out.metadata = m;
  else delete out.metadata;
  return out;
}

/** A JSON value without null or undefined members (how JSON with omitempty round-trips). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x);
  return out;
}

/** Older first; equal times by name (ReplicaSetsByCreationTimestamp). */
export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  const ta = parseTime(a.metadata?.creationTimestamp) ?? 0;
  const tb = parseTime(b.metadata?.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Larger first; equal sizes older first (ReplicaSetsBySizeOlder). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreationTimestamp(a, b);
}

/** Larger first; equal sizes newer first (ReplicaSetsBySizeNewer). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreationTimestamp(b, a);
}

/**
 * The ReplicaSet whose template equals the Deployment's (FindNewReplicaSet). Should several match
 * (a hash collision long ago), the oldest wins.
 */
export function findNewReplicaSet(template: PodTemplateSpec | undefined, rsList: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rsList].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec?.template, template));
}

/** Every ReplicaSet but the new one (names are unique in the Deployment's namespace). */
export function oldReplicaSets(rsList: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ReplicaSet[] {
  return newRS ? rsList.filter((rs) => rs.metadata?.name !== newRS.metadata?.name) : [...rsList];
}

/** ReplicaSets with spec.replicas > 0 (FilterActiveReplicaSets). */
export function activeReplicaSets(rsList: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rsList.filter((rs): rs is ReplicaSet => rs !== undefined && replicasOf(rs) > 0);
}

/** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
export function specReplicas(rsList: readonly (ReplicaSet | undefined)[]): number {
  return sum(rsList, (rs) => replicasOf(rs));
}

/** Sum of status.replicas: the pods that exist (GetActualReplicaCountForReplicaSets). */
export function actualReplicas(rsList: readonly (ReplicaSet | undefined)[]): number {
  return sum(rsList, (rs) => rs.status?.replicas ?? 0);
}

/** Sum of status.readyReplicas. */
export function readyReplicas(rsList: readonly (ReplicaSet | undefined)[]): number {
  return sum(rsList, (rs) => rs.status?.readyReplicas ?? 0);
}

/** Sum of status.availableReplicas. */
export function availableReplicas(rsList: readonly (ReplicaSet | undefined)[]): number {
  return sum(rsList, (rs) => rs.status?.availableReplicas ?? 0);
}

function sum(rsList: readonly (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number): number {
  let n = 0;
  for (const rs of rsList) if (rs) n += f(rs);
  return n;
}

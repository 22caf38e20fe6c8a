// The shape every stored API object shares. Concrete kinds use kubernetes-types
// (e.g. `import type { Pod } from 'kubernetes-types/core/v1.js'`); generic code uses KubeObject.
import type * as meta from 'kubernetes-types/meta/v1.js';

/** kubernetes-types declares every field readonly; objects the server builds are mutable copies. */
export type DeepMutable<T> = T extends ReadonlyArray<infer U>
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;

export type ObjectMeta = DeepMutable<meta.ObjectMeta>;
export type OwnerReference = DeepMutable<meta.OwnerReference>;
export type ManagedFieldsEntry = DeepMutable<meta.ManagedFieldsEntry>;

/** Any API object. Field names match Kubernetes JSON exactly. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A list as returned by list calls: `PodList`, `DeploymentList`, ... */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON value. Objects from caches are shared: copy before mutating. */
export function deepCopy<T>(v: T): T {
  return structuredClone(v);
}

/** `namespace/name` or `name` for cluster-scoped objects: the key queues and caches use. */
export function objectKey(o: KubeObject): string {
  const ns = o.metadata?.namespace;
  const name = o.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

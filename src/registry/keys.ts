// Store key layout: `/registry/<group or "core">/<plural>/<namespace>/<name>` for namespaced
// resources and `/registry/<group or "core">/<plural>/<name>` for cluster-scoped ones.
import type { ResourceInfo } from '../api/resources.js';

export function resourcePrefix(info: Pick<ResourceInfo, 'group' | 'plural'>): string {
  return `/registry/${info.group || 'core'}/${info.plural}/`;
}

/** Prefix of one namespace's objects (namespaced resources), or of all objects. */
export function listPrefix(info: ResourceInfo, namespace?: string): string {
  const base = resourcePrefix(info);
  return info.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectStoreKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  const base = resourcePrefix(info);
  return info.namespaced ? `${base}${namespace ?? ''}/${name}` : `${base}${name}`;
}

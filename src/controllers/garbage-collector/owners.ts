// The ownership graph as the garbage collector reads it from informer caches: which resources it
// watches, how an ownerReference names a resource, and the index functions that find an
// object's dependents (by owner uid) and an owner (by uid) in any cache. Pure.
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { RESOURCES, groupVersion, parseGroupVersion, type ResourceInfo } from '../../api/resources.js';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Index of every watched informer: the uids of the object's owners. */
export const OWNER_UID_INDEX = 'garbagecollector/owner-uid';
/** Index of every watched informer: the object's own uid. */
export const UID_INDEX = 'garbagecollector/uid';

/** Resources never watched: Events come and go in bulk and own nothing (as Kubernetes' GC ignores them). */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

/** Every resource the collector watches: those that can be listed, watched and deleted. */
export function collectedResources(all: readonly ResourceInfo[] = RESOURCES): ResourceInfo[] {
  return all.filter((r) => !IGNORED.has(`${r.group}/${r.plural}`) && ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)));
}

export function ownerUidIndex(obj: KubeObject): string[] {
  return (obj.metadata?.ownerReferences ?? []).map((r) => r.uid).filter((u) => !!u);
}

export function uidIndex(obj: KubeObject): string[] {
  return obj.metadata?.uid ? [obj.metadata.uid] : [];
}

/**
 * The watched resource an ownerReference points at: its group and kind, the version given if
 * served, else any served version of that kind. Undefined when skiff serves no such kind.
 */
export function resourceForRef(ref: Pick<OwnerReference, 'apiVersion' | 'kind'>, resources: readonly ResourceInfo[]): ResourceInfo | undefined {
  const { group, version } = parseGroupVersion(ref.apiVersion);
  return resources.find((r) => r.group === group && r.version === version && r.kind === ref.kind) ?? resources.find((r) => r.group === group && r.kind === ref.kind);
}

/** The queue key of an object of `info`: `group/version/plural|namespace/name`. */
export function itemKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return `${groupVersion(info)}/${info.plural}|${info.namespaced && namespace ? `${namespace}/` : ''}${name}`;
}

export function parseItemKey(key: string, resources: readonly ResourceInfo[]): { info: ResourceInfo; namespace: string | undefined; name: string } | undefined {
  const bar = key.indexOf('|');
  const res = key.slice(0, bar);
  const info = resources.find((r) => `${groupVersion(r)}/${r.plural}` === res);
  if (bar < 0 || !info) return undefined;
  const rest = key.slice(bar + 1);
  const slash = rest.indexOf('/');
  return slash < 0 ? { info, namespace: undefined, name: rest } : { info, namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** An owner being deleted in the foreground: it waits for its blocking dependents to go. */
export function deletingDependents(obj: KubeObject): boolean {
  return !!obj.metadata?.deletionTimestamp && hasFinalizer(obj, FOREGROUND_FINALIZER);
}

/** What became of an owner: there (or of a kind skiff does not serve, never treated as gone), gone, or deleting in the foreground. */
export type OwnerState = 'solid' | 'dangling' | 'waiting';

export interface OwnerVerdict {
  readonly solid: OwnerReference[];
  readonly dangling: OwnerReference[];
  readonly waiting: OwnerReference[];
}

/** Groups `refs` by the state found for each (`states[i]` is the state of `refs[i]`). */
export function classifyOwners(refs: readonly OwnerReference[], states: readonly OwnerState[]): OwnerVerdict {
  const out: OwnerVerdict = { solid: [], dangling: [], waiting: [] };
  refs.forEach((ref, i) => out[states[i] ?? 'solid'].push(ref));
  return out;
}

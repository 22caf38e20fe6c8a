// What a terminating namespace still holds, and the conditions Kubernetes reports about it on
// status.conditions (NamespaceDeletionContentFailure, NamespaceContentRemaining,
// NamespaceFinalizersRemaining ...). Pure.
import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';
import type { DeepMutable, KubeObject } from '../../api/object.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';

/** The finalizer in spec.finalizers that this controller owns. */
export const KUBERNETES_FINALIZER = 'kubernetes';

export type MutableCondition = DeepMutable<NamespaceCondition>;

/** Every namespaced resource whose objects can be deleted: what deleting a namespace empties. */
export function namespacedResources(all: readonly ResourceInfo[] = RESOURCES): ResourceInfo[] {
  return all.filter((r) => r.namespaced && r.verbs.includes('delete') && r.verbs.includes('list'));
}

/** Resource name as Kubernetes' messages write it: `pods.`, `deployments.apps`. */
export function groupResource(info: ResourceInfo): string {
  return `${info.plural}.${info.group}`;
}

export interface Remaining {
  /** group resource → objects left */
  readonly resources: Map<string, number>;
  /** finalizer → objects that still carry it */
  readonly finalizers: Map<string, number>;
}

export function tallyRemaining(byResource: ReadonlyMap<ResourceInfo, readonly KubeObject[]>): Remaining {
  const resources = new Map<string, number>();
  const finalizers = new Map<string, number>();
  for (const [info, items] of byResource) {
    if (!items.length) continue;
    resources.set(groupResource(info), items.length);
    for (const o of items) for (const f of o.metadata?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
  }
  return { resources, finalizers };
}

/**
 * The deletion conditions for the current pass: `errors` are messages of failed deletions or
 * lists. Each condition keeps its transition time while its status does not change.
 */
export function deletionConditions(previous: readonly NamespaceCondition[] | undefined, remaining: Remaining, errors: readonly string[], now: string): MutableCondition[] {
  const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b));
  const wanted: MutableCondition[] = [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    errors.length
      ? { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${errors.length} remaining: ${errors.join(', ')}` }
      : { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    remaining.resources.size
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${sorted(remaining.resources).map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    remaining.finalizers.size
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${sorted(remaining.finalizers).map(([f, n]) => `${f} in ${n} resource instances`).join(', ')}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  ];
  return wanted.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now };
  });
}

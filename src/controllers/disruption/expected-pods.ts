// How many pods a PodDisruptionBudget expects and how many of them must stay healthy
// (Kubernetes' getExpectedPodCount / getExpectedScale). Pure: controllers are looked up through
// the caller's caches, never the API.
//
// - minAvailable as an integer: expected = the selected pods, desiredHealthy = minAvailable.
// - maxUnavailable (integer or percent) or minAvailable as a percent: expected = the sum of the
//   scales (spec.replicas) of the selected pods' controllers, each controller counted once;
//   percentages are rounded up (GetScaledValueFromIntOrPercent with roundUp); desiredHealthy =
//   expected − maxUnavailable (never below 0), or ⌈minAvailable% × expected⌉.
// - neither set (valid in policy/v1): expected 0, desiredHealthy 0.
import { scaledValue } from '../../api/intstr.js';
import type { OwnerReference } from '../../api/object.js';
import { findKind, parseGroupVersion } from '../../api/resources.js';
import { controllerOf } from '../replicaset/controller-ref.js';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet } from './objects.js';

/** Reads of the workload caches; both return undefined for an object the cache does not hold. */
export interface ControllerLookup {
  replicaSet(namespace: string, name: string): ReplicaSet | undefined;
  deployment(namespace: string, name: string): Deployment | undefined;
}

export interface ExpectedPods {
  readonly expectedCount: number;
  readonly desiredHealthy: number;
  /** selected pods without a controller reference, left out of expectedCount (none for an integer minAvailable) */
  readonly unmanagedPods: readonly string[];
}

/** The expected count cannot be computed; the message is Kubernetes' (it follows "Failed to calculate the number of expected pods: "). */
export class ExpectedCountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectedCountError';
  }
}

/** A controller found for a pod: its uid (the key it is counted once under) and its scale. */
interface ControllerScale {
  readonly uid: string;
  readonly replicas: number;
}

/** Whether the budget's numbers depend on the scale of the pods' controllers (all but an integer minAvailable, or neither). */
export function usesControllerScale(pdb: PodDisruptionBudget): boolean {
  const { maxUnavailable, minAvailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) return true;
  return minAvailable !== undefined && minAvailable !== null && typeof minAvailable !== 'number';
}

/**
 * expectedCount and desiredHealthy of `pdb` over the pods its selector matches. Throws
 * ExpectedCountError when a pod's controller cannot be found or has no scale, or when a value is
 * neither an integer nor a percentage.
 */
export function expectedPods(pdb: PodDisruptionBudget, pods: readonly Pod[], controllers: ControllerLookup): ExpectedPods {
  const { maxUnavailable, minAvailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expectedCount, unmanagedPods } = expectedScale(pods, controllers);
    const unavailable = scaled(maxUnavailable, expectedCount);
    return { expectedCount, desiredHealthy: Math.max(0, expectedCount - unavailable), unmanagedPods };
  }
  if (minAvailable === undefined || minAvailable === null) return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
  if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanagedPods: [] };
  const { expectedCount, unmanagedPods } = expectedScale(pods, controllers);
  return { expectedCount, desiredHealthy: scaled(minAvailable, expectedCount), unmanagedPods };
}

/** Σ scale(controller) over the distinct controllers of `pods`; pods without a controller reference are listed, not counted. */
export function expectedScale(pods: readonly Pod[], controllers: ControllerLookup): { expectedCount: number; unmanagedPods: string[] } {
  const scales = new Map<string, number>();
  const seenRefs = new Set<string>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanagedPods.push(pod.metadata?.name ?? '');
      continue;
    }
    if (seenRefs.has(ref.uid)) continue;
    const found = controllerScale(ref, pod.metadata?.namespace ?? '', controllers);
    if (!found) throw new ExpectedCountError(`found no controllers for pod ${JSON.stringify(pod.metadata?.name ?? '')}`);
    seenRefs.add(ref.uid);
    scales.set(found.uid, found.replicas);
  }
  let expectedCount = 0;
  for (const n of scales.values()) expectedCount += n;
  return { expectedCount, unmanagedPods };
}

/**
 * The controller a pod's controller reference names, with its scale, as Kubernetes' finders
 * resolve it: a ReplicaSet (apps or extensions) controlled by a Deployment counts as that
 * Deployment; any other served kind with a scale subresource counts as itself. undefined when
 * the cache holds no object of that name and uid. Throws ExpectedCountError for a kind skiff does
 * not serve (StatefulSet, ReplicationController, …) or one without a scale subresource (Job, …).
 */
function controllerScale(ref: OwnerReference, namespace: string, controllers: ControllerLookup): ControllerScale | undefined {
  const { group, version } = parseGroupVersion(ref.apiVersion);
  if (ref.kind === 'ReplicaSet' && (group === 'apps' || group === 'extensions')) {
    const rs = controllers.replicaSet(namespace, ref.name);
    if (rs?.metadata?.uid !== ref.uid) return undefined;
    const owner = controllerOf(rs);
    if (owner && owner.kind === 'Deployment' && isAppsGroup(owner)) {
      const deployment = controllers.deployment(namespace, owner.name);
      if (deployment?.metadata?.uid === owner.uid) return { uid: owner.uid, replicas: deployment.spec?.replicas ?? 1 };
    }
    // A Deployment not (yet) in the cache: Kubernetes falls back to the ReplicaSet's own scale.
    return { uid: ref.uid, replicas: rs.spec?.replicas ?? 1 };
  }
  const info = findKind(group, version, ref.kind);
  if (!info) throw new ExpectedCountError(`no matches for kind ${JSON.stringify(ref.kind)} in version ${JSON.stringify(ref.apiVersion)}`);
  if (!info.subresources.includes('scale')) {
    throw new ExpectedCountError(`${info.group ? `${info.plural}.${info.group}` : info.plural} does not implement the scale subresource`);
  }
  const obj = info.plural === 'deployments' ? controllers.deployment(namespace, ref.name) : info.plural === 'replicasets' ? controllers.replicaSet(namespace, ref.name) : undefined;
  if (!obj || obj.metadata?.uid !== ref.uid) return undefined;
  return { uid: ref.uid, replicas: obj.spec?.replicas ?? 1 };
}

function isAppsGroup(ref: OwnerReference): boolean {
  const { group } = parseGroupVersion(ref.apiVersion);
  return group === 'apps' || group === 'extensions';
}

/** An IntOrString resolved against `total`, percentages rounded up; a malformed value is an ExpectedCountError. */
function scaled(v: number | string, total: number): number {
  try {
    return scaledValue(v, total, true);
  } catch (e) {
    throw new ExpectedCountError(e instanceof Error ? e.message : String(e));
  }
}

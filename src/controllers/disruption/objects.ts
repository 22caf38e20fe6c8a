// The object types and resources the disruption controller reads and writes, and the names
// Kubernetes gives to the PodDisruptionBudget condition, its reasons and the timeouts around
// evictions (kubectl and the eviction subresource read them: keep them exact).
import type * as meta from 'kubernetes-types/meta/v1.js';
import type * as policy from 'kubernetes-types/policy/v1.js';
import type { DeepMutable } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';

export type { Pod, ReplicaSet } from '../replicaset/objects.js';
export type { Deployment } from '../deployment/objects.js';
export { PODS, REPLICASETS, parseTime } from '../replicaset/objects.js';
export { DEPLOYMENTS } from '../deployment/objects.js';

export type PodDisruptionBudget = DeepMutable<policy.PodDisruptionBudget>;
export type PodDisruptionBudgetStatus = DeepMutable<policy.PodDisruptionBudgetStatus>;
export type Condition = DeepMutable<meta.Condition>;

export const PDBS = resourceInfo('policy', 'v1', 'poddisruptionbudgets');
export const PDB_API_VERSION = 'policy/v1';
export const PDB_KIND = 'PodDisruptionBudget';

/** The one condition the controller sets, and its reasons (policy/v1 constants). */
export const DISRUPTION_ALLOWED_CONDITION = 'DisruptionAllowed';
export const SUFFICIENT_PODS_REASON = 'SufficientPods';
export const INSUFFICIENT_PODS_REASON = 'InsufficientPods';
export const SYNC_FAILED_REASON = 'SyncFailed';

/**
 * How long after an eviction (its time in status.disruptedPods) the pod is expected to carry a
 * deletionTimestamp; after that the entry is dropped and the pod counts again (DeletionTimeout).
 */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

// The Deployment controller's object types and resources, and the names Kubernetes gives to its
// annotations, labels and condition reasons (kubectl reads them: keep them exact).
import type * as apps from 'kubernetes-types/apps/v1.js';
import type { DeepMutable } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';

export type { Pod, PodTemplateSpec, ReplicaSet } from '../replicaset/objects.js';
export { PODS, REPLICASETS, parseTime } from '../replicaset/objects.js';

export type Deployment = DeepMutable<apps.Deployment>;
export type DeploymentStatus = DeepMutable<apps.DeploymentStatus>;
export type DeploymentCondition = DeepMutable<apps.DeploymentCondition>;

export const DEPLOYMENTS = resourceInfo('apps', 'v1', 'deployments');
export const DEPLOYMENT_API_VERSION = 'apps/v1';
export const DEPLOYMENT_KIND = 'Deployment';

/** Label (and selector term) that tells a Deployment's ReplicaSets and their pods apart. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** extensions/v1beta1's rollback request; never copied to ReplicaSets */
export const DEPRECATED_ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED_CONFIG_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Condition types and reasons (pkg/controller/deployment/util). */
export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';
export const NEW_RS_CREATED_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const RS_UPDATED_REASON = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const PAUSED_REASON = 'DeploymentPaused';
export const RESUMED_REASON = 'DeploymentResumed';
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const MIN_REPLICAS_AVAILABLE = 'MinimumReplicasAvailable';
export const MIN_REPLICAS_UNAVAILABLE = 'MinimumReplicasUnavailable';

/** spec.replicas of a Deployment or ReplicaSet, defaulted to 1 as the API server does. */
export function replicasOf(o: { spec?: { replicas?: number } }): number {
  return o.spec?.replicas ?? 1;
}

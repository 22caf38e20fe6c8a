// The object types and resources the ReplicaSet (and Deployment) controllers read and write.
// kubernetes-types declares some fields readonly; these are the mutable copies controllers build.
import { rfc3339 } from '../../api/time.js';
import type * as apps from 'kubernetes-types/apps/v1.js';
import type * as core from 'kubernetes-types/core/v1.js';
import type { DeepMutable, OwnerReference } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';

export type Pod = DeepMutable<core.Pod>;
export type PodTemplateSpec = DeepMutable<core.PodTemplateSpec>;
export type ReplicaSet = DeepMutable<apps.ReplicaSet>;
export type ReplicaSetStatus = DeepMutable<apps.ReplicaSetStatus>;
export type ReplicaSetCondition = DeepMutable<apps.ReplicaSetCondition>;
export type { OwnerReference };

export const PODS = resourceInfo('', 'v1', 'pods');
export const REPLICASETS = resourceInfo('apps', 'v1', 'replicasets');

/** Milliseconds since the epoch of an RFC 3339 time; undefined when absent or unparsable. */
export function parseTime(t: string | undefined | null): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

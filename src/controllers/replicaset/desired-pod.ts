// The pod a ReplicaSet creates (Kubernetes' GetPodFromTemplate): the template's labels,
// annotations, finalizers and spec, `generateName: <rs-name>-`, and the ReplicaSet's controller
// reference. The server picks the name and defaults the rest.
import { deepCopy } from '../../api/object.js';
import { newControllerRef } from './controller-ref.js';
import type { OwnerReference, Pod, ReplicaSet } from './objects.js';

export const REPLICASET_API_VERSION = 'apps/v1';
export const REPLICASET_KIND = 'ReplicaSet';

/** The ReplicaSet's controller reference, as it appears on its pods. */
export function replicaSetControllerRef(rs: ReplicaSet): OwnerReference {
  return newControllerRef(rs, REPLICASET_API_VERSION, REPLICASET_KIND);
}

/** A new pod object for `rs` (not yet created). The result shares nothing with `rs`. */
export function podFromTemplate(rs: ReplicaSet): Pod {
  const template = rs.spec?.template ?? {};
  const tm = template.metadata ?? {};
  const metadata: NonNullable<Pod['metadata']> = {
    generateName: `${rs.metadata?.name ?? ''}-`,
    namespace: rs.metadata?.namespace,
  };
  if (tm.labels) metadata.labels = deepCopy(tm.labels);
  if (tm.annotations) metadata.annotations = deepCopy(tm.annotations);
  if (tm.finalizers?.length) metadata.finalizers = [...tm.finalizers];
  metadata.ownerReferences = [replicaSetControllerRef(rs)];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: deepCopy(template.spec ?? { containers: [] }) };
}

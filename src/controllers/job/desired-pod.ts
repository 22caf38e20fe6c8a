// The pod a Job runs: its template, owned by the Job, held by the tracking finalizer, and for an
// Indexed Job marked with its completion index. Pure.
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { deepCopy, type DeepMutable } from '../../api/object.js';
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_TRACKING_FINALIZER } from './pod-state.js';

/** Names made from generateName get 5 random characters; the whole must stay a 63-character label. */
const MAX_GENERATE_NAME_LENGTH = 58;

/**
 * A new pod for `job` (with `index` for Indexed Jobs). The template's labels, annotations and
 * spec are copied; the API server already put the job-name and controller-uid labels on the
 * template. Indexed pods get the index as annotation and label, and the hostname
 * `<job>-<index>` unless the template sets one. The returned object is the caller's.
 */
export function desiredPod(job: Job, index?: number): DeepMutable<Pod> {
  const name = job.metadata?.name ?? '';
  const template = deepCopy(job.spec?.template ?? {}) as DeepMutable<NonNullable<Job['spec']>['template']>;
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
  const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
  const spec = template.spec ?? { containers: [] };
  let prefix = `${name}-`;
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    spec.hostname ||= `${name}-${index}`;
    prefix = `${name}-${index}-`;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: prefix.length > MAX_GENERATE_NAME_LENGTH ? prefix.slice(0, MAX_GENERATE_NAME_LENGTH) : prefix,
      namespace: job.metadata?.namespace,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      finalizers: [JOB_TRACKING_FINALIZER],
    },
    spec,
  };
}

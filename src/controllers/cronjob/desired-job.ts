// The Job a CronJob starts for one scheduled time. Pure.
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { deepCopy, type DeepMutable, type KubeObject } from '../../api/object.js';
import { formatInZone } from './schedule.js';

/** The scheduled time a Job was made for (RFC 3339, in the CronJob's time zone). */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** `<cronjob>-<minutes since the epoch of the scheduled time>`: one name per scheduled time. */
export function jobName(cronJobName: string, scheduled: Date): string {
  return `${cronJobName}-${Math.floor(scheduled.getTime() / 60_000)}`;
}

/**
 * The Job for `scheduled`: the template's labels, annotations and spec, the scheduled-timestamp
 * annotation (in `timeZone`, UTC when the CronJob sets none), owned by the CronJob. The returned
 * object is the caller's.
 */
export function desiredJob(cronJob: CronJob, scheduled: Date, timeZone: string): DeepMutable<Job> & KubeObject {
  const template = deepCopy(cronJob.spec?.jobTemplate ?? {}) as DeepMutable<NonNullable<CronJob['spec']>['jobTemplate']>;
  const name = cronJob.metadata?.name ?? '';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(name, scheduled),
      namespace: cronJob.metadata?.namespace,
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      annotations: { ...(template.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, timeZone) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cronJob.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: template.spec ?? { template: {} },
  };
}

// The CronJob controller's wiring: CronJob and Job informers → CronJob keys (`namespace/name`) in
// a work queue → CronJobReconciler.reconcile, which says when the next scheduled time is; the key
// comes back then through the queue's Clock-driven delay.
import { objectKey } from '../../api/object.js';
import { errorMessage, runWorker } from '../work-loop.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { controllerRef } from '../job/pod-state.js';
import { CRONJOBS, CronJobReconciler, JOBS, type CronJobObject, type JobObject } from './reconcile.js';

export const CRONJOB_CONTROLLER_NAME = 'cronjob';
/** The component name on Events and log lines (kube-controller-manager's). */
export const CRONJOB_COMPONENT = 'cronjob-controller';
/** Index of the jobs informer: `namespace/cronjob name` of the Job's CronJob controller reference. */
export const JOBS_BY_CRONJOB_INDEX = 'cronjob-controller/cronjob';

export interface CronJobControllerOptions {
  /** concurrent reconciles; default 5 (--concurrent-cron-job-syncs) */
  readonly workers?: number;
  /** zone for CronJobs without spec.timeZone; default the process's local zone, as kube-controller-manager */
  readonly defaultTimeZone?: string;
}

export function createCronJobController(deps: ControllerDeps, opts: CronJobControllerOptions = {}): Controller {
  return {
    name: CRONJOB_CONTROLLER_NAME,
    start: (signal) => startCronJobController(deps, opts, signal),
  };
}

function cronJobKeyOf(j: JobObject): string | undefined {
  const ref = controllerRef(j.metadata);
  if (!ref || ref.kind !== 'CronJob' || ref.apiVersion.split('/')[0] !== 'batch') return undefined;
  return `${j.metadata?.namespace ?? ''}/${ref.name}`;
}

function startCronJobController(deps: ControllerDeps, opts: CronJobControllerOptions, signal: AbortSignal): void {
  const log = (line: string) => deps.log(`${CRONJOB_COMPONENT}: ${line}`);
  const queue = new WorkQueue({ clock: deps.clock });
  const cronJobs = deps.informers.forResource<CronJobObject>(CRONJOBS);
  const jobs = deps.informers.forResource<JobObject>(JOBS, {
    [JOBS_BY_CRONJOB_INDEX]: (j) => {
      const key = cronJobKeyOf(j);
      return key ? [key] : [];
    },
  });
  const reconciler = new CronJobReconciler({
    client: deps.client,
    clock: deps.clock,
    recorder: deps.recorder(CRONJOB_COMPONENT),
    log: deps.log,
    cronJobs: cronJobs.lister,
    jobsForCronJob: (key) => jobs.indexer.byIndex(JOBS_BY_CRONJOB_INDEX, key),
    defaultTimeZone: opts.defaultTimeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
  });

  const enqueueOwner = (j: JobObject): void => {
    const key = cronJobKeyOf(j);
    if (key) queue.add(key);
  };
  const removeCronJobs = cronJobs.addEventHandler({
    onAdd: (c) => queue.add(objectKey(c)),
    onUpdate: (_old, c) => queue.add(objectKey(c)),
    onDelete: (c) => queue.add(objectKey(c)),
  });
  const removeJobs = jobs.addEventHandler({
    onAdd: enqueueOwner,
    onUpdate: (old, j) => {
      const before = cronJobKeyOf(old);
      if (before && before !== cronJobKeyOf(j)) queue.add(before);
      enqueueOwner(j);
    },
    onDelete: enqueueOwner,
  });

  const run = (): Promise<void> =>
    runWorker(
      queue,
      async (key) => {
        const result = await reconciler.reconcile(key);
        return result.requeueAfterMs === undefined ? undefined : Math.max(1, result.requeueAfterMs);
      },
      (key, e) => log(`syncing cronjob ${key} failed, retrying: ${errorMessage(e)}`),
    );

  const stop = (): void => {
    removeCronJobs();
    removeJobs();
    queue.shutDown();
  };
  if (signal.aborted) return stop();
  signal.addEventListener('abort', stop, { once: true });
  void (async () => {
    const synced = (await cronJobs.waitForSync(signal)) && (await jobs.waitForSync(signal));
    if (!synced) return;
    log('caches synced; starting workers');
    for (let i = 0; i < (opts.workers ?? 5); i++) void run();
  })();
}


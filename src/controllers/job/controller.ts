// The Job controller's wiring: Job and Pod informers → Job keys (`namespace/name`) in a work
// queue → JobReconciler.reconcile. Pod events also settle the controller's expectations (pods
// created, deleted, released) before the Job is looked at again.
import { objectKey } from '../../api/object.js';
import { errorMessage, runWorker } from '../work-loop.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { Expectations } from './expectations.js';
import { DEFAULT_MAX_POD_FAILURE_BACKOFF_MS, DEFAULT_POD_FAILURE_BACKOFF_MS } from './job-status.js';
import { hasTrackingFinalizer, jobControllerRef } from './pod-state.js';
import { JOBS, JobReconciler, PODS, type JobObject, type PodObject, type ReconcileResult } from './reconcile.js';

export const JOB_CONTROLLER_NAME = 'job';
/** The component name on Events and log lines. */
export const JOB_COMPONENT = 'job-controller';
/** Index of the pods informer: `namespace/job name` of the pod's Job controller reference. */
export const PODS_BY_JOB_INDEX = 'job-controller/job';

export interface JobControllerOptions {
  /** concurrent reconciles; default 5 (kube-controller-manager's --concurrent-job-syncs) */
  readonly workers?: number;
  /** delay before replacing the first failed pod, doubled per further failure; default 10 s */
  readonly podFailureBackoffMs?: number;
  /** cap of that delay; default 6 min */
  readonly maxPodFailureBackoffMs?: number;
}

export function createJobController(deps: ControllerDeps, opts: JobControllerOptions = {}): Controller {
  return {
    name: JOB_CONTROLLER_NAME,
    start: (signal) => startJobController(deps, opts, signal),
  };
}

function startJobController(deps: ControllerDeps, opts: JobControllerOptions, signal: AbortSignal): void {
  const clock = deps.clock;
  const log = (line: string) => deps.log(`${JOB_COMPONENT}: ${line}`);
  const queue = new WorkQueue({ clock });
  const expectations = new Expectations(clock);
  const jobs = deps.informers.forResource<JobObject>(JOBS);
  const pods = deps.informers.forResource<PodObject>(PODS, {
    [PODS_BY_JOB_INDEX]: (p) => {
      const ref = jobControllerRef(p);
      return ref ? [`${p.metadata?.namespace ?? ''}/${ref.name}`] : [];
    },
  });
  const reconciler = new JobReconciler({
    client: deps.client,
    clock,
    recorder: deps.recorder(JOB_COMPONENT),
    log: deps.log,
    jobs: jobs.lister,
    podsForJob: (key) => pods.indexer.byIndex(PODS_BY_JOB_INDEX, key),
    expectations,
    backoff: { initialMs: opts.podFailureBackoffMs ?? DEFAULT_POD_FAILURE_BACKOFF_MS, maxMs: opts.maxPodFailureBackoffMs ?? DEFAULT_MAX_POD_FAILURE_BACKOFF_MS },
  });

  const jobKey = (p: PodObject): string | undefined => {
    const ref = jobControllerRef(p);
    return ref ? `${p.metadata?.namespace ?? ''}/${ref.name}` : undefined;
  };
  /** Settles expectations for what the cache now shows of `p`; returns its Job key. */
  const observe = (p: PodObject, gone: boolean): string | undefined => {
    const key = jobKey(p);
    const uid = p.metadata?.uid ?? '';
    if (gone || !hasTrackingFinalizer(p)) expectations.finalizerRemovalObserved(uid);
    if (key && (gone || p.metadata?.deletionTimestamp)) expectations.deletionObserved(key, uid);
    return key;
  };
  const removeJobs = jobs.addEventHandler({
    onAdd: (j) => queue.add(objectKey(j)),
    onUpdate: (_old, j) => queue.add(objectKey(j)),
    onDelete: (j) => queue.add(objectKey(j)),
  });
  const removePods = pods.addEventHandler({
    onAdd: (p, initial) => {
      const key = observe(p, false);
      if (!key) return;
      if (!initial) expectations.creationObserved(key);
      queue.add(key);
    },
    onUpdate: (old, p) => {
      const key = observe(p, false);
      const oldKey = jobKey(old);
      if (oldKey && oldKey !== key) queue.add(oldKey);
      if (key) queue.add(key);
    },
    onDelete: (p) => {
      const key = observe(p, true);
      if (key) queue.add(key);
    },
  });

  const run = (): Promise<void> =>
    runWorker(
      queue,
      async (key) => {
        const result: ReconcileResult = await reconciler.reconcile(key);
        return result.requeueAfterMs === undefined ? undefined : Math.max(1, result.requeueAfterMs);
      },
      (key, e) => log(`syncing job ${key} failed, retrying: ${errorMessage(e)}`),
    );

  const stop = (): void => {
    removeJobs();
    removePods();
    queue.shutDown();
  };
  if (signal.aborted) return stop();
  signal.addEventListener('abort', stop, { once: true });
  void (async () => {
    const synced = (await jobs.waitForSync(signal)) && (await pods.waitForSync(signal));
    if (!synced) return;
    log('caches synced; starting workers');
    for (let i = 0; i < (opts.workers ?? 5); i++) void run();
  })();
}


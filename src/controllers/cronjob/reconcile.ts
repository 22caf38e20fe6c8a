// The CronJob controller's reconcile: bring status.active in line with the Jobs the CronJob owns,
// trim the finished-Job history, then start the Job for the scheduled time that is due (if the
// concurrency policy and startingDeadlineSeconds allow) and say when to look again.
//
// Idempotent: a scheduled time maps to one Job name, so a repeated attempt finds the Job already
// there; status writes are compare-and-swap on the CronJob's resourceVersion. Throws on API
// failures (the caller requeues with backoff).
import { rfc3339 } from '../../api/time.js';
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { deepCopy, type DeepMutable, type KubeObject } from '../../api/object.js';
import { resourceInfo, type Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/lister.js';
import { conditionTrue, jobFinished } from '../job/job-status.js';
import { controllerRef } from '../job/pod-state.js';
import { isNamespaceTerminating, sameJson } from '../job/reconcile.js';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, desiredJob, jobName } from './desired-job.js';
import { dueSchedule, MAX_MISSED_SCHEDULES } from './missed-schedules.js';
import { isTimeZone, nextAfter, parseSchedule, ScheduleError, type Schedule } from './schedule.js';

export type CronJobObject = CronJob & KubeObject;
export type JobObject = Job & KubeObject;
type MutableStatus = DeepMutable<CronJobStatus>;

export const CRONJOBS = resourceInfo('batch', 'v1', 'cronjobs');
export const JOBS = resourceInfo('batch', 'v1', 'jobs');

/** Requeue this long after the next scheduled time, so the clock has surely passed it (as Kubernetes does). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export interface CronJobReconcilerDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly log: (line: string) => void;
  readonly cronJobs: Lister<CronJobObject>;
  /** Cached Jobs whose controller reference names the CronJob `namespace/name` (any uid). */
  readonly jobsForCronJob: (key: string) => JobObject[];
  /** zone for CronJobs without spec.timeZone (kube-controller-manager uses its local zone) */
  readonly defaultTimeZone: string;
}

export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export class CronJobReconciler {
  constructor(private readonly deps: CronJobReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.deps.cronJobs.get(namespace, name);
    if (!cached) return {};
    const cj = deepCopy(cached) as CronJobObject;
    const uid = cj.metadata?.uid;
    const jobs = this.deps.jobsForCronJob(key).filter((j) => controllerRef(j.metadata)?.uid === uid);
    const status: MutableStatus = deepCopy(cj.status ?? {});

    await this.syncActive(cj, jobs, status);
    if (!cj.metadata?.deletionTimestamp) await this.cleanupHistory(cj, jobs);
    let result: ReconcileResult = {};
    if (!cj.metadata?.deletionTimestamp) result = await this.schedule(cj, status);
    if (!sameJson(status, cj.status ?? {})) {
      await this.deps.client.updateStatus(CRONJOBS, { ...cj, status });
    }
    return result;
  }

  /** status.active ← the owned Jobs still running; lastSuccessfulTime from completed ones. */
  private async syncActive(cj: CronJobObject, jobs: JobObject[], status: MutableStatus): Promise<void> {
    const { recorder } = this.deps;
    const active = (status.active ??= []);
    for (const j of jobs) {
      const i = active.findIndex((r) => r.uid === j.metadata?.uid);
      const finished = jobFinished(j);
      if (i < 0 && !finished && !j.metadata?.deletionTimestamp) {
        // Ours but not on record: we crashed between creating it and writing status, or a
        // relist reordered events. Adopt it so the concurrency policy sees it.
        active.push(objectRef(j));
        const scheduled = scheduledTimeOf(j);
        if (scheduled && (!status.lastScheduleTime || Date.parse(status.lastScheduleTime) < scheduled.getTime())) status.lastScheduleTime = rfc3339(scheduled.getTime());
      } else if (i >= 0 && finished) {
        active.splice(i, 1);
        const outcome = conditionTrue(j.status, 'Complete') ? 'Complete' : 'Failed';
        recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name ?? ''}, status: ${outcome}`);
      }
      const done = conditionTrue(j.status, 'Complete') ? Date.parse(j.status?.completionTime ?? '') : Number.NaN;
      if (!Number.isNaN(done) && (!status.lastSuccessfulTime || Date.parse(status.lastSuccessfulTime) < done)) status.lastSuccessfulTime = rfc3339(done);
    }
    // On record but not in the cache: gone, unless the cache is behind (a Job just created).
    const known = new Set(jobs.map((j) => j.metadata?.uid));
    for (const ref of [...active]) {
      if (known.has(ref.uid)) continue;
      try {
        const live = await this.deps.client.get<JobObject>(JOBS, ref.namespace ?? cj.metadata?.namespace, ref.name ?? '');
        if (live.metadata?.uid === ref.uid && !jobFinished(live)) continue;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      active.splice(active.indexOf(ref), 1);
      recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
    }
    if (!active.length) delete status.active;
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit. */
  private async cleanupHistory(cj: CronJobObject, jobs: JobObject[]): Promise<void> {
    const limits: [string, number | undefined][] = [
      ['Complete', cj.spec?.successfulJobsHistoryLimit],
      ['Failed', cj.spec?.failedJobsHistoryLimit],
    ];
    for (const [type, limit] of limits) {
      if (limit === undefined || limit === null) continue;
      const finished = jobs.filter((j) => conditionTrue(j.status, type) && !j.metadata?.deletionTimestamp).sort(byStartTime);
      for (const j of finished.slice(0, Math.max(0, finished.length - limit))) await this.deleteJob(cj, j);
    }
  }

  /** Starts the Job that is due, if any; returns when to look again. */
  private async schedule(cj: CronJobObject, status: MutableStatus): Promise<ReconcileResult> {
    const { client, clock, recorder } = this.deps;
    const spec = cj.spec;
    const timeZone = spec?.timeZone ?? this.deps.defaultTimeZone;
    if (!isTimeZone(timeZone)) {
      recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${timeZone}": unknown time zone ${timeZone}`);
      return {};
    }
    let schedule: Schedule;
    try {
      schedule = parseSchedule(spec?.schedule ?? '');
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
      recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${spec?.schedule ?? ''} : ${e.message}`);
      return {};
    }
    if (spec?.suspend) return {};

    const now = new Date(clock.now());
    const next = nextAfter(schedule, now, timeZone);
    const requeue: ReconcileResult = next ? { requeueAfterMs: next.getTime() - now.getTime() + NEXT_SCHEDULE_DELTA_MS } : {};
    const earliest = new Date(Date.parse(status.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? '') || now.getTime());
    const deadline = spec?.startingDeadlineSeconds ?? undefined;
    const due = dueSchedule(schedule, { earliest, now, timeZone, ...(deadline !== undefined ? { startingDeadlineSeconds: deadline } : {}) });
    if (due.tooMany) {
      recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: > ${MAX_MISSED_SCHEDULES}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const scheduled = due.mostRecent;
    if (!scheduled) return requeue;
    if (deadline !== undefined && scheduled.getTime() + deadline * 1000 < now.getTime()) {
      recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return requeue;
    }
    const name = jobName(cj.metadata?.name ?? '', scheduled);
    const active = status.active ?? [];
    if (active.some((r) => r.name === name)) return requeue;

    const policy = spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length) {
      recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue;
    }
    if (policy === 'Replace') {
      for (const ref of [...active]) {
        await this.deleteJob(cj, { metadata: { name: ref.name, namespace: ref.namespace ?? cj.metadata?.namespace, uid: ref.uid } });
        active.splice(active.indexOf(ref), 1);
      }
      if (!active.length) delete status.active;
    }

    let job: JobObject;
    try {
      job = await client.create(JOBS, desiredJob(cj, scheduled, spec?.timeZone ?? 'UTC'));
      recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata?.name ?? ''}`);
    } catch (e) {
      if (isNamespaceTerminating(e)) return {};
      if (!isAlreadyExists(e)) {
        recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      // Made by an earlier attempt (ours if we own it): record it rather than fail.
      job = await client.get<JobObject>(JOBS, cj.metadata?.namespace, name);
      if (controllerRef(job.metadata)?.uid !== cj.metadata?.uid) {
        recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: job ${name} already exists and is not owned by this CronJob`);
        return requeue;
      }
    }
    if (!jobFinished(job) && !active.some((r) => r.uid === job.metadata?.uid)) status.active = [...active, objectRef(job)];
    status.lastScheduleTime = rfc3339(scheduled.getTime());
    return requeue;
  }

  private async deleteJob(cj: CronJobObject, job: Pick<JobObject, 'metadata'>): Promise<void> {
    const m = job.metadata ?? {};
    try {
      await this.deps.client.delete(JOBS, m.namespace, m.name ?? '', { propagationPolicy: 'Background', ...(m.uid ? { preconditions: { uid: m.uid } } : {}) });
      this.deps.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${m.name ?? ''}`);
    } catch (e) {
      if (isNotFound(e)) return;
      this.deps.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  }
}

function objectRef(j: JobObject): DeepMutable<ObjectReference> {
  return {
    kind: 'Job',
    namespace: j.metadata?.namespace,
    name: j.metadata?.name,
    uid: j.metadata?.uid,
    apiVersion: 'batch/v1',
    resourceVersion: j.metadata?.resourceVersion,
  };
}

/** The scheduled time recorded on a Job made by a CronJob, if readable. */
function scheduledTimeOf(j: JobObject): Date | undefined {
  const t = Date.parse(j.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] ?? '');
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Oldest first: by status.startTime, Jobs that never started last, then by name. */
function byStartTime(a: JobObject, b: JobObject): number {
  const ta = Date.parse(a.status?.startTime ?? '');
  const tb = Date.parse(b.status?.startTime ?? '');
  if (Number.isNaN(ta) !== Number.isNaN(tb)) return Number.isNaN(ta) ? 1 : -1;
  if (!Number.isNaN(ta) && ta !== tb) return ta - tb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function rfc1123z(t: Date): string {
  return t.toUTCString().replace('GMT', '+0000');
}

function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

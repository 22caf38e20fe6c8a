// Job conditions and the arithmetic behind them: when a Job is finished, past its deadline, over
// its backoff limit, and how long to wait before replacing a failed pod. Pure.
import { rfc3339 } from '../../api/time.js';
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { DeepMutable } from '../../api/object.js';

export type MutableJobStatus = DeepMutable<JobStatus>;

export const REASON_BACKOFF_LIMIT_EXCEEDED = 'BackoffLimitExceeded';
export const MESSAGE_BACKOFF_LIMIT_EXCEEDED = 'Job has reached the specified backoff limit';
export const REASON_DEADLINE_EXCEEDED = 'DeadlineExceeded';
export const MESSAGE_DEADLINE_EXCEEDED = 'Job was active longer than specified deadline';
export const REASON_COMPLETIONS_REACHED = 'CompletionsReached';
export const MESSAGE_COMPLETIONS_REACHED = 'Reached expected number of succeeded pods';
export const REASON_SUSPENDED = 'JobSuspended';
export const REASON_RESUMED = 'JobResumed';

/** Kubernetes' default delay before replacing a failed pod, doubled per further failure, and its cap. */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const DEFAULT_MAX_POD_FAILURE_BACKOFF_MS = 6 * 60_000;

export function findCondition(status: JobStatus | undefined, type: string): JobCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function conditionTrue(status: JobStatus | undefined, type: string): boolean {
  return findCondition(status, type)?.status === 'True';
}

/** A Job is finished once it has a Complete or Failed condition that is True. */
export function jobFinished(job: Job): boolean {
  return conditionTrue(job.status, 'Complete') || conditionTrue(job.status, 'Failed');
}

/** When the Job finished (ms), from completionTime or its final condition; undefined while it runs. */
export function jobFinishedAt(job: Job): number | undefined {
  const cond = [findCondition(job.status, 'Complete'), findCondition(job.status, 'Failed')].find((c) => c?.status === 'True');
  if (!cond) return undefined;
  const t = Date.parse(job.status?.completionTime ?? cond.lastTransitionTime ?? '');
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Sets condition `type` to `status` (with reason and message). The transition time moves only
 * when the status changes. Returns whether anything changed.
 */
export function setCondition(status: MutableJobStatus, type: string, value: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status === value && existing.reason === reason && existing.message === message) return false;
    if (existing.status !== value) existing.lastTransitionTime = rfc3339(now);
    existing.status = value;
    existing.reason = reason;
    existing.message = message;
    existing.lastProbeTime = rfc3339(now);
    return true;
  }
  conditions.push({ type, status: value, reason, message, lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) });
  return true;
}

/**
 * Whether the Job has failed too often: more failed pods than backoffLimit, or, for
 * restartPolicy OnFailure, as many container restarts in running pods as backoffLimit (any
 * restart when the limit is 0).
 */
export function exceedsBackoffLimit(job: Job, failed: number, activeRestarts: number): boolean {
  const limit = job.spec?.backoffLimit ?? 6;
  if (failed > limit) return true;
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  return limit === 0 ? activeRestarts > 0 : activeRestarts >= limit;
}

/** Milliseconds until activeDeadlineSeconds runs out (≤ 0: past it); undefined without a deadline or start time. */
export function deadlineRemaining(job: Job, now: number): number | undefined {
  const seconds = job.spec?.activeDeadlineSeconds;
  const start = Date.parse(job.status?.startTime ?? '');
  if (seconds === undefined || seconds === null || Number.isNaN(start)) return undefined;
  return start + seconds * 1000 - now;
}

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The delay before the next pod may be created after `failures` consecutive failures (counted
 * since the last success): initial × 2^(failures-1), capped; 0 without failures.
 */
export function podFailureBackoff(failures: number, policy: BackoffPolicy): number {
  if (failures <= 0) return 0;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures - 1, 30));
}

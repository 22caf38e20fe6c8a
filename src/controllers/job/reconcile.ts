// The Job controller's reconcile: one step of a Job towards its spec, from the informer caches.
//
// Counting. Every pod carries the tracking finalizer until its end has been counted, so a
// finished pod cannot vanish uncounted. A newly finished pod's uid is first written into
// status.uncountedTerminatedPods (and, for Indexed Jobs, its index into completedIndexes); then
// its finalizer is removed; then the uid moves into status.succeeded / status.failed. A crash
// between any two steps is repaired by the next reconcile.
//
// Finishing. Success (enough completions) or failure (backoffLimit, activeDeadlineSeconds) first
// sets SuccessCriteriaMet / FailureTarget and deletes what still runs; Complete / Failed follow
// once no pod of the Job is running or terminating, as Kubernetes ≥ 1.31 does.
//
// Idempotent: every decision is recomputed from the caches; status writes are compare-and-swap
// on the Job's resourceVersion, so a decision made on a stale Job fails with Conflict and is
// retried. Throws on API failures (the caller requeues with backoff).
import { rfc3339 } from '../../api/time.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isApiError, isNotFound } from '../../api/errors.js';
import { deepCopy, type DeepMutable, type KubeObject } from '../../api/object.js';
import { resourceInfo, type Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/lister.js';
import { desiredPod } from './desired-pod.js';
import type { Expectations } from './expectations.js';
import { formatIndexes, indexesToCreate, parseIndexes } from './indexes.js';
import {
  MESSAGE_BACKOFF_LIMIT_EXCEEDED,
  MESSAGE_COMPLETIONS_REACHED,
  MESSAGE_DEADLINE_EXCEEDED,
  REASON_BACKOFF_LIMIT_EXCEEDED,
  REASON_COMPLETIONS_REACHED,
  REASON_DEADLINE_EXCEEDED,
  REASON_RESUMED,
  REASON_SUSPENDED,
  conditionTrue,
  deadlineRemaining,
  exceedsBackoffLimit,
  findCondition,
  jobFinished,
  jobFinishedAt,
  podFailureBackoff,
  setCondition,
  type BackoffPolicy,
  type MutableJobStatus,
} from './job-status.js';
import {
  JOB_TRACKING_FINALIZER,
  deletionCost,
  hasTrackingFinalizer,
  isPodReady,
  jobControllerRef,
  podCompletionIndex,
  podFinishedAt,
  podOutcome,
  podRestarts,
} from './pod-state.js';
import { slowStart } from './slow-start.js';

export type JobObject = Job & KubeObject;
export type PodObject = Pod & KubeObject;
type MutableJob = DeepMutable<Job> & KubeObject;

export const JOBS = resourceInfo('batch', 'v1', 'jobs');
export const PODS = resourceInfo('', 'v1', 'pods');

/** spec.managedBy value (or absence) that means "this controller". */
export const JOB_CONTROLLER_MANAGER = 'kubernetes.io/job-controller';

export interface JobReconcilerDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly log: (line: string) => void;
  readonly jobs: Lister<JobObject>;
  /** Cached pods whose controller reference names the Job `namespace/name` (any uid). */
  readonly podsForJob: (key: string) => PodObject[];
  readonly expectations: Expectations;
  readonly backoff: BackoffPolicy;
}

export interface ReconcileResult {
  /** run again after this long (deadlines, pod backoff, TTL) */
  readonly requeueAfterMs?: number;
}

export class JobReconciler {
  /** job key → the resourceVersion of our latest status write, until the cache shows it */
  private readonly written = new Map<string, string>();

  constructor(private readonly deps: JobReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.deps.jobs.get(namespace, name);
    const pods = this.deps.podsForJob(key);
    if (!cached) {
      this.deps.expectations.delete(key);
      this.written.delete(key);
      await this.release(key, pods.filter(hasTrackingFinalizer), true);
      return {};
    }
    if (this.stale(key, cached)) return {};
    const uid = cached.metadata?.uid;
    const owned = pods.filter((p) => jobControllerRef(p)?.uid === uid);
    await this.release(key, pods.filter((p) => jobControllerRef(p)?.uid !== uid && hasTrackingFinalizer(p)), true);
    const managedBy = cached.spec?.managedBy;
    if (managedBy && managedBy !== JOB_CONTROLLER_MANAGER) return {};
    if (cached.metadata?.deletionTimestamp || jobFinished(cached)) {
      await this.release(key, owned.filter(hasTrackingFinalizer), true);
      return cached.metadata?.deletionTimestamp ? {} : this.expireAfterTtl(cached);
    }
    return this.sync(key, cached, owned);
  }

  // ---- a running Job ----

  private async sync(key: string, cached: JobObject, pods: PodObject[]): Promise<ReconcileResult> {
    const { clock, expectations } = this.deps;
    const now = clock.now();
    let job = deepCopy(cached) as MutableJob;
    const spec = job.spec ?? { template: {} };
    const indexed = spec.completionMode === 'Indexed';
    const completions = typeof spec.completions === 'number' ? spec.completions : undefined;
    const parallelism = spec.parallelism ?? 1;
    const replaceTerminating = spec.podReplacementPolicy !== 'Failed';
    const status: MutableJobStatus = (job.status ??= {});
    const uncounted = {
      succeeded: new Set(status.uncountedTerminatedPods?.succeeded ?? []),
      failed: new Set(status.uncountedTerminatedPods?.failed ?? []),
    };
    const completed = new Set(indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : []);
    const errors: unknown[] = [];

    // 1. Record pods that finished since the last sync.
    const active: PodObject[] = [];
    let terminating = 0;
    let newlyFinished = false;
    for (const pod of pods) {
      const podUid = pod.metadata?.uid ?? '';
      const phase = pod.status?.phase;
      if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') terminating++;
      const outcome = podOutcome(pod, replaceTerminating);
      if (outcome === 'active') active.push(pod);
      if (outcome !== 'succeeded' && outcome !== 'failed') continue;
      if (!hasTrackingFinalizer(pod) || expectations.finalizerRemovalPending(podUid)) continue;
      if (uncounted.succeeded.has(podUid) || uncounted.failed.has(podUid)) continue;
      newlyFinished = true;
      if (outcome === 'failed') {
        uncounted.failed.add(podUid);
        continue;
      }
      uncounted.succeeded.add(podUid);
      const index = indexed ? podCompletionIndex(pod) : undefined;
      if (index !== undefined && index < (completions ?? 0)) completed.add(index);
    }
    if (newlyFinished) {
      writeUncounted(status, uncounted);
      if (indexed) status.completedIndexes = formatIndexes(completed);
      job = await this.writeStatus(key, job);
    }

    // 2. Release the recorded pods, then count them.
    const byUid = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    const recorded = [...uncounted.succeeded, ...uncounted.failed].flatMap((u) => {
      const p = byUid.get(u);
      return p && hasTrackingFinalizer(p) && !expectations.finalizerRemovalPending(u) ? [p] : [];
    });
    const notReleased = await this.release(key, recorded, false, errors);
    let succeededCount = job.status?.succeeded ?? 0;
    let failedCount = job.status?.failed ?? 0;
    for (const u of [...uncounted.succeeded]) {
      if (notReleased.has(u)) continue;
      uncounted.succeeded.delete(u);
      if (!indexed) succeededCount++;
    }
    for (const u of [...uncounted.failed]) {
      if (notReleased.has(u)) continue;
      uncounted.failed.delete(u);
      failedCount++;
    }
    if (indexed) succeededCount = completed.size;

    // 3. Decide: finished, suspended, or pods to create and delete.
    let st: MutableJobStatus = deepCopy(job.status ?? {});
    st.succeeded = succeededCount;
    st.failed = failedCount;
    if (indexed) st.completedIndexes = formatIndexes(completed);
    const succeededTotal = indexed ? completed.size : succeededCount + uncounted.succeeded.size;
    const failedTotal = failedCount + uncounted.failed.size;
    const suspended = spec.suspend === true;
    let requeueAfterMs: number | undefined;
    const requeueIn = (ms: number): void => {
      requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms);
    };
    let created = 0;
    let deleted = 0;
    let activeLeft = active;

    const failing = conditionTrue(st, 'FailureTarget');
    const succeeding = conditionTrue(st, 'SuccessCriteriaMet');
    if (!failing && !succeeding && !suspended) {
      const restarts = active.reduce((n, p) => n + podRestarts(p), 0);
      const remaining = deadlineRemaining(job, now);
      if (exceedsBackoffLimit(job, failedTotal, restarts)) {
        setCondition(st, 'FailureTarget', 'True', REASON_BACKOFF_LIMIT_EXCEEDED, MESSAGE_BACKOFF_LIMIT_EXCEEDED, now);
      } else if (remaining !== undefined && remaining <= 0) {
        setCondition(st, 'FailureTarget', 'True', REASON_DEADLINE_EXCEEDED, MESSAGE_DEADLINE_EXCEEDED, now);
      } else if (completions !== undefined ? succeededTotal >= completions : succeededTotal > 0 && active.length === 0) {
        setCondition(st, 'SuccessCriteriaMet', 'True', REASON_COMPLETIONS_REACHED, MESSAGE_COMPLETIONS_REACHED, now);
      } else if (remaining !== undefined) {
        requeueIn(remaining);
      }
    }

    if (conditionTrue(st, 'FailureTarget')) {
      // Pods still running when the Job fails count as failed pods: on record before they go.
      if (active.length) {
        for (const p of active) if (hasTrackingFinalizer(p)) uncounted.failed.add(p.metadata?.uid ?? '');
        writeUncounted(st, uncounted);
        omitZero(st);
        job.status = st;
        job = await this.writeStatus(key, job);
        st = deepCopy(job.status ?? {});
      }
      deleted = await this.deletePods(key, job, active, false, errors);
      activeLeft = [];
    } else if (conditionTrue(st, 'SuccessCriteriaMet') || suspended) {
      if (suspended && setCondition(st, 'Suspended', 'True', REASON_SUSPENDED, 'Job suspended', now)) {
        this.deps.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
      deleted = await this.deletePods(key, job, active, true, errors);
      activeLeft = [];
    } else {
      if (conditionTrue(st, 'Suspended')) {
        setCondition(st, 'Suspended', 'False', REASON_RESUMED, 'Job resumed', now);
        st.startTime = rfc3339(now);
        this.deps.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      }
      st.startTime ??= rfc3339(now);
      if (expectations.satisfied(key)) {
        const plan = indexed
          ? planIndexed(active, completed, completions ?? 0, parallelism)
          : planNonIndexed(active, succeededTotal, completions, parallelism);
        deleted = await this.deletePods(key, job, plan.remove, true, errors);
        activeLeft = active.filter((p) => !plan.remove.includes(p));
        // With podReplacementPolicy Failed, a terminating pod holds its place until it has failed.
        const waiting = replaceTerminating ? 0 : terminating;
        const want = indexed
          ? plan.createIndexes.slice(0, Math.max(0, parallelism - activeLeft.length - waiting))
          : new Array<undefined>(Math.max(0, plan.create - waiting)).fill(undefined);
        if (want.length) {
          const wait = this.backoffWait(pods, now);
          if (wait > 0) requeueIn(wait);
          else created = await this.createPods(key, job, want, errors);
        }
      }
    }

    // 4. Finish once nothing runs any more.
    const settled = activeLeft.length === 0 && created === 0 && deleted === 0 && terminating === 0 && uncounted.succeeded.size === 0 && uncounted.failed.size === 0;
    if (settled && conditionTrue(st, 'FailureTarget') && !conditionTrue(st, 'Failed')) {
      const target = findCondition(st, 'FailureTarget')!;
      setCondition(st, 'Failed', 'True', target.reason ?? '', target.message ?? '', now);
      this.deps.recorder.event(job, 'Warning', target.reason ?? 'Failed', target.message ?? '');
    } else if (settled && conditionTrue(st, 'SuccessCriteriaMet') && !conditionTrue(st, 'Complete')) {
      setCondition(st, 'Complete', 'True', REASON_COMPLETIONS_REACHED, MESSAGE_COMPLETIONS_REACHED, now);
      st.completionTime = rfc3339(now);
      this.deps.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    }

    st.active = activeLeft.length + created;
    st.ready = activeLeft.filter(isPodReady).length;
    st.terminating = terminating + deleted;
    writeUncounted(st, uncounted);
    omitZero(st);
    if (!sameJson(st, job.status ?? {})) {
      job.status = st;
      job = await this.writeStatus(key, job);
    }
    if (errors.length) throw errors[0];
    if (jobFinished(job)) {
      const ttl = await this.expireAfterTtl(job);
      if (ttl.requeueAfterMs !== undefined) requeueIn(ttl.requeueAfterMs);
    }
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /** How long to wait before replacing failed pods: the backoff after the failures since the last success. */
  private backoffWait(pods: PodObject[], now: number): number {
    const finished = pods
      .filter((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
      .map((p) => ({ at: podFinishedAt(p), failed: p.status?.phase === 'Failed' }))
      .sort((a, b) => a.at - b.at);
    let failures = 0;
    let last = 0;
    for (const f of finished) {
      failures = f.failed ? failures + 1 : 0;
      last = f.at;
    }
    if (failures === 0) return 0;
    return last + podFailureBackoff(failures, this.deps.backoff) - now;
  }

  // ---- writes ----

  private async createPods(key: string, job: MutableJob, indexes: (number | undefined)[], errors: unknown[]): Promise<number> {
    const { client, expectations, recorder } = this.deps;
    expectations.expectCreations(key, indexes.length);
    const result = await slowStart(indexes.length, async (i) => {
      try {
        const pod = await client.create(PODS, desiredPod(job, indexes[i]) as PodObject);
        recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name ?? ''}`);
      } catch (e) {
        expectations.creationObserved(key);
        // The namespace is going away: every create will fail, and nothing is lost.
        if (isNamespaceTerminating(e)) return;
        recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${describe(e)}`);
        throw e;
      }
    });
    for (let i = 0; i < result.skipped; i++) expectations.creationObserved(key);
    errors.push(...result.errors);
    return result.succeeded;
  }

  /**
   * Deletes pods (uid preconditions). With `release`, their finalizer goes first so they are not
   * counted (the controller deleted them: not a failure). Returns how many deletions the server
   * accepted; failures go to `errors`.
   */
  private async deletePods(key: string, job: MutableJob, pods: PodObject[], release: boolean, errors: unknown[]): Promise<number> {
    const { client, expectations, recorder } = this.deps;
    if (!pods.length) return 0;
    if (release) {
      const kept = await this.release(key, pods.filter(hasTrackingFinalizer), false, errors);
      pods = pods.filter((p) => !kept.has(p.metadata?.uid ?? ''));
    }
    const results = await Promise.allSettled(
      pods.map(async (p) => {
        const uid = p.metadata?.uid ?? '';
        expectations.expectDeletion(key, uid);
        try {
          await client.delete(PODS, p.metadata?.namespace, p.metadata?.name ?? '', { preconditions: { uid } });
          recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name ?? ''}`);
        } catch (e) {
          expectations.deletionObserved(key, uid);
          if (isNotFound(e)) return;
          recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${describe(e)}`);
          throw e;
        }
      }),
    );
    let n = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') n++;
      else errors.push(r.reason);
    }
    return n;
  }

  /**
   * Removes the tracking finalizer from `pods` (a JSON patch that tests the uid and the
   * finalizer's position). Returns the uids whose finalizer may still be there; their errors go
   * to `errors`, or are thrown at the end when `throwErrors`.
   */
  private async release(key: string, pods: PodObject[], throwErrors: boolean, errors: unknown[] = []): Promise<Set<string>> {
    const { client, expectations } = this.deps;
    const kept = new Set<string>();
    const own: unknown[] = [];
    await Promise.all(
      pods.map(async (p) => {
        const uid = p.metadata?.uid ?? '';
        const i = p.metadata?.finalizers?.indexOf(JOB_TRACKING_FINALIZER) ?? -1;
        if (i < 0) return;
        expectations.expectFinalizerRemoval(key, uid);
        const patch = [
          { op: 'test', path: '/metadata/uid', value: uid },
          { op: 'test', path: `/metadata/finalizers/${i}`, value: JOB_TRACKING_FINALIZER },
          { op: 'remove', path: `/metadata/finalizers/${i}` },
        ];
        try {
          await client.patch(PODS, p.metadata?.namespace, p.metadata?.name ?? '', patch, 'json');
        } catch (e) {
          if (isNotFound(e)) return;
          expectations.finalizerRemovalObserved(uid);
          kept.add(uid);
          own.push(e);
        }
      }),
    );
    errors.push(...own);
    if (throwErrors && own.length) throw own[0];
    return kept;
  }

  private async writeStatus(key: string, job: MutableJob): Promise<MutableJob> {
    const out = (await this.deps.client.updateStatus(JOBS, job)) as MutableJob;
    const rv = out.metadata?.resourceVersion;
    if (rv) this.written.set(key, rv);
    return out;
  }

  /** Whether the cached Job predates our own latest status write (its update event is on the way). */
  private stale(key: string, cached: JobObject): boolean {
    const mine = this.written.get(key);
    const seen = cached.metadata?.resourceVersion;
    if (!mine || !seen) return false;
    if (/^\d+$/.test(mine) && /^\d+$/.test(seen) && BigInt(seen) < BigInt(mine)) return true;
    this.written.delete(key);
    return false;
  }

  /** Deletes a finished Job (Background propagation) once ttlSecondsAfterFinished has passed. */
  private async expireAfterTtl(job: JobObject | MutableJob): Promise<ReconcileResult> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    const finishedAt = jobFinishedAt(job);
    if (ttl === undefined || ttl === null || finishedAt === undefined) return {};
    const left = finishedAt + ttl * 1000 - this.deps.clock.now();
    if (left > 0) return { requeueAfterMs: left };
    const m = job.metadata ?? {};
    try {
      await this.deps.client.delete(JOBS, m.namespace, m.name ?? '', {
        propagationPolicy: 'Background',
        preconditions: { uid: m.uid, resourceVersion: m.resourceVersion },
      });
      this.deps.log(`job-controller: deleted job ${m.namespace}/${m.name}: ttlSecondsAfterFinished ${ttl} passed`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return {};
  }
}

// ---- plans ----

interface Plan {
  /** active pods to delete */
  readonly remove: PodObject[];
  /** NonIndexed: how many pods should be active after removals */
  readonly create: number;
  /** Indexed: indexes to start, in order */
  readonly createIndexes: number[];
}

/**
 * NonIndexed: min(parallelism, completions − succeeded) pods should run; with no completions
 * (a work queue), parallelism pods until one succeeds, then no new ones.
 */
export function planNonIndexed(active: readonly PodObject[], succeeded: number, completions: number | undefined, parallelism: number): Plan {
  let want: number;
  if (completions === undefined) want = succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;
  else want = Math.max(0, Math.min(parallelism, completions - succeeded));
  const remove = active.length > want ? [...active].sort(deletionCost).slice(0, active.length - want) : [];
  return { remove, create: Math.max(0, want - (active.length - remove.length)), createIndexes: [] };
}

/**
 * Indexed: one active pod per index not yet completed, at most `parallelism`, lowest indexes
 * first. Pods without a valid index, for a completed index, or duplicates of an index are removed;
 * beyond parallelism, the highest indexes go.
 */
export function planIndexed(active: readonly PodObject[], completed: ReadonlySet<number>, completions: number, parallelism: number): Plan {
  const remove: PodObject[] = [];
  const byIndex = new Map<number, PodObject[]>();
  for (const p of active) {
    const i = podCompletionIndex(p);
    if (i === undefined || i >= completions || completed.has(i)) {
      remove.push(p);
      continue;
    }
    const list = byIndex.get(i);
    if (list) list.push(p);
    else byIndex.set(i, [p]);
  }
  const kept: number[] = [];
  for (const [i, list] of byIndex) {
    // Keep the most valuable pod of each index.
    const sorted = [...list].sort(deletionCost);
    remove.push(...sorted.slice(0, -1));
    kept.push(i);
  }
  kept.sort((a, b) => a - b);
  while (kept.length > parallelism) remove.push(byIndex.get(kept.pop()!)!.slice().sort(deletionCost).at(-1)!);
  const taken = new Set(kept);
  return { remove, create: 0, createIndexes: indexesToCreate(completions, completed, taken, Math.max(0, parallelism - kept.length)) };
}

// ---- helpers ----

function writeUncounted(st: MutableJobStatus, uncounted: { succeeded: Set<string>; failed: Set<string> }): void {
  st.uncountedTerminatedPods = {
    ...(uncounted.succeeded.size ? { succeeded: [...uncounted.succeeded].sort() } : {}),
    ...(uncounted.failed.size ? { failed: [...uncounted.failed].sort() } : {}),
  };
}

/** Kubernetes omits zero counters (omitempty) but always reports ready and terminating. */
function omitZero(st: MutableJobStatus): void {
  if (!st.active) delete st.active;
  if (!st.succeeded) delete st.succeeded;
  if (!st.failed) delete st.failed;
  if (st.completedIndexes === '') delete st.completedIndexes;
}

/** Deep equality of JSON values, ignoring the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The API server refused a create because the namespace is being deleted (403, cause NamespaceTerminating). */
export function isNamespaceTerminating(e: unknown): boolean {
  return isApiError(e) && e.code === 403 && (e.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

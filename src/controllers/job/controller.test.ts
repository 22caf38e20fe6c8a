// The Job controller end to end over a FakeClient and a FakeClock: pods are "run" by the test,
// which sets their phase as a kubelet would; time moves only when the test says so.
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isConflict } from '../../api/errors.js';
import { deepCopy, type DeepMutable, type KubeObject } from '../../api/object.js';
import { createJobController } from './controller.js';
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_TRACKING_FINALIZER } from './pod-state.js';
import { JOBS, PODS, type JobObject, type PodObject } from './reconcile.js';
import { harness, type Harness } from './test-harness.js';

type JobSpecInput = Partial<DeepMutable<JobSpec>>;

/** Creates a Job as the API server stores it: defaults, generated selector, labelled template. */
async function createJob(h: Harness, name: string, spec: JobSpecInput, namespace = 'default'): Promise<JobObject> {
  const job: DeepMutable<Job> & KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: {
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
      ...spec,
    },
  };
  if (spec.completions === undefined && spec.parallelism === undefined) job.spec!.completions = 1;
  const created = await h.client.create(JOBS, job);
  const uid = created.metadata!.uid!;
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  const withLabels = deepCopy(created);
  withLabels.spec!.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  withLabels.spec!.template.metadata = { labels };
  return h.client.update(JOBS, withLabels);
}

async function getJob(h: Harness, name: string): Promise<JobObject> {
  return h.client.get<JobObject>(JOBS, 'default', name);
}

/** Changes the Job's spec as a user would (retrying when the controller wrote in between). */
async function editJob(h: Harness, name: string, edit: (spec: DeepMutable<JobSpec>) => void): Promise<void> {
  for (;;) {
    const job = deepCopy(await getJob(h, name)) as DeepMutable<Job> & KubeObject;
    edit(job.spec!);
    try {
      await h.client.update(JOBS, job);
      return;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

async function pods(h: Harness, namespace = 'default'): Promise<PodObject[]> {
  return h.list<PodObject>(PODS, namespace);
}

const running = (p: Pod) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** What a kubelet reports when the pod's container exits with `code` (or keeps running with restarts). */
async function setPodStatus(h: Harness, pod: PodObject, phase: 'Running' | 'Succeeded' | 'Failed', extra: { restarts?: number; ready?: boolean } = {}): Promise<void> {
  const live = (await h.client.get<PodObject>(PODS, pod.metadata!.namespace, pod.metadata!.name!)) as DeepMutable<Pod> & KubeObject;
  const now = new Date(h.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  const terminated = phase === 'Running' ? undefined : { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: now, startedAt: now };
  live.status = {
    phase,
    conditions: [{ type: 'Ready', status: extra.ready ? 'True' : 'False', lastTransitionTime: now }],
    containerStatuses: [
      {
        name: 'main',
        image: 'busybox',
        imageID: '',
        ready: extra.ready ?? false,
        restartCount: extra.restarts ?? 0,
        state: terminated ? { terminated } : { running: { startedAt: now } },
      },
    ],
  };
  await h.client.updateStatus(PODS, live);
}

async function condition(h: Harness, name: string, type: string): Promise<{ status?: string; reason?: string; message?: string } | undefined> {
  return (await getJob(h, name)).status?.conditions?.find((c) => c.type === type);
}

describe('job controller', () => {
  let h: Harness;
  afterEach(async () => {
    if (process.env.JOB_TEST_LOGS) console.log(h.logs.join('\n'));
    await h.stop();
  });

  it('runs completions 5 with parallelism 2 to Complete, never more than 2 at once', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'pi', { completions: 5, parallelism: 2 });
    let finished = 0;
    for (let round = 0; round < 10 && finished < 5; round++) {
      await h.until(async () => (await pods(h)).filter(running).length === Math.min(2, 5 - finished), `round ${round}`);
      const active = (await pods(h)).filter(running);
      assert.ok(active.length <= 2);
      for (const p of active) {
        await setPodStatus(h, p, 'Succeeded');
        finished++;
      }
      await h.idle();
    }
    await h.until(async () => (await condition(h, 'pi', 'Complete'))?.status === 'True', 'Complete');
    const job = await getJob(h, 'pi');
    assert.equal(job.status?.succeeded, 5);
    assert.equal(job.status?.failed, undefined);
    assert.equal(job.status?.active, undefined);
    assert.ok(job.status?.completionTime);
    assert.ok(job.status?.startTime);
    assert.equal((await condition(h, 'pi', 'SuccessCriteriaMet'))?.reason, 'CompletionsReached');
    assert.deepEqual(job.status?.uncountedTerminatedPods, {});
    const all = await pods(h);
    assert.equal(all.length, 5);
    for (const p of all) {
      assert.deepEqual(p.metadata?.finalizers ?? [], [], 'tracking finalizers are removed once counted');
      assert.equal(p.metadata?.labels?.['job-name'], 'pi');
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/controller-uid'], job.metadata?.uid);
      assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: job.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      assert.match(p.metadata?.name ?? '', /^pi-/);
    }
    await h.idle();
    const reasons = await h.eventReasons('pi');
    assert.equal(reasons.filter((r) => r === 'SuccessfulCreate').length, 5);
    assert.ok(reasons.includes('Completed'));
  });

  it('stops at backoffLimit: backoffLimit + 1 failed pods, replaced after 10 s then 20 s, then Failed', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'flaky', { backoffLimit: 2 });
    const delays = [10_000, 20_000];
    for (let attempt = 0; attempt < 3; attempt++) {
      await h.until(async () => (await pods(h)).filter(running).length === 1, `attempt ${attempt}`);
      await setPodStatus(h, (await pods(h)).filter(running)[0]!, 'Failed');
      await h.idle();
      if (attempt < 2) {
        // Not replaced before the backoff runs out.
        await h.clock.advance(delays[attempt]! - 1000);
        assert.equal((await pods(h)).filter(running).length, 0, `no replacement before ${delays[attempt]}ms`);
        await h.clock.advance(1000);
      }
    }
    await h.until(async () => (await condition(h, 'flaky', 'Failed'))?.status === 'True', 'Failed');
    const failed = await condition(h, 'flaky', 'Failed');
    assert.equal(failed?.reason, 'BackoffLimitExceeded');
    assert.equal(failed?.message, 'Job has reached the specified backoff limit');
    const job = await getJob(h, 'flaky');
    assert.equal(job.status?.failed, 3);
    assert.equal(job.status?.completionTime, undefined);
    assert.equal((await pods(h)).length, 3);
    await h.clock.advance(60 * 60_000);
    assert.equal((await pods(h)).length, 3, 'no pods after the Job failed');
    assert.ok((await h.eventReasons('flaky')).includes('BackoffLimitExceeded'));
  });

  it('counts container restarts toward backoffLimit for restartPolicy OnFailure', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'crashy', { backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox' }] } } });
    await h.until(async () => (await pods(h)).length === 1, 'pod');
    const [pod] = await pods(h);
    await setPodStatus(h, pod!, 'Running', { restarts: 1 });
    await h.idle();
    assert.equal((await condition(h, 'crashy', 'FailureTarget'))?.status, undefined);
    await setPodStatus(h, pod!, 'Running', { restarts: 2 });
    await h.until(async () => (await condition(h, 'crashy', 'Failed'))?.status === 'True', 'Failed');
    assert.equal((await condition(h, 'crashy', 'Failed'))?.reason, 'BackoffLimitExceeded');
    // The pod still running was deleted (the fake has no kubelet: it goes at once) and counted as failed.
    assert.equal((await pods(h)).length, 0);
    assert.equal((await getJob(h, 'crashy')).status?.failed, 1);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds, deleting running pods', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'slow', { completions: 3, parallelism: 2, activeDeadlineSeconds: 30 });
    await h.until(async () => (await pods(h)).length === 2, 'pods');
    await h.clock.advance(29_000);
    assert.equal((await condition(h, 'slow', 'FailureTarget'))?.status, undefined);
    await h.clock.advance(1_000);
    await h.until(async () => (await condition(h, 'slow', 'Failed'))?.status === 'True', 'Failed');
    const failed = await condition(h, 'slow', 'Failed');
    assert.equal(failed?.reason, 'DeadlineExceeded');
    assert.equal(failed?.message, 'Job was active longer than specified deadline');
    assert.equal((await pods(h)).length, 0);
    assert.equal((await getJob(h, 'slow')).status?.failed, 2);
    assert.ok((await h.eventReasons('slow')).includes('DeadlineExceeded'));
  });

  it('runs Indexed Jobs: one pod per index, hostname and index annotation, completedIndexes', async () => {
    h = harness();
    h.start(createJobController(h.deps, { podFailureBackoffMs: 1000 }));
    await createJob(h, 'idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' });
    await h.until(async () => (await pods(h)).length === 3, 'pods');
    const byIndex = new Map((await pods(h)).map((p) => [p.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    for (const [i, p] of byIndex) {
      assert.equal(p.spec?.hostname, `idx-${i}`);
      assert.equal(p.metadata?.labels?.[JOB_COMPLETION_INDEX_ANNOTATION], i);
      assert.match(p.metadata?.name ?? '', new RegExp(`^idx-${i}-`));
      assert.deepEqual(p.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
    }
    await setPodStatus(h, byIndex.get('1')!, 'Succeeded');
    await h.until(async () => (await getJob(h, 'idx')).status?.completedIndexes === '1', 'index 1 completed');
    await setPodStatus(h, byIndex.get('0')!, 'Failed');
    await h.idle();
    await h.clock.advance(1000);
    await h.until(async () => (await pods(h)).filter(running).length === 2, 'index 0 replaced');
    const replacement = (await pods(h)).filter(running).find((p) => p.metadata?.uid !== byIndex.get('2')!.metadata?.uid)!;
    assert.equal(replacement.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION], '0');
    for (const p of (await pods(h)).filter(running)) await setPodStatus(h, p, 'Succeeded');
    await h.until(async () => (await condition(h, 'idx', 'Complete'))?.status === 'True', 'Complete');
    const job = await getJob(h, 'idx');
    assert.equal(job.status?.completedIndexes, '0-2');
    assert.equal(job.status?.succeeded, 3);
    assert.equal(job.status?.failed, 1);
  });

  it('suspends and resumes: no pods while suspended, startTime reset on resume', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'later', { completions: 2, parallelism: 2, suspend: true });
    await h.until(async () => (await condition(h, 'later', 'Suspended'))?.status === 'True', 'Suspended');
    assert.equal((await pods(h)).length, 0);
    assert.equal((await getJob(h, 'later')).status?.startTime, undefined);
    await h.clock.advance(5000);
    await editJob(h, 'later', (spec) => (spec.suspend = false));
    await h.until(async () => (await pods(h)).length === 2, 'pods after resume');
    await h.until(async () => (await condition(h, 'later', 'Suspended'))?.status === 'False', 'resumed');
    assert.equal((await getJob(h, 'later')).status?.startTime, '2025-01-01T00:00:05Z');
    // Suspending again deletes the running pods without counting them as failures.
    await editJob(h, 'later', (spec) => (spec.suspend = true));
    await h.until(async () => (await pods(h)).length === 0, 'pods deleted on suspend');
    await h.idle();
    assert.equal((await getJob(h, 'later')).status?.failed, undefined);
    const reasons = await h.eventReasons('later');
    assert.ok(reasons.includes('Suspended') && reasons.includes('Resumed') && reasons.includes('SuccessfulDelete'));
  });

  it('deletes a finished Job ttlSecondsAfterFinished later', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'short', { ttlSecondsAfterFinished: 60 });
    await h.until(async () => (await pods(h)).length === 1, 'pod');
    await setPodStatus(h, (await pods(h))[0]!, 'Succeeded');
    await h.until(async () => (await condition(h, 'short', 'Complete'))?.status === 'True', 'Complete');
    await h.clock.advance(59_000);
    assert.equal((await h.list(JOBS, 'default')).length, 1);
    await h.clock.advance(1_000);
    await h.until(async () => (await h.list(JOBS, 'default')).length === 0, 'job deleted');
  });

  it('treats a Job without completions as a work queue: no new pods after the first success', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'queue', { parallelism: 2 });
    await h.until(async () => (await pods(h)).length === 2, 'pods');
    const [a, b] = await pods(h);
    await setPodStatus(h, a!, 'Succeeded');
    await h.idle();
    assert.equal((await pods(h)).length, 2, 'no replacement once one pod succeeded');
    assert.equal((await condition(h, 'queue', 'Complete'))?.status, undefined);
    await setPodStatus(h, b!, 'Succeeded');
    await h.until(async () => (await condition(h, 'queue', 'Complete'))?.status === 'True', 'Complete');
    assert.equal((await getJob(h, 'queue')).status?.succeeded, 2);
  });

  it('lowers parallelism by deleting the least valuable pods', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'wide', { completions: 10, parallelism: 3 });
    await h.until(async () => (await pods(h)).length === 3, 'pods');
    const [first] = await pods(h);
    await setPodStatus(h, first!, 'Running', { ready: true });
    await editJob(h, 'wide', (spec) => (spec.parallelism = 1));
    await h.until(async () => (await pods(h)).length === 1, 'scaled down');
    assert.equal((await pods(h))[0]!.metadata?.uid, first!.metadata?.uid, 'the ready pod stays');
    await h.idle();
    assert.equal((await getJob(h, 'wide')).status?.failed, undefined);
  });

  it('releases the pods of a deleted Job so they can go', async () => {
    h = harness();
    h.start(createJobController(h.deps));
    await createJob(h, 'gone', { completions: 2, parallelism: 2 });
    await h.until(async () => (await pods(h)).length === 2, 'pods');
    await h.client.delete(JOBS, 'default', 'gone', { propagationPolicy: 'Background' });
    await h.until(async () => (await pods(h)).every((p) => !p.metadata?.finalizers?.length), 'finalizers removed');
  });
});

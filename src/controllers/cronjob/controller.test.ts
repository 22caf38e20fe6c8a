// The CronJob controller end to end over a FakeClient and a FakeClock: time moves only when the
// test advances it; Jobs are finished by the test as the Job controller would.
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import type { CronJob, CronJobSpec, Job } from 'kubernetes-types/batch/v1.js';
import { deepCopy, type DeepMutable, type KubeObject } from '../../api/object.js';
import { FakeClient } from '../../client/fake-client.js';
import { FakeClock } from '../../client/fake-clock.js';
import { harness, type Harness } from '../job/test-harness.js';
import { createCronJobController } from './controller.js';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, jobName } from './desired-job.js';
import { CRONJOBS, JOBS, type CronJobObject, type JobObject } from './reconcile.js';

const T0 = Date.UTC(2025, 0, 1, 0, 0, 0);
const MINUTE = 60_000;

async function createCronJob(h: Harness, name: string, spec: Partial<DeepMutable<CronJobSpec>>): Promise<CronJobObject> {
  const cj: DeepMutable<CronJob> & KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/1 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: name } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
      },
      ...spec,
    },
  };
  return h.client.create(CRONJOBS, cj);
}

async function jobs(h: Harness): Promise<JobObject[]> {
  return (await h.list<JobObject>(JOBS, 'default')).filter((j) => !j.metadata?.deletionTimestamp);
}

async function cronJob(h: Harness, name: string): Promise<CronJobObject> {
  return h.client.get<CronJobObject>(CRONJOBS, 'default', name);
}

/** What the Job controller writes when a Job ends. */
async function finishJob(h: Harness, job: JobObject, type: 'Complete' | 'Failed', startedAt: number): Promise<void> {
  const live = deepCopy(await h.client.get<JobObject>(JOBS, 'default', job.metadata!.name!)) as DeepMutable<Job> & KubeObject;
  const now = new Date(h.clock.now()).toISOString().replace('.000Z', 'Z');
  live.status = {
    startTime: new Date(startedAt).toISOString().replace('.000Z', 'Z'),
    conditions: [{ type, status: 'True', lastTransitionTime: now, lastProbeTime: now }],
    ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
  };
  await h.client.updateStatus(JOBS, live);
}

/** Advances the clock to just after the scheduled time `t` and lets the controller act. */
async function reach(h: Harness, t: number): Promise<void> {
  await h.clock.advance(t + 200 - h.clock.now());
  await h.idle();
}

describe('cronjob controller', () => {
  let h: Harness;
  afterEach(async () => {
    if (process.env.CRONJOB_TEST_LOGS) console.log(h.logs.join('\n'));
    await h.stop();
  });

  it('creates a Job per scheduled time, owned and annotated, and records it in status', async () => {
    h = harness();
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    const cj = await createCronJob(h, 'hello', {});
    await h.idle();
    assert.equal((await jobs(h)).length, 0, 'nothing before the first scheduled time');
    await reach(h, T0 + MINUTE);
    const [job] = await jobs(h);
    assert.ok(job);
    assert.equal(job.metadata?.name, jobName('hello', new Date(T0 + MINUTE)));
    assert.equal(job.metadata?.name, `hello-${(T0 + MINUTE) / MINUTE}`);
    assert.equal(job.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION], '2025-01-01T00:01:00Z');
    assert.deepEqual(job.metadata?.labels, { app: 'hello' });
    assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(job.spec?.template.spec?.containers[0]?.image, 'busybox');
    const status = (await cronJob(h, 'hello')).status;
    assert.equal(status?.lastScheduleTime, '2025-01-01T00:01:00Z');
    assert.deepEqual(status?.active?.map((r) => [r.kind, r.name, r.uid]), [['Job', job.metadata?.name, job.metadata?.uid]]);
    await reach(h, T0 + 2 * MINUTE);
    assert.equal((await jobs(h)).length, 2, 'Allow: a second Job while the first runs');
    assert.ok((await h.eventReasons('hello')).includes('SuccessfulCreate'));
  });

  it('sees completed Jobs, sets lastSuccessfulTime and keeps only the history limits', async () => {
    h = harness();
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await createCronJob(h, 'tidy', { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    for (let i = 1; i <= 4; i++) {
      await reach(h, T0 + i * MINUTE);
      const running = (await jobs(h)).find((j) => !j.status?.conditions?.length)!;
      await h.clock.advance(10_000);
      await finishJob(h, running, i === 2 ? 'Failed' : 'Complete', T0 + i * MINUTE);
      await h.idle();
    }
    await reach(h, T0 + 5 * MINUTE);
    const names = (await jobs(h)).map((j) => j.metadata?.name).sort();
    // Complete: 1, 3, 4 → keep 3, 4; Failed: 2 → keep it; 5 is running.
    assert.deepEqual(names, [2, 3, 4, 5].map((i) => jobName('tidy', new Date(T0 + i * MINUTE))));
    const status = (await cronJob(h, 'tidy')).status;
    assert.equal(status?.lastSuccessfulTime, '2025-01-01T00:04:10Z');
    assert.deepEqual(status?.active?.map((r) => r.name), [jobName('tidy', new Date(T0 + 5 * MINUTE))]);
    const reasons = await h.eventReasons('tidy');
    assert.ok(reasons.includes('SawCompletedJob'));
    assert.ok(reasons.includes('SuccessfulDelete'));
  });

  it('Forbid: skips a run while one is active', async () => {
    h = harness();
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await createCronJob(h, 'solo', { concurrencyPolicy: 'Forbid' });
    await reach(h, T0 + MINUTE);
    await reach(h, T0 + 2 * MINUTE);
    assert.equal((await jobs(h)).length, 1);
    assert.ok((await h.eventReasons('solo')).includes('JobAlreadyActive'));
    await finishJob(h, (await jobs(h))[0]!, 'Complete', T0 + MINUTE);
    await h.idle();
    // The 00:02 run is still owed (no startingDeadlineSeconds): it starts once the first is done.
    assert.equal((await jobs(h)).length, 2);
    assert.equal((await cronJob(h, 'solo')).status?.lastScheduleTime, '2025-01-01T00:02:00Z');
  });

  it('Replace: deletes the active Job and starts the new one', async () => {
    h = harness();
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await createCronJob(h, 'swap', { concurrencyPolicy: 'Replace' });
    await reach(h, T0 + MINUTE);
    await reach(h, T0 + 2 * MINUTE);
    const names = (await jobs(h)).map((j) => j.metadata?.name);
    assert.deepEqual(names, [jobName('swap', new Date(T0 + 2 * MINUTE))]);
    assert.deepEqual((await cronJob(h, 'swap')).status?.active?.map((r) => r.name), names);
  });

  it('suspend: no Jobs while suspended', async () => {
    h = harness();
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await createCronJob(h, 'paused', { suspend: true });
    await reach(h, T0 + 3 * MINUTE);
    assert.equal((await jobs(h)).length, 0);
  });

  it('startingDeadlineSeconds: a time missed by more than the deadline is skipped with MissSchedule', async () => {
    const clock = new FakeClock(T0);
    const client = new FakeClient({ clock });
    h = harness({ client, clock });
    await createCronJob(h, 'late', { schedule: '*/5 * * * *', startingDeadlineSeconds: 10 });
    await clock.advance(7 * MINUTE);
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await h.idle();
    assert.equal((await jobs(h)).length, 0);
    assert.ok((await h.eventReasons('late')).includes('MissSchedule'));
    await reach(h, T0 + 10 * MINUTE);
    assert.deepEqual((await jobs(h)).map((j) => j.metadata?.name), [jobName('late', new Date(T0 + 10 * MINUTE))]);
  });

  it('too many missed start times: a warning, then the latest one runs', async () => {
    const clock = new FakeClock(T0);
    const client = new FakeClient({ clock });
    h = harness({ client, clock });
    await createCronJob(h, 'behind', {});
    await clock.advance(3 * 60 * MINUTE + 30_000);
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await h.idle();
    assert.ok((await h.eventReasons('behind')).includes('TooManyMissedTimes'));
    assert.deepEqual((await jobs(h)).map((j) => j.metadata?.name), [jobName('behind', new Date(T0 + 180 * MINUTE))]);
  });

  it('schedules in spec.timeZone and writes the scheduled time in that zone', async () => {
    h = harness();
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await createCronJob(h, 'tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' });
    await reach(h, T0 + 24 * 60 * MINUTE - 1000);
    assert.equal((await jobs(h)).length, 0);
    await reach(h, T0 + 24 * 60 * MINUTE);
    const [job] = await jobs(h);
    assert.equal(job?.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION], '2025-01-02T09:00:00+09:00');
  });

  it('warns about an unknown time zone and does nothing', async () => {
    h = harness();
    h.start(createCronJobController(h.deps, { defaultTimeZone: 'UTC' }));
    await createCronJob(h, 'nowhere', { timeZone: 'Mars/Olympus_Mons' });
    await reach(h, T0 + 2 * MINUTE);
    assert.equal((await jobs(h)).length, 0);
    assert.ok((await h.eventReasons('nowhere')).includes('UnknownTimeZone'));
  });
});

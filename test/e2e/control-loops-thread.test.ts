// `skiff server --simulated-nodes N` (the worker thread is the default with simulated nodes;
// --control-loops-thread asks for it always): the controller manager, the scheduler and the
// simulated nodes run in a worker thread and reach the API through a MessagePort; driven with the
// real kubectl, a Deployment rolls out, its pods are bound and Running, and deleting it cascades.
// `--no-control-loops-thread` keeps them on the API server's thread.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { kubectlOk, startSkiff, type Skiff } from './harness.js';

describe('control loops in a worker thread', () => {
  let s: Skiff;
  before(async () => {
    s = await startSkiff({ args: ['--storage', 'memory', '--simulated-nodes', '2'] });
  });
  after(async () => {
    await s?.destroy();
  });
  const ok = (...args: string[]) => kubectlOk(s, args);

  it('a Deployment rolls out on the simulated nodes and its deletion cascades', async () => {
    assert.match(s.output(), /run in a worker thread/);
    await ok('wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=30s');
    await ok('create', 'deployment', 'threaded', '--image=busybox', '--replicas=4');
    await ok('rollout', 'status', 'deployment/threaded', '--timeout=60s');
    const pods = JSON.parse(await ok('get', 'pods', '-l', 'app=threaded', '-o', 'json')) as { items: { spec: { nodeName?: string }; status: { phase?: string } }[] };
    assert.equal(pods.items.length, 4);
    for (const p of pods.items) {
      assert.match(p.spec.nodeName ?? '', /^sim-\d$/);
      assert.equal(p.status.phase, 'Running');
    }
    await ok('delete', 'deployment', 'threaded');
    const deadline = Date.now() + 30_000;
    while ((await ok('get', 'rs,pods', '-l', 'app=threaded', '-o', 'name')).trim() !== '') {
      assert.ok(Date.now() < deadline, 'ReplicaSet and pods gone within 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('objects written by a field manager with a name like the end of the managedFields JSON do not stop the loops', async () => {
    // The thread's informers get texts with managedFields cut out; a manager named "x]}," once
    // fooled that cut into invalid JSON, which ended the thread.
    const managers = ['x]},', ']}}', 'a\\"]},'];
    for (const [i, manager] of managers.entries()) await ok('create', 'deployment', `odd-${i}`, '--image=busybox', '--replicas=1', `--field-manager=${manager}`);
    for (const i of managers.keys()) await ok('rollout', 'status', `deployment/odd-${i}`, '--timeout=60s');
    await ok('create', 'deployment', 'after-odd', '--image=busybox', '--replicas=2');
    await ok('rollout', 'status', 'deployment/after-odd', '--timeout=60s');
    assert.doesNotMatch(s.output(), /thread failed|thread exited/);
  });
});

describe('control loops on the API server thread (--no-control-loops-thread)', () => {
  let s: Skiff;
  before(async () => {
    s = await startSkiff({ args: ['--storage', 'memory', '--simulated-nodes', '1', '--no-control-loops-thread'] });
  });
  after(async () => {
    await s?.destroy();
  });

  it('pods are bound and Running with the loops in-process', async () => {
    assert.doesNotMatch(s.output(), /run in a worker thread/);
    await kubectlOk(s, ['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=30s']);
    await kubectlOk(s, ['run', 'inproc', '--image=busybox']);
    await kubectlOk(s, ['wait', '--for=condition=Ready', 'pod/inproc', '--timeout=30s']);
  });
});

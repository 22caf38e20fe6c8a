// computePodActions, table-driven: given a pod and what the runtime holds, the next step.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodActions, SyncPodInput } from './sync-pod.js';
import { computePodActions, shouldRestart } from './sync-pod.js';
import type { PodRuntimeState } from './pod-runtime-state.js';
import { ctr, sandbox, state } from './testing.js';

function pod(opts: { restartPolicy?: 'Always' | 'OnFailure' | 'Never'; init?: string[]; apps?: string[]; hostNetwork?: boolean; image?: string } = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: {
      restartPolicy: opts.restartPolicy ?? 'Always',
      hostNetwork: opts.hostNetwork,
      ...(opts.init ? { initContainers: opts.init.map((name) => ({ name, image: 'busybox:1.36' })) } : {}),
      containers: (opts.apps ?? ['app']).map((name) => ({ name, image: opts.image ?? 'busybox:1.36' })),
    },
  };
}

/** The actions in one line each, for readable tables. */
function summary(a: PodActions): string[] {
  const out: string[] = [];
  if (a.killPod) out.push('killPod');
  if (a.waitForNetwork) out.push('waitForNetwork');
  if (a.createSandbox) out.push(`sandbox#${a.sandboxAttempt}`);
  for (const k of a.kill) out.push(`kill ${k.id}${k.gracePeriodSeconds !== undefined ? ` (grace ${k.gracePeriodSeconds}s)` : ''}: ${k.message}`);
  for (const id of a.remove) out.push(`remove ${id}`);
  for (const b of a.backoff) out.push(`backoff ${b.name} ${b.remainingMs}/${b.delayMs}`);
  for (const s of a.start) out.push(`start ${s.type} ${s.container.name}#${s.attempt}${s.replaces ? ` (replaces ${s.replaces.id})` : ''}`);
  return out;
}

const noBackoff: SyncPodInput['backoff'] = () => ({ remainingMs: 0, delayMs: 0 });

interface Case {
  readonly name: string;
  readonly pod: Pod;
  readonly state: PodRuntimeState;
  readonly want: string[];
  readonly networkReady?: boolean;
  readonly backoff?: SyncPodInput['backoff'];
  readonly unhealthy?: string[];
  readonly startupFailed?: boolean;
}

const cases: Case[] = [
  { name: 'a new pod: a sandbox, then every app container', pod: pod({ apps: ['a', 'b'] }), state: state([]), want: ['sandbox#0', 'start app a#0', 'start app b#0'] },
  { name: 'no pod CIDR yet: wait for the network', pod: pod(), state: state([]), networkReady: false, want: ['waitForNetwork'] },
  { name: 'host network needs no pod CIDR', pod: pod({ hostNetwork: true }), state: state([]), networkReady: false, want: ['sandbox#0', 'start app app#0'] },
  { name: 'a new pod with init containers starts the first init container only', pod: pod({ init: ['i1', 'i2'] }), state: state([]), want: ['sandbox#0', 'start init i1#0'] },
  { name: 'init containers run in order', pod: pod({ init: ['i1', 'i2'] }), state: state([sandbox()], [ctr('i1', 'exited:0', { type: 'init' })]), want: ['start init i2#0'] },
  { name: 'a running init container is waited for', pod: pod({ init: ['i1', 'i2'] }), state: state([sandbox()], [ctr('i1', 'running', { type: 'init' })]), want: [] },
  { name: 'when every init container succeeded, the app containers start', pod: pod({ init: ['i1'] }), state: state([sandbox()], [ctr('i1', 'exited:0', { type: 'init' })]), want: ['start app app#0'] },
  { name: 'a failed init container of a Never pod is not retried', pod: pod({ init: ['i1'], restartPolicy: 'Never' }), state: state([sandbox()], [ctr('i1', 'exited:1', { type: 'init' })]), want: [] },
  {
    name: 'a failed init container of an Always pod restarts',
    pod: pod({ init: ['i1'] }),
    state: state([sandbox()], [ctr('i1', 'exited:1', { type: 'init' })]),
    want: ['start init i1#1 (replaces i1-0)'],
  },
  {
    name: 'a failed init container backs off',
    pod: pod({ init: ['i1'], restartPolicy: 'OnFailure' }),
    state: state([sandbox()], [ctr('i1', 'exited:1', { type: 'init' })]),
    backoff: () => ({ remainingMs: 4000, delayMs: 10000 }),
    want: ['backoff i1 4000/10000'],
  },
  { name: 'init containers do not run again once app containers have run', pod: pod({ init: ['i1'] }), state: state([sandbox()], [ctr('app', 'running')]), want: [] },
  { name: 'a running container is left alone', pod: pod(), state: state([sandbox()], [ctr('app', 'running')]), want: [] },
  { name: 'Always restarts a container that exited 0', pod: pod(), state: state([sandbox()], [ctr('app', 'exited:0')]), want: ['start app app#1 (replaces app-0)'] },
  { name: 'OnFailure does not restart a container that exited 0', pod: pod({ restartPolicy: 'OnFailure' }), state: state([sandbox()], [ctr('app', 'exited:0')]), want: [] },
  { name: 'OnFailure restarts a container that exited 1', pod: pod({ restartPolicy: 'OnFailure' }), state: state([sandbox()], [ctr('app', 'exited:1')]), want: ['start app app#1 (replaces app-0)'] },
  { name: 'Never restarts nothing', pod: pod({ restartPolicy: 'Never' }), state: state([sandbox()], [ctr('app', 'exited:1')]), want: [] },
  {
    name: 'a crashing container waits out its back-off',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'exited:1', { attempt: 3 }), ctr('app', 'exited:1', { attempt: 2 })]),
    backoff: () => ({ remainingMs: 7000, delayMs: 40000 }),
    want: ['backoff app 7000/40000'],
  },
  {
    name: 'attempts go on from the newest; attempts beyond the newest two are removed',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'exited:1', { attempt: 1 }), ctr('app', 'exited:1', { attempt: 3 }), ctr('app', 'exited:1', { attempt: 2 })]),
    want: ['remove app-1', 'start app app#4 (replaces app-3)'],
  },
  {
    name: 'a failed liveness probe kills the container (it restarts on the next sync)',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'running')]),
    unhealthy: ['app-0'],
    want: ['kill app-0: Container app failed liveness probe, will be restarted'],
  },
  {
    name: 'a failed startup probe kills the container too, saying so',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'running')]),
    unhealthy: ['app-0'],
    startupFailed: true,
    want: ['kill app-0: Container app failed startup probe, will be restarted'],
  },
  {
    name: "a failed liveness probe's own terminationGracePeriodSeconds applies",
    pod: { ...pod(), spec: { containers: [{ name: 'app', image: 'busybox:1.36', livenessProbe: { terminationGracePeriodSeconds: 3 } }] } },
    state: state([sandbox()], [ctr('app', 'running')]),
    unhealthy: ['app-0'],
    want: ['kill app-0 (grace 3s): Container app failed liveness probe, will be restarted'],
  },
  {
    name: 'a changed image restarts the container at once',
    pod: pod({ image: 'busybox:1.37' }),
    state: state([sandbox()], [ctr('app', 'running')]),
    want: ['kill app-0: Container app definition changed, will be restarted', 'start app app#1'],
  },
  {
    name: 'a container the spec no longer names is stopped, then removed',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'running'), ctr('old', 'running'), ctr('older', 'exited:0')]),
    want: ['kill old-0: Container old is not in the pod spec, will be stopped', 'remove older-0'],
  },
  { name: 'a created but never started container is replaced', pod: pod(), state: state([sandbox()], [ctr('app', 'created')]), want: ['remove app-0', 'start app app#1'] },
  {
    name: 'a dead sandbox is replaced (Always): everything starts again in a new one',
    pod: pod(),
    state: state([sandbox({ ready: false })], [ctr('app', 'exited:137')]),
    want: ['killPod', 'sandbox#1', 'start app app#1'],
  },
  { name: 'a Never pod whose sandbox died after running is not started again', pod: pod({ restartPolicy: 'Never' }), state: state([sandbox({ ready: false })], [ctr('app', 'exited:137')]), want: [] },
];

for (const c of cases) {
  test(`computePodActions: ${c.name}`, () => {
    const actions = computePodActions({ pod: c.pod, state: c.state, networkReady: c.networkReady ?? true, backoff: c.backoff ?? noBackoff, unhealthy: new Set(c.unhealthy ?? []), failedProbe: () => (c.startupFailed ? 'startup' : undefined) });
    assert.deepEqual(summary(actions), c.want);
  });
}

test('shouldRestart follows restartPolicy and the exit code', () => {
  const table: [Parameters<typeof shouldRestart>, boolean][] = [
    [['Always', 0], true],
    [['Always', 1], true],
    [['OnFailure', 0], false],
    [['OnFailure', 2], true],
    [['Never', 1], false],
  ];
  for (const [args, want] of table) assert.equal(shouldRestart(...args), want, args.join(' '));
});

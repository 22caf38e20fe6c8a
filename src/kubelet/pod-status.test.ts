// computePodStatus, table-driven: phase, conditions and container statuses from the spec, the old
// status and what the runtime holds.
import { rfc3339 } from '../api/time.js';
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../runtime/runtime.js';
import type { PodRuntimeState } from './pod-runtime-state.js';
import type { PodStatusInput, WaitingReason } from './pod-status.js';
import { computePodStatus, formatPod } from './pod-status.js';
import { T0, ctr, sandbox, state } from './testing.js';

function pod(opts: { restartPolicy?: 'Always' | 'OnFailure' | 'Never'; init?: string[]; apps?: string[]; hostNetwork?: boolean; status?: PodStatus; gates?: string[] } = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: {
      restartPolicy: opts.restartPolicy ?? 'Always',
      hostNetwork: opts.hostNetwork,
      ...(opts.gates ? { readinessGates: opts.gates.map((conditionType) => ({ conditionType })) } : {}),
      ...(opts.init ? { initContainers: opts.init.map((name) => ({ name, image: 'busybox:1.36' })) } : {}),
      containers: (opts.apps ?? ['app']).map((name) => ({ name, image: 'busybox:1.36' })),
    },
    status: opts.status ?? { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function compute(p: Pod, s: PodRuntimeState, extra: Partial<PodStatusInput> = {}): PodStatus {
  return computePodStatus({ pod: p, state: s, runtimeName: 'simulated', hostIP: '198.18.0.10', now: T0 + 60_000, ...extra });
}

/** `Type=Status reason` per kubelet condition, in order. */
function conds(s: PodStatus): string[] {
  return (s.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}`);
}

/** Each container's state in one word: waiting:Reason, running, terminated:Reason:code. */
function states(list: PodStatus['containerStatuses']): string[] {
  return (list ?? []).map((c) => {
    const st = c.state ?? {};
    if (st.waiting) return `${c.name} waiting:${st.waiting.reason}`;
    if (st.running) return `${c.name} running${c.ready ? ' ready' : ''}`;
    return `${c.name} terminated:${st.terminated?.reason}:${st.terminated?.exitCode}`;
  });
}

interface Case {
  readonly name: string;
  readonly pod: Pod;
  readonly state: PodRuntimeState;
  readonly waiting?: Record<string, WaitingReason>;
  readonly ready?: (c: ContainerStatus) => boolean;
  readonly terminal?: boolean;
  readonly phase: string;
  readonly containers: string[];
  readonly conditions?: string[];
}

const cases: Case[] = [
  {
    name: 'nothing in the runtime yet: Pending, ContainerCreating',
    pod: pod(),
    state: state([]),
    phase: 'Pending',
    containers: ['app waiting:ContainerCreating'],
    conditions: ['PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False ContainersNotReady', 'ContainersReady=False ContainersNotReady', 'PodScheduled=True'],
  },
  {
    name: 'running and ready',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'running')]),
    phase: 'Running',
    containers: ['app running ready'],
    conditions: ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
  },
  {
    name: 'running, readiness not passed yet',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'running')]),
    ready: () => false,
    phase: 'Running',
    containers: ['app running'],
    conditions: ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False ContainersNotReady', 'ContainersReady=False ContainersNotReady', 'PodScheduled=True'],
  },
  {
    name: 'one container running, another not started yet: Pending',
    pod: pod({ apps: ['a', 'b'] }),
    state: state([sandbox()], [ctr('a', 'running')]),
    phase: 'Pending',
    containers: ['a running ready', 'b waiting:ContainerCreating'],
  },
  {
    name: 'Never, exit 0: Succeeded',
    pod: pod({ restartPolicy: 'Never' }),
    state: state([sandbox()], [ctr('app', 'exited:0')]),
    phase: 'Succeeded',
    containers: ['app terminated:Completed:0'],
    conditions: ['PodReadyToStartContainers=True', 'Initialized=True PodCompleted', 'Ready=False PodCompleted', 'ContainersReady=False PodCompleted', 'PodScheduled=True'],
  },
  { name: 'Never, exit 1: Failed', pod: pod({ restartPolicy: 'Never' }), state: state([sandbox()], [ctr('app', 'exited:1')]), phase: 'Failed', containers: ['app terminated:Error:1'] },
  { name: 'OnFailure, all exited 0: Succeeded', pod: pod({ restartPolicy: 'OnFailure', apps: ['a', 'b'] }), state: state([sandbox()], [ctr('a', 'exited:0'), ctr('b', 'exited:0')]), phase: 'Succeeded', containers: ['a terminated:Completed:0', 'b terminated:Completed:0'] },
  { name: 'OnFailure, exited 1 (to be restarted): Running', pod: pod({ restartPolicy: 'OnFailure' }), state: state([sandbox()], [ctr('app', 'exited:1')]), phase: 'Running', containers: ['app terminated:Error:1'] },
  {
    name: 'Always, crash looping: Running, waiting CrashLoopBackOff with lastState',
    pod: pod(),
    state: state([sandbox()], [ctr('app', 'exited:1', { attempt: 2 }), ctr('app', 'exited:1', { attempt: 1 })]),
    waiting: { app: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app pod=p_default(uid-1)' } },
    phase: 'Running',
    containers: ['app waiting:CrashLoopBackOff'],
  },
  {
    name: 'init container running: Pending, app containers PodInitializing',
    pod: pod({ init: ['i1', 'i2'] }),
    state: state([sandbox()], [ctr('i1', 'running', { type: 'init' })]),
    phase: 'Pending',
    containers: ['app waiting:PodInitializing'],
    conditions: ['PodReadyToStartContainers=True', 'Initialized=False ContainersNotInitialized', 'Ready=False ContainersNotReady', 'ContainersReady=False ContainersNotReady', 'PodScheduled=True'],
  },
  { name: 'init container failed under Never: Failed', pod: pod({ init: ['i1'], restartPolicy: 'Never' }), state: state([sandbox()], [ctr('i1', 'exited:1', { type: 'init' })]), phase: 'Failed', containers: ['app waiting:PodInitializing'] },
  {
    name: 'deleted pod, container stopped with 143: Failed',
    pod: pod(),
    state: state([sandbox({ ready: false })], [ctr('app', 'exited:143')]),
    terminal: true,
    phase: 'Failed',
    containers: ['app terminated:Error:143'],
  },
  { name: 'deleted pod, every container exited 0: Succeeded', pod: pod(), state: state([sandbox({ ready: false })], [ctr('app', 'exited:0')]), terminal: true, phase: 'Succeeded', containers: ['app terminated:Completed:0'] },
  {
    name: 'a terminal phase is never left',
    pod: pod({ status: { phase: 'Succeeded' } }),
    state: state([sandbox()], [ctr('app', 'running')]),
    phase: 'Succeeded',
    containers: ['app running ready'],
  },
  {
    name: 'readiness gates hold Ready until their condition is True',
    pod: pod({ gates: ['example.com/lb'], status: { phase: 'Running', conditions: [{ type: 'example.com/lb', status: 'False' }] } }),
    state: state([sandbox()], [ctr('app', 'running')]),
    phase: 'Running',
    containers: ['app running ready'],
    conditions: ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False ReadinessGatesNotReady', 'ContainersReady=True', 'PodScheduled=True', 'example.com/lb=False'],
  },
];

for (const c of cases) {
  test(`computePodStatus: ${c.name}`, () => {
    const s = compute(c.pod, c.state, { waiting: new Map(Object.entries(c.waiting ?? {})), isReady: c.ready, terminal: c.terminal });
    assert.equal(s.phase, c.phase);
    assert.deepEqual(states(s.containerStatuses), c.containers);
    if (c.conditions) assert.deepEqual(conds(s), c.conditions);
  });
}

test('container status fields: ids, image, restartCount, lastState, times', () => {
  const s = compute(pod(), state([sandbox()], [ctr('app', 'running', { attempt: 2, start: 30 }), ctr('app', 'exited:1', { attempt: 1, start: 10, end: 20 })]));
  assert.deepEqual(s.containerStatuses?.[0], {
    name: 'app',
    image: 'busybox:1.36',
    imageID: 'sha256:abc',
    containerID: 'simulated://app-2',
    ready: true,
    started: true,
    restartCount: 2,
    state: { running: { startedAt: '2025-01-01T00:00:30Z' } },
    lastState: {
      terminated: { exitCode: 1, reason: 'Error', startedAt: '2025-01-01T00:00:10Z', finishedAt: '2025-01-01T00:00:20Z', containerID: 'simulated://app-1' },
    },
  });
});

test('IPs: the sandbox IP; the node IP for host-network pods; the old IP once the sandbox is gone', () => {
  const running = compute(pod(), state([sandbox({ ip: '10.42.0.7' })], [ctr('app', 'running')]));
  assert.deepEqual([running.podIP, running.podIPs, running.hostIP, running.hostIPs], ['10.42.0.7', [{ ip: '10.42.0.7' }], '198.18.0.10', [{ ip: '198.18.0.10' }]]);
  const host = compute(pod({ hostNetwork: true }), state([sandbox({ hostNetwork: true })], [ctr('app', 'running')]));
  assert.equal(host.podIP, '198.18.0.10');
  const gone = compute(pod({ restartPolicy: 'Never', status: { phase: 'Running', podIP: '10.42.0.7', podIPs: [{ ip: '10.42.0.7' }] } }), state([sandbox({ ready: false })], [ctr('app', 'exited:0')]));
  assert.equal(gone.podIP, '10.42.0.7');
});

test('conditions keep lastTransitionTime while their status holds; other components’ conditions and fields are kept', () => {
  const old: PodCondition[] = [
    { type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:05Z' },
    { type: 'Initialized', status: 'False', lastTransitionTime: '2025-01-01T00:00:01Z' },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-12-31T23:59:59Z' },
    { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: '2025-01-01T00:00:09Z' },
  ];
  const s = compute(pod({ status: { phase: 'Running', conditions: old, qosClass: 'Burstable', nominatedNodeName: 'n2', startTime: '2025-01-01T00:00:00Z' } }), state([sandbox()], [ctr('app', 'running')]));
  const at = (type: string) => s.conditions?.find((c) => c.type === type)?.lastTransitionTime;
  assert.equal(at('Ready'), '2025-01-01T00:00:05Z');
  assert.equal(at('Initialized'), rfc3339(T0 + 60_000), 'False → True is a transition');
  assert.equal(at('PodScheduled'), '2024-12-31T23:59:59Z');
  assert.equal(s.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'EvictionByEvictionAPI');
  assert.deepEqual([s.qosClass, s.nominatedNodeName, s.startTime], ['Burstable', 'n2', '2025-01-01T00:00:00Z']);
});

test('a failure the kubelet decided (activeDeadlineSeconds) fails the pod with its reason', () => {
  const s = compute(pod(), state([sandbox()], [ctr('app', 'exited:137')]), { failure: { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' } });
  assert.deepEqual([s.phase, s.reason, s.message], ['Failed', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline']);
});

test('waiting reasons decided by the kubelet show on containers that have not run', () => {
  const s = compute(pod(), state([sandbox()]), { waiting: new Map([['app', { reason: 'ErrImagePull', message: 'manifest unknown' }]]) });
  assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } });
  assert.equal(formatPod(pod()), 'p_default(uid-1)');
});

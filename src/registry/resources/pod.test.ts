import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import type { JsonObject } from './pod-spec.js';
import { podQOSClass, podStrategy } from './pod.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ctx: StrategyContext = {
  now: NOW,
  config: { serviceCIDR: '198.18.128.0/17', clusterCIDR: '198.18.0.0/17', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

/** What the generic registry does on create, up to validation. */
function create(input: KubeObject): { obj: KubeObject; errors: string[] } {
  const obj = structuredClone(input);
  obj.metadata = { namespace: 'default', uid: 'u-1', creationTimestamp: '2024-05-01T11:00:00Z', generation: 1, ...obj.metadata };
  podStrategy.prepareForCreate(obj, ctx);
  podStrategy.defaults(obj, ctx);
  return { obj, errors: podStrategy.validate(obj, ctx).map(formatFieldError) };
}

function update(oldObj: KubeObject, change: (o: KubeObject) => void): { obj: KubeObject; errors: string[] } {
  const obj = structuredClone(oldObj);
  change(obj);
  podStrategy.prepareForUpdate(obj, oldObj, ctx);
  podStrategy.defaults(obj, ctx);
  return { obj, errors: podStrategy.validateUpdate(obj, oldObj, ctx).map(formatFieldError) };
}

const pod = (spec: JsonObject = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], ...spec },
});

const specOf = (o: KubeObject): JsonObject => o.spec as JsonObject;

test('create: status Pending with a QoS class, admission defaults, no client status', () => {
  const { obj, errors } = create({ ...pod(), status: { phase: 'Running', podIP: '1.2.3.4' } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.status, { phase: 'Pending', qosClass: 'BestEffort' });
  const spec = specOf(obj);
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.serviceAccount, 'default');
  assert.equal(spec.enableServiceLinks, true);
  assert.equal(spec.restartPolicy, 'Always');
  assert.deepEqual(spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test('create keeps tolerations that already cover not-ready/unreachable, and marks gated pods', () => {
  const { obj } = create(pod({ tolerations: [{ operator: 'Exists' }], schedulingGates: [{ name: 'example.com/wait' }], serviceAccountName: 'builder' }));
  assert.deepEqual(specOf(obj).tolerations, [{ operator: 'Exists' }]);
  assert.equal(specOf(obj).serviceAccountName, 'builder');
  const status = obj.status as JsonObject;
  assert.equal((status.conditions as JsonObject[])[0]!.reason, 'SchedulingGated');
  assert.equal(podStrategy.table.cells(obj, NOW)[2], 'SchedulingGated');
});

test('create refuses ephemeral containers and a node name on a gated pod', () => {
  assert.deepEqual(create(pod({ ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] })).errors, [
    'spec.ephemeralContainers: Forbidden: cannot be set on create',
  ]);
  assert.deepEqual(create(pod({ nodeName: 'n1', schedulingGates: [{ name: 'g' }] })).errors, [
    'spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared',
  ]);
  assert.deepEqual(create(pod({ containers: [{ name: 'web', image: ' nginx ' }] })).errors, [
    'spec.containers[0].image: Invalid value: " nginx ": must not have leading or trailing whitespace',
  ]);
});

test('QoS class as Kubernetes computes it', () => {
  const c = (resources: JsonObject): JsonObject => ({ name: 'c', image: 'x', resources });
  const cases: [string, JsonObject[], string][] = [
    ['nothing', [c({})], 'BestEffort'],
    ['zero requests', [c({ requests: { cpu: '0' } })], 'BestEffort'],
    ['limits only (requests defaulted)', [c({ limits: { cpu: '1', memory: '1Gi' } })], 'Guaranteed'],
    ['equal', [c({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '0.5', memory: '1024Mi' } })], 'Guaranteed'],
    ['requests only', [c({ requests: { cpu: '100m' } })], 'Burstable'],
    ['requests below limits', [c({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } })], 'Burstable'],
    ['cpu limit only', [c({ limits: { cpu: '1' } })], 'Burstable'],
    ['one container without', [c({ limits: { cpu: '1', memory: '1Gi' } }), c({})], 'Burstable'],
  ];
  for (const [name, containers, want] of cases) {
    const { obj } = create(pod({ containers: containers.map((x, i) => ({ ...x, name: `c${i}` })) }));
    assert.equal((obj.status as JsonObject).qosClass, want, name);
  }
  assert.equal(podQOSClass({ containers: 'nonsense' }), 'BestEffort');
});

const FORBIDDEN_PREFIX =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

test('update: status is kept, only images, deadline and added tolerations may change', () => {
  const { obj: stored } = create(pod());
  stored.status = { phase: 'Running', qosClass: 'BestEffort' };

  const image = update(stored, (o) => {
    (specOf(o).containers as JsonObject[])[0]!.image = 'nginx:1.26';
    o.status = { phase: 'Failed' };
  });
  assert.deepEqual(image.errors, []);
  assert.deepEqual(image.obj.status, { phase: 'Running', qosClass: 'BestEffort' });
  assert.ok(podStrategy.specChanged === undefined, 'generation follows spec changes (generic registry default)');

  const restart = update(stored, (o) => (specOf(o).restartPolicy = 'Never'));
  assert.equal(restart.errors.length, 1);
  assert.ok(restart.errors[0]!.startsWith(FORBIDDEN_PREFIX), restart.errors[0]);
  assert.ok(restart.errors[0]!.includes('spec.restartPolicy: "Always"'), restart.errors[0]);

  const labels = update(stored, (o) => (o.metadata!.labels = { app: 'web' }));
  assert.deepEqual(labels.errors, []);
});

test('status updates keep the spec, backfill the QoS class and refuse illegal transitions', () => {
  const { obj: stored } = create(pod({ restartPolicy: 'Never', nodeName: 'n1' }));
  stored.status = {
    phase: 'Running',
    qosClass: 'BestEffort',
    containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  };
  stored.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'ReplicaSet', name: 'rs', uid: 'x' }];
  const next = structuredClone(stored);
  specOf(next).nodeName = 'n2';
  next.metadata!.ownerReferences = [];
  next.status = { phase: 'Running', containerStatuses: [{ name: 'web', state: { running: {} } }], podIPs: [{ ip: '198.18.0.5' }] };
  podStrategy.prepareForStatusUpdate!(next, stored, ctx);
  assert.equal(specOf(next).nodeName, 'n1');
  assert.deepEqual(next.metadata!.ownerReferences, stored.metadata!.ownerReferences);
  assert.equal((next.status as JsonObject).qosClass, 'BestEffort');
  assert.deepEqual(podStrategy.validateStatusUpdate!(next, stored, ctx).map(formatFieldError), [
    'status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state',
  ]);

  const qos = structuredClone(stored);
  qos.status = { phase: 'Running', qosClass: 'Guaranteed' };
  podStrategy.prepareForStatusUpdate!(qos, stored, ctx);
  assert.deepEqual(podStrategy.validateStatusUpdate!(qos, stored, ctx).map(formatFieldError), ['status.qosClass: Invalid value: "Guaranteed": field is immutable']);

  const ips = structuredClone(stored);
  ips.status = { phase: 'Running', qosClass: 'BestEffort', podIPs: [{ ip: 'not-an-ip' }] };
  assert.deepEqual(podStrategy.validateStatusUpdate!(ips, stored, ctx).map(formatFieldError), [
    'status.podIPs[0]: Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
});

function podWith(status: JsonObject, extra: { spec?: JsonObject; meta?: JsonObject } = {}): KubeObject {
  return {
    metadata: { name: 'p', creationTimestamp: '2024-05-01T11:00:00Z', ...extra.meta },
    spec: { containers: [{ name: 'a', image: 'a' }], ...extra.spec },
    status,
  };
}

const running = (name: string, ready = true): JsonObject => ({ name, ready, started: true, restartCount: 0, state: { running: { startedAt: '2024-05-01T11:00:00Z' } } });

test('table cells: READY, STATUS and RESTARTS as kubectl shows them', () => {
  const two = { spec: { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] } };
  const cases: [string, KubeObject, [string, string, string]][] = [
    ['pending', podWith({ phase: 'Pending' }), ['0/1', 'Pending', '0']],
    ['running', podWith({ phase: 'Running', containerStatuses: [running('a')] }), ['1/1', 'Running', '0']],
    ['half ready', podWith({ phase: 'Running', containerStatuses: [running('a'), running('b', false)] }, two), ['1/2', 'Running', '0']],
    [
      'creating',
      podWith({ phase: 'Pending', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
      ['0/1', 'ContainerCreating', '0'],
    ],
    [
      'crash loop',
      podWith({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'a',
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-01T11:55:00Z' } },
          },
        ],
      }),
      ['0/1', 'CrashLoopBackOff', '5 (5m ago)'],
    ],
    [
      'completed',
      podWith({ phase: 'Succeeded', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      ['0/1', 'Completed', '0'],
    ],
    [
      'exit code',
      podWith({ phase: 'Failed', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] }),
      ['0/1', 'ExitCode:137', '0'],
    ],
    [
      'still running with a completed sidecar',
      podWith(
        {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [running('a'), { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        },
        two,
      ),
      ['1/2', 'NotReady', '0'],
    ],
    ['terminating', podWith({ phase: 'Running', containerStatuses: [running('a')] }, { meta: { deletionTimestamp: '2024-05-01T11:59:00Z' } }), ['1/1', 'Terminating', '0']],
    ['terminated pods stay', podWith({ phase: 'Succeeded' }, { meta: { deletionTimestamp: '2024-05-01T11:59:00Z' } }), ['0/1', 'Succeeded', '0']],
    ['node lost', podWith({ phase: 'Running', reason: 'NodeLost' }, { meta: { deletionTimestamp: '2024-05-01T11:59:00Z' } }), ['0/1', 'Unknown', '0']],
    ['evicted', podWith({ phase: 'Failed', reason: 'Evicted' }), ['0/1', 'Evicted', '0']],
    [
      'init running',
      podWith(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i', ready: false, restartCount: 0, state: { running: {} } }] },
        { spec: { initContainers: [{ name: 'i', image: 'i' }], containers: [{ name: 'a', image: 'a' }] } },
      ),
      ['0/1', 'Init:0/1', '0'],
    ],
    [
      'init image pull',
      podWith(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] },
        { spec: { initContainers: [{ name: 'i', image: 'i' }], containers: [{ name: 'a', image: 'a' }] } },
      ),
      ['0/1', 'Init:ErrImagePull', '0'],
    ],
    [
      'init failed',
      podWith(
        {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'i', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } },
            { name: 'j', ready: false, restartCount: 2, state: { terminated: { exitCode: 3 } } },
          ],
        },
        { spec: { initContainers: [{ name: 'i', image: 'i' }, { name: 'j', image: 'j' }], containers: [{ name: 'a', image: 'a' }] } },
      ),
      ['0/1', 'Init:ExitCode:3', '2'],
    ],
    [
      'sidecar counts',
      podWith(
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [{ name: 's', ready: true, started: true, restartCount: 1, state: { running: {} } }],
          containerStatuses: [running('a')],
        },
        { spec: { initContainers: [{ name: 's', image: 's', restartPolicy: 'Always' }], containers: [{ name: 'a', image: 'a' }] } },
      ),
      ['2/2', 'Running', '1'],
    ],
  ];
  for (const [name, obj, want] of cases) {
    const cells = podStrategy.table.cells(obj, NOW);
    assert.equal(cells[0], 'p', name);
    assert.deepEqual(cells.slice(1, 4), want, name);
    assert.equal(cells[4], '60m', name);
  }
  assert.equal(podStrategy.table.columns.length, 9);
  assert.deepEqual(
    podStrategy.table.columns.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ],
  );
});

test('wide cells: IP, node, nominated node and readiness gates', () => {
  const plain = podStrategy.table.cells(podWith({ phase: 'Pending' }), NOW);
  assert.deepEqual(plain.slice(5), ['<none>', '<none>', '<none>', '<none>']);
  const full = podStrategy.table.cells(
    podWith(
      { phase: 'Running', podIPs: [{ ip: '198.18.0.7' }], nominatedNodeName: 'n2', conditions: [{ type: 'example.com/ready', status: 'True' }] },
      { spec: { nodeName: 'n1', readinessGates: [{ conditionType: 'example.com/ready' }, { conditionType: 'example.com/other' }] } },
    ),
    NOW,
  );
  assert.deepEqual(full.slice(5), ['198.18.0.7', 'n1', 'n2', '1/2']);
});

test('field selectors', () => {
  const obj = podWith({ phase: 'Running', podIPs: [{ ip: '198.18.0.7' }] }, { spec: { nodeName: 'n1', hostNetwork: true, restartPolicy: 'Always' } });
  const get = (f: string): string | undefined => podStrategy.fieldSelectors[f]!(obj);
  assert.equal(get('spec.nodeName'), 'n1');
  assert.equal(get('spec.hostNetwork'), 'true');
  assert.equal(get('spec.restartPolicy'), 'Always');
  assert.equal(get('spec.serviceAccountName'), '');
  assert.equal(get('status.phase'), 'Running');
  assert.equal(get('status.podIP'), '198.18.0.7');
  assert.equal(get('status.nominatedNodeName'), '');
  assert.equal(podStrategy.fieldSelectors['spec.hostNetwork']!({ spec: 'x' }), 'false');
});

const GARBAGE: readonly unknown[] = [null, 'abc', -1, true, [], {}, [1], { x: 1 }];

test('garbage never throws: wrong shapes give FieldErrors, tables still render', () => {
  const shapes: KubeObject[] = [
    { metadata: { name: 'p' } },
    { metadata: { name: 'p' }, spec: 'x' },
    { metadata: { name: 'p' }, spec: [] },
    { metadata: { name: 'p' }, spec: { containers: {} } },
    { metadata: { name: 'p' }, spec: { containers: [1, 'x', null] } },
    { metadata: { name: 'p' }, spec: { containers: [{ name: 5, image: {} }], tolerations: 'x', volumes: [{ name: 'v', secret: 'x' }] } },
    { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a', resources: { limits: { cpu: {} } } }] } },
  ];
  for (const shape of shapes) {
    let result: { obj: KubeObject; errors: string[] } | undefined;
    assert.doesNotThrow(() => (result = create(shape)), JSON.stringify(shape));
    assert.ok(result!.errors.length > 0, JSON.stringify(shape));
    assert.doesNotThrow(() => podStrategy.table.cells(result!.obj, NOW));
  }
  const { obj: stored } = create(pod());
  for (const key of ['spec', 'status', 'metadata']) {
    for (const g of GARBAGE) {
      const next = structuredClone(stored);
      next[key] = structuredClone(g);
      assert.doesNotThrow(() => {
        podStrategy.prepareForUpdate(structuredClone(next), stored, ctx);
        podStrategy.defaults(next, ctx);
        podStrategy.validateUpdate(next, stored, ctx);
        podStrategy.validateStatusUpdate!(next, stored, ctx);
        podStrategy.table.cells(next, NOW);
        for (const get of Object.values(podStrategy.fieldSelectors)) get(next);
      }, `${key} = ${JSON.stringify(g)}`);
    }
  }
  for (const g of GARBAGE) {
    const status = { phase: g, conditions: g, containerStatuses: [{ name: 'a', state: g, lastState: { terminated: g } }], podIPs: g };
    assert.doesNotThrow(() => podStrategy.table.cells({ metadata: { name: 'p' }, spec: { containers: g }, status }, NOW));
  }
  assert.ok(isObject(stored.status));
});

test('create: prepareForCreate leaves the pod fully defaulted (the registry does not run defaults again on create)', () => {
  assert.equal(podStrategy.prepareForCreateDefaults, true);
  const inputs: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b' }, spec: { priorityClassName: 'system-node-critical', tolerations: [{ key: 'k', value: 'v' }], initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox:1.36' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c' } },
  ];
  for (const input of inputs) {
    const obj = structuredClone(input);
    podStrategy.prepareForCreate(obj, ctx);
    const again = structuredClone(obj);
    podStrategy.defaults(again, ctx);
    assert.deepEqual(obj, again, String(input.metadata?.name));
    assert.equal((obj.spec as JsonObject).serviceAccount, 'default');
  }
});

test('update: a replacement that leaves out priority and preemptionPolicy keeps the ones the Priority admission set', () => {
  const { obj: old } = create(pod());
  const stored = structuredClone(old);
  Object.assign(specOf(stored), { priority: 1000, preemptionPolicy: 'Never' });
  const { obj, errors } = update(stored, (o) => {
    delete specOf(o).priority;
    delete specOf(o).preemptionPolicy;
  });
  assert.deepEqual(errors, []);
  assert.deepEqual([specOf(obj).priority, specOf(obj).preemptionPolicy], [1000, 'Never']);
});

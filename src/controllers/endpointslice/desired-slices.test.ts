// Table-driven tests of the pure EndpointSlice planner: endpoint contents, grouping by port set,
// the 100-per-slice limit, minimal updates, the placeholder and create/delete folding.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { makeNode, makePod, makeService } from '../endpoints/testing.js';
import { HEADLESS_LABEL, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, planSlices, podToEndpoint, sliceLabels, type MutableSlice, type SlicePlan } from './desired-slices.js';

const svc = makeService('web', { labels: { app: 'web', [SERVICE_NAME_LABEL]: 'spoof' } });
const nodes = (name: string) => (name.startsWith('node-') ? makeNode(name, { 'topology.kubernetes.io/zone': 'z1' }) : undefined);
const pods = (n: number, from = 0) => Array.from({ length: n }, (_, i) => makePod(`p${from + i}`, { ip: `10.42.${Math.floor((from + i) / 200)}.${((from + i) % 200) + 1}` }));

/** Stores a plan's writes as the server would: names for created slices, new resourceVersions. */
function apply(existing: EndpointSlice[], plan: SlicePlan): EndpointSlice[] {
  let n = existing.length;
  const deleted = new Set(plan.delete.map((s) => s.metadata?.name));
  const updated = new Map(plan.update.map((s) => [s.metadata?.name, s]));
  const out: EndpointSlice[] = existing.filter((s) => !deleted.has(s.metadata?.name)).map((s) => (updated.get(s.metadata?.name) as EndpointSlice) ?? s);
  for (const s of plan.create) out.push({ ...s, metadata: { ...s.metadata, name: `web-${++n}`, uid: `slice-${n}`, resourceVersion: '1' } });
  return out;
}

const counts = (slices: readonly EndpointSlice[]) => slices.map((s) => s.endpoints?.length ?? 0).sort((a, b) => b - a);
const writes = (p: SlicePlan) => `create ${p.create.length} update ${p.update.length} delete ${p.delete.length}`;

describe('podToEndpoint', () => {
  const cases: [string, Parameters<typeof makePod>[1], boolean, { ready: boolean; serving: boolean; terminating: boolean }][] = [
    ['ready pod', { ip: '10.42.0.2' }, false, { ready: true, serving: true, terminating: false }],
    ['not-ready pod', { ip: '10.42.0.2', ready: false }, false, { ready: false, serving: false, terminating: false }],
    ['terminating ready pod: serving, not ready', { ip: '10.42.0.2', deleting: true }, false, { ready: false, serving: true, terminating: true }],
    ['publishNotReadyAddresses: always ready', { ip: '10.42.0.2', ready: false, deleting: true }, true, { ready: true, serving: false, terminating: true }],
  ];
  for (const [name, o, publish, want] of cases) {
    test(name, () => {
      const e = podToEndpoint(makePod('a', o), makeNode('node-1', { 'topology.kubernetes.io/zone': 'z1' }), makeService('web', { publishNotReadyAddresses: publish }))!;
      assert.deepEqual(e.conditions, want);
      assert.deepEqual(e.addresses, ['10.42.0.2']);
      assert.equal(e.nodeName, 'node-1');
      assert.equal(e.zone, 'z1');
      assert.deepEqual(e.targetRef, { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' });
    });
  }
  test('no IP: no endpoint', () => assert.equal(podToEndpoint(makePod('a'), undefined, svc), undefined));
});

describe('sliceLabels', () => {
  test('Service labels without reserved keys, plus service-name and managed-by; headless when no cluster IP', () => {
    assert.deepEqual(sliceLabels(svc), { app: 'web', [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: 'endpointslice-controller.k8s.io' });
    assert.equal(sliceLabels(makeService('db', { clusterIP: 'None' }))[HEADLESS_LABEL], '');
  });
});

describe('planSlices', () => {
  test('a new slice: generateName, owner, labels, address type, ports', () => {
    const plan = planSlices({ service: svc, pods: pods(2), nodes, existing: [], triggerTime: Date.UTC(2025, 0, 1) });
    assert.equal(writes(plan), 'create 1 update 0 delete 0');
    const s = plan.create[0]!;
    assert.equal(s.metadata?.generateName, 'web-');
    assert.equal(s.metadata?.name, undefined);
    assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'uid-svc-web', controller: true, blockOwnerDeletion: true }]);
    assert.equal(s.metadata?.labels?.[SERVICE_NAME_LABEL], 'web');
    assert.equal(s.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], '2025-01-01T00:00:00Z');
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(
      s.endpoints?.map((e) => e.addresses[0]),
      ['10.42.0.1', '10.42.0.2'],
    );
  });

  const cases: { name: string; before: number; after: number; want: string; sizes: number[] }[] = [
    { name: '250 endpoints: three slices of at most 100 (the placeholder reused)', before: 0, after: 250, want: 'create 2 update 1 delete 0', sizes: [100, 100, 50] },
    { name: 'unchanged: no writes', before: 250, after: 250, want: 'create 0 update 0 delete 0', sizes: [100, 100, 50] },
    { name: 'a few more fit in the slice that has room', before: 250, after: 260, want: 'create 0 update 1 delete 0', sizes: [100, 100, 60] },
    { name: 'more than fits: a new full slice, the rest into the slice with room', before: 250, after: 400, want: 'create 1 update 1 delete 0', sizes: [100, 100, 100, 100] },
    { name: 'fewer: slices that lost endpoints are updated, emptied ones deleted', before: 250, after: 120, want: 'create 0 update 2 delete 1', sizes: [89, 31] },
    { name: 'none: one empty placeholder', before: 250, after: 0, want: 'create 0 update 1 delete 2', sizes: [0] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const existing = apply([], planSlices({ service: svc, pods: pods(c.before), nodes, existing: [] }));
      const plan = planSlices({ service: svc, pods: pods(c.after), nodes, existing });
      assert.equal(writes(plan), c.want);
      const after = apply(existing, plan);
      assert.deepEqual(counts(after), c.sizes);
      assert.equal(writes(planSlices({ service: svc, pods: pods(c.after), nodes, existing: after })), 'create 0 update 0 delete 0', 'converged');
    });
  }

  test('the placeholder is kept as long as there are no endpoints, and reused for the first ones', () => {
    const existing = apply([], planSlices({ service: svc, pods: [], nodes, existing: [] }));
    assert.equal(existing.length, 1);
    assert.deepEqual(existing[0]!.endpoints, []);
    assert.deepEqual(existing[0]!.ports, []);
    assert.equal(writes(planSlices({ service: svc, pods: [], nodes, existing })), 'create 0 update 0 delete 0');
    const plan = planSlices({ service: svc, pods: pods(1), nodes, existing });
    assert.equal(writes(plan), 'create 0 update 1 delete 0', 'the placeholder becomes the slice');
    assert.equal(plan.update[0]!.metadata?.name, existing[0]!.metadata?.name);
    assert.deepEqual(plan.update[0]!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  test('a changed endpoint updates only its slice; a relabelled Service updates all', () => {
    const existing = apply([], planSlices({ service: svc, pods: pods(150), nodes, existing: [] }));
    const changed = pods(150);
    changed[3] = makePod('p3', { ip: '10.42.0.4', ready: false });
    const plan = planSlices({ service: svc, pods: changed, nodes, existing });
    assert.equal(writes(plan), 'create 0 update 1 delete 0');
    const relabelled = makeService('web', { labels: { app: 'web', tier: 'front' } });
    assert.equal(writes(planSlices({ service: relabelled, pods: pods(150), nodes, existing })), 'create 0 update 2 delete 0');
  });

  test('named targetPorts resolving to different numbers: one slice per port set', () => {
    const service = makeService('web', { ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] });
    const ps = [
      makePod('a', { ip: '10.42.0.2', ports: [{ name: 'web', containerPort: 8080 }] }),
      makePod('b', { ip: '10.42.0.3', ports: [{ name: 'web', containerPort: 8081 }] }),
      makePod('c', { ip: '10.42.0.4', ports: [{ name: 'web', containerPort: 8080 }] }),
      makePod('d', { ip: '10.42.0.5' }),
    ];
    const plan = planSlices({ service, pods: ps, nodes, existing: [] });
    const summary = plan.create.map((s) => `${JSON.stringify(s.ports?.map((p) => p.port))} ${s.endpoints?.map((e) => e.targetRef?.name).join(',')}`).sort();
    assert.deepEqual(summary, ['[8080] a,c', '[8081] b', '[] d']);
  });

  test('slices of another owner or address type are replaced', () => {
    const existing = apply([], planSlices({ service: svc, pods: pods(3), nodes, existing: [] }));
    const foreign = { ...existing[0]!, metadata: { ...existing[0]!.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'old-uid' }] } };
    const plan = planSlices({ service: svc, pods: pods(3), nodes, existing: [foreign] });
    assert.equal(writes(plan), 'create 1 update 0 delete 1', 'a slice of an older Service of the same name is not reused');
  });

  test('pods on unknown nodes are left out and reported', () => {
    const plan = planSlices({ service: svc, pods: [makePod('a', { ip: '10.42.0.2', node: 'ghost' }), ...pods(1)], nodes, existing: [] });
    assert.deepEqual(plan.missingNodes, ['ghost']);
    assert.equal(plan.create[0]!.endpoints?.length, 1);
  });

  test('no creates for a Service being deleted', () => {
    const deleting = { ...svc, metadata: { ...svc.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } };
    assert.equal(planSlices({ service: deleting, pods: pods(3), nodes, existing: [] }).create.length, 0);
  });

  test('inputs are not mutated', () => {
    const existing = apply([], planSlices({ service: svc, pods: pods(5), nodes, existing: [] }));
    const frozen = JSON.stringify(existing);
    const plan = planSlices({ service: svc, pods: pods(8), nodes, existing });
    (plan.update[0] as MutableSlice).endpoints!.length = 0;
    assert.equal(JSON.stringify(existing), frozen);
  });
});

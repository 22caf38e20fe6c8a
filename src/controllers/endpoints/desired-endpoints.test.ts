// Table-driven tests of the pure Endpoints builders: which pods appear, ready or not, with which
// ports, how subsets are repacked and truncated, and when nothing needs writing.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { EndpointSubset } from 'kubernetes-types/core/v1.js';
import {
  HEADLESS_LABEL,
  MANAGED_BY_LABEL,
  OVER_CAPACITY_ANNOTATION,
  desiredEndpoints,
  desiredSubsets,
  repackSubsets,
  truncateSubsets,
} from './desired-endpoints.js';
import { findPort } from './pod-endpoints.js';
import { makePod, makeService } from './testing.js';

/** Subsets in a compact form: `ready ips | notReady ips | ports`. */
function brief(subsets: readonly EndpointSubset[]): string[] {
  return subsets.map(
    (s) =>
      `${(s.addresses ?? []).map((a) => a.ip).join(',')} | ${(s.notReadyAddresses ?? []).map((a) => a.ip).join(',')} | ${(s.ports ?? [])
        .map((p) => `${p.name ?? ''}:${p.port}/${p.protocol}`)
        .join(',')}`,
  );
}

const webPort = { name: 'http', containerPort: 8080, protocol: 'TCP' as const };

describe('desiredSubsets', () => {
  const cases: { name: string; service: ReturnType<typeof makeService>; pods: ReturnType<typeof makePod>[]; want: string[] }[] = [
    {
      name: 'ready pods in addresses, not-ready ones in notReadyAddresses, one subset',
      service: makeService('web'),
      pods: [makePod('a', { ip: '10.42.0.2' }), makePod('b', { ip: '10.42.0.3', ready: false }), makePod('c', { ip: '10.42.0.1' })],
      want: ['10.42.0.1,10.42.0.2 | 10.42.0.3 | http:8080/TCP'],
    },
    {
      name: 'pods without an IP, terminal pods and terminating pods are left out',
      service: makeService('web'),
      pods: [makePod('a'), makePod('b', { ip: '10.42.0.3', phase: 'Succeeded' }), makePod('c', { ip: '10.42.0.4', deleting: true }), makePod('d', { ip: '10.42.0.5' })],
      want: ['10.42.0.5 |  | http:8080/TCP'],
    },
    {
      name: 'publishNotReadyAddresses puts every pod, terminating ones too, in addresses',
      service: makeService('web', { publishNotReadyAddresses: true }),
      pods: [makePod('a', { ip: '10.42.0.2', ready: false }), makePod('b', { ip: '10.42.0.3', deleting: true })],
      want: ['10.42.0.2,10.42.0.3 |  | http:8080/TCP'],
    },
    {
      name: 'a named targetPort is resolved per pod; pods without it are left out of that port',
      service: makeService('web', {
        ports: [
          { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
        ],
      }),
      pods: [
        makePod('a', { ip: '10.42.0.2', ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }),
        makePod('b', { ip: '10.42.0.3', ports: [{ name: 'web', containerPort: 8081, protocol: 'TCP' }] }),
        makePod('c', { ip: '10.42.0.4' }),
      ],
      want: ['10.42.0.2,10.42.0.3,10.42.0.4 |  | metrics:9090/TCP', '10.42.0.2 |  | http:8080/TCP', '10.42.0.3 |  | http:8081/TCP'],
    },
    {
      name: 'ports offered by the same addresses share a subset',
      service: makeService('web', {
        ports: [
          { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        ],
      }),
      pods: [makePod('a', { ip: '10.42.0.2' }), makePod('b', { ip: '10.42.0.3', ready: false })],
      want: ['10.42.0.2 | 10.42.0.3 | http:8080/TCP,https:8443/TCP'],
    },
    {
      name: 'a named port must match the Service port protocol',
      service: makeService('dns', { ports: [{ name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' }] }),
      pods: [
        makePod('a', { ip: '10.42.0.2', ports: [{ name: 'dns', containerPort: 5353, protocol: 'TCP' }] }),
        makePod('b', { ip: '10.42.0.3', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] }),
      ],
      want: ['10.42.0.3 |  | dns:53/UDP'],
    },
    {
      name: 'a headless Service without ports gets addresses only',
      service: makeService('db', { ports: [], clusterIP: 'None' }),
      pods: [makePod('a', { ip: '10.42.0.2' }), makePod('b', { ip: '10.42.0.3', ready: false })],
      want: ['10.42.0.2 | 10.42.0.3 | '],
    },
    {
      name: 'a Service with a cluster IP and no ports gets nothing',
      service: makeService('odd', { ports: [] }),
      pods: [makePod('a', { ip: '10.42.0.2' })],
      want: [],
    },
    {
      name: 'no pods, no subsets',
      service: makeService('web'),
      pods: [],
      want: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(brief(desiredSubsets(c.service, c.pods)), c.want));
  }

  test('addresses carry nodeName, targetRef and, for the pod subdomain, hostname', () => {
    const svc = makeService('db');
    const [s] = desiredSubsets(svc, [makePod('a', { ip: '10.42.0.2', node: 'n1', ports: [webPort], hostname: 'a', subdomain: 'db' })]);
    assert.deepEqual(s!.addresses, [{ ip: '10.42.0.2', hostname: 'a', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }]);
    const [t] = desiredSubsets(svc, [makePod('a', { ip: '10.42.0.2', hostname: 'a', subdomain: 'other' })]);
    assert.equal(t!.addresses![0]!.hostname, undefined);
  });
});

describe('findPort', () => {
  const pod = makePod('a', { ports: [{ name: 'web', containerPort: 8080 }] });
  const cases: [string, Parameters<typeof findPort>[1], number | undefined][] = [
    ['numeric targetPort', { port: 80, targetPort: 9000 }, 9000],
    ['no targetPort: the Service port', { port: 80 }, 80],
    ['named targetPort (protocol defaults to TCP)', { port: 80, targetPort: 'web' }, 8080],
    ['unknown name', { port: 80, targetPort: 'nope' }, undefined],
    ['named targetPort, other protocol', { port: 80, targetPort: 'web', protocol: 'UDP' }, undefined],
  ];
  for (const [name, port, want] of cases) test(name, () => assert.equal(findPort(pod, port), want));
});

describe('repackSubsets', () => {
  test('an address ready in one input subset and not ready in another is ready', () => {
    const a = { ip: '10.0.0.1', targetRef: { kind: 'Pod', uid: 'u1' } };
    const port = { port: 80, protocol: 'TCP' as const };
    const out = repackSubsets([
      { notReadyAddresses: [a], ports: [port] },
      { addresses: [a], ports: [port] },
    ]);
    assert.deepEqual(brief(out), ['10.0.0.1 |  | :80/TCP']);
  });

  test('the same IP with two pod UIDs stays two addresses', () => {
    const out = repackSubsets([{ addresses: [{ ip: '10.0.0.1', targetRef: { uid: 'b' } }, { ip: '10.0.0.1', targetRef: { uid: 'a' } }], ports: [{ port: 80 }] }]);
    assert.deepEqual(out[0]!.addresses!.map((x) => x.targetRef?.uid), ['a', 'b']);
  });
});

describe('truncateSubsets', () => {
  const addrs = (n: number, base: string) => Array.from({ length: n }, (_, i) => ({ ip: `${base}.${i}` }));
  test('keeps ready addresses first and cuts not-ready ones in proportion', () => {
    const subsets = [
      { addresses: addrs(6, '10.0.1'), notReadyAddresses: addrs(4, '10.0.2'), ports: [{ port: 1 }] },
      { addresses: addrs(2, '10.0.3'), notReadyAddresses: addrs(4, '10.0.4'), ports: [{ port: 2 }] },
    ];
    assert.equal(truncateSubsets(subsets, 10), true);
    assert.deepEqual(
      subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]),
      [
        [6, 1],
        [2, 1],
      ],
    );
  });
  test('with more ready addresses than room, not-ready ones all go', () => {
    const subsets = [{ addresses: addrs(8, '10.0.1'), notReadyAddresses: addrs(2, '10.0.2') }, { addresses: addrs(4, '10.0.3') }];
    assert.equal(truncateSubsets(subsets, 6), true);
    assert.deepEqual(
      subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]),
      [
        [4, 0],
        [2, 0],
      ],
    );
  });
  test('under capacity: untouched', () => {
    const subsets = [{ addresses: addrs(3, '10.0.1') }];
    assert.equal(truncateSubsets(subsets, 3), false);
    assert.equal(subsets[0]!.addresses.length, 3);
  });
});

describe('desiredEndpoints', () => {
  const svc = makeService('web', { labels: { app: 'web', [HEADLESS_LABEL]: 'x' } });
  const pods = [makePod('a', { ip: '10.42.0.2' })];

  test('a new object: name, labels (Service labels, managed-by; no headless label with a cluster IP), trigger time', () => {
    const e = desiredEndpoints(svc, pods, undefined, Date.UTC(2025, 0, 1, 0, 0, 5))!;
    assert.equal(e.metadata?.name, 'web');
    assert.equal(e.metadata?.namespace, 'default');
    assert.deepEqual(e.metadata?.labels, { app: 'web', [MANAGED_BY_LABEL]: 'endpoint-controller' });
    assert.deepEqual(e.metadata?.annotations, { 'endpoints.kubernetes.io/last-change-trigger-time': '2025-01-01T00:00:05Z' });
    assert.equal(e.subsets?.length, 1);
  });

  test('headless Services get the headless label', () => {
    const e = desiredEndpoints(makeService('db', { clusterIP: 'None' }), pods, undefined)!;
    assert.equal(e.metadata?.labels?.[HEADLESS_LABEL], '');
  });

  test('unchanged: nothing to write, whatever the key order of the stored object', () => {
    const first = desiredEndpoints(svc, pods, undefined)!;
    const stored = JSON.parse(JSON.stringify({ ...first, subsets: first.subsets?.map((s) => ({ ports: s.ports, addresses: s.addresses })) }));
    assert.equal(desiredEndpoints(svc, pods, stored, Date.now()), undefined);
  });

  test('changed: an updated copy that keeps other annotations and drops a stale trigger time', () => {
    const current = { ...desiredEndpoints(svc, pods, undefined, 1000)!, metadata: { name: 'web', namespace: 'default', resourceVersion: '7', annotations: { keep: 'me', 'endpoints.kubernetes.io/last-change-trigger-time': 'x' } } };
    const e = desiredEndpoints(svc, [...pods, makePod('b', { ip: '10.42.0.3' })], current)!;
    assert.equal(e.metadata?.resourceVersion, '7');
    assert.deepEqual(e.metadata?.annotations, { keep: 'me' });
    assert.deepEqual(brief(e.subsets!), ['10.42.0.2,10.42.0.3 |  | http:8080/TCP']);
    assert.equal(current.metadata.annotations.keep, 'me', 'input untouched');
  });

  test('over capacity: truncated to 1000 addresses and annotated', () => {
    const many = Array.from({ length: 1005 }, (_, i) => makePod(`p${i}`, { ip: `10.42.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
    const e = desiredEndpoints(svc, many, undefined)!;
    assert.equal(e.subsets?.[0]?.addresses?.length, 1000);
    assert.equal(e.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION], 'truncated');
    assert.equal(desiredEndpoints(svc, many, { ...e, metadata: { ...e.metadata } }), undefined);
  });
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { buildProxyState, type BuildProxyStateInput } from './build-proxy-state.js';
import type { ProxyServicePort } from './model.js';

const svc = (name: string, spec: Service['spec'], status?: Service['status']): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec, ...(status ? { status } : {}),
});

type Ep = { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean };
const slice = (service: string, ports: Array<{ name?: string; port: number; protocol?: string }>, eps: Ep[], name = `${service}-abc`): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': service } },
  ports,
  endpoints: eps.map((e) => ({
    addresses: [e.ip],
    ...(e.node ? { nodeName: e.node } : {}),
    ...(e.ready === undefined && e.serving === undefined && e.terminating === undefined
      ? {}
      : { conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating } }),
  })),
});

const base = { nodeName: 'n1', serviceCIDRs: ['198.18.160.0/24'], nodeIPs: ['192.0.2.2'] };
const build = (i: Partial<BuildProxyStateInput>) => buildProxyState({ services: [], endpointSlices: [], ...base, ...i });
const only = (i: Partial<BuildProxyStateInput>): ProxyServicePort => {
  const s = build(i).services;
  assert.equal(s.length, 1, JSON.stringify(s));
  return s[0]!;
};

test('ClusterIP: one entry per port, endpoints from the slice port of the same name, sorted', () => {
  const state = build({
    services: [svc('web', { type: 'ClusterIP', clusterIP: '198.18.160.10', clusterIPs: ['198.18.160.10'], ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'dns', port: 53, protocol: 'UDP' }] })],
    endpointSlices: [slice('web', [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }], [{ ip: '198.18.96.10', node: 'n1' }, { ip: '198.18.96.9', node: 'n2' }])],
  });
  assert.deepEqual(state.services.map((s) => s.key), ['default/web:dns', 'default/web:http']);
  const http = state.services[1]!;
  assert.deepEqual(http, {
    key: 'default/web:http', namespace: 'default', name: 'web', portName: 'http', protocol: 'TCP',
    clusterIPs: ['198.18.160.10'], port: 80, loadBalancerIPs: [], externalIPs: [],
    externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster',
    endpoints: [
      { ip: '198.18.96.9', port: 8080, ready: true, local: false },
      { ip: '198.18.96.10', port: 8080, ready: true, local: true },
    ],
  });
  assert.equal(state.services[0]!.protocol, 'UDP');
  assert.deepEqual(state.services[0]!.endpoints.map((e) => e.port), [5353, 5353]);
  assert.deepEqual(state.serviceCIDRs, ['198.18.160.0/24']);
  assert.deepEqual(state.nodeIPs, ['192.0.2.2']);
});

test('table: service shapes', () => {
  const cases: Array<{ name: string; service: Service; want: Partial<ProxyServicePort> | null }> = [
    { name: 'ExternalName → nothing', service: svc('x', { type: 'ExternalName', externalName: 'example.org' }), want: null },
    { name: 'headless → nothing', service: svc('x', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 80 }] }), want: null },
    { name: 'no clusterIP yet → nothing', service: svc('x', { ports: [{ port: 80 }] }), want: null },
    { name: 'unnamed port: key ends with ":"', service: svc('x', { clusterIP: '198.18.160.5', ports: [{ port: 80 }] }), want: { key: 'default/x:', portName: '', protocol: 'TCP' } },
    { name: 'IPv6 cluster IPs dropped', service: svc('x', { clusterIPs: ['fd00::5', '198.18.160.5'], ports: [{ port: 80 }] }), want: { clusterIPs: ['198.18.160.5'] } },
    { name: 'ClusterIP ignores nodePort and Local external policy', service: svc('x', { type: 'ClusterIP', clusterIP: '198.18.160.5', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30080 }] }), want: { nodePort: undefined, externalTrafficPolicy: 'Cluster' } },
    { name: 'NodePort', service: svc('x', { type: 'NodePort', clusterIP: '198.18.160.5', ports: [{ port: 80, nodePort: 30080 }] }), want: { nodePort: 30080, loadBalancerIPs: [] } },
    {
      name: 'LoadBalancer with status ingress, externalTrafficPolicy Local',
      service: svc('x', { type: 'LoadBalancer', clusterIP: '198.18.160.5', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30081 }] }, { loadBalancer: { ingress: [{ ip: '192.0.2.2' }, { hostname: 'lb.example' }, { ip: '192.0.2.2' }] } }),
      want: { nodePort: 30081, loadBalancerIPs: ['192.0.2.2'], externalTrafficPolicy: 'Local' },
    },
    { name: 'LB status ignored for a NodePort Service', service: svc('x', { type: 'NodePort', clusterIP: '198.18.160.5', ports: [{ port: 80, nodePort: 30080 }] }, { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } }), want: { loadBalancerIPs: [] } },
    { name: 'externalIPs', service: svc('x', { clusterIP: '198.18.160.5', externalIPs: ['203.0.113.9', '203.0.113.1'], ports: [{ port: 80 }] }), want: { externalIPs: ['203.0.113.1', '203.0.113.9'] } },
    { name: 'ClientIP affinity default timeout', service: svc('x', { clusterIP: '198.18.160.5', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }), want: { sessionAffinity: { timeoutSeconds: 10800 } } },
    { name: 'ClientIP affinity with timeout', service: svc('x', { clusterIP: '198.18.160.5', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80 }] }), want: { sessionAffinity: { timeoutSeconds: 60 } } },
    { name: 'sessionAffinity None', service: svc('x', { clusterIP: '198.18.160.5', sessionAffinity: 'None', ports: [{ port: 80 }] }), want: { sessionAffinity: undefined } },
    { name: 'internalTrafficPolicy Local', service: svc('x', { clusterIP: '198.18.160.5', internalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), want: { internalTrafficPolicy: 'Local' } },
  ];
  for (const c of cases) {
    const s = build({ services: [c.service] }).services;
    if (c.want === null) {
      assert.deepEqual(s, [], c.name);
      continue;
    }
    assert.equal(s.length, 1, c.name);
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual((s[0] as unknown as Record<string, unknown>)[k], v, `${c.name}: ${k}`);
  }
});

test('table: endpoint conditions (ready / serving / terminating as kube-proxy)', () => {
  const s = svc('web', { clusterIP: '198.18.160.10', ports: [{ port: 80 }] });
  const cases: Array<{ name: string; eps: Ep[]; ready: boolean[] }> = [
    { name: 'no conditions → ready', eps: [{ ip: '198.18.96.2' }], ready: [true] },
    { name: 'not ready', eps: [{ ip: '198.18.96.2', ready: false }], ready: [false] },
    { name: 'ready ones win over serving+terminating', eps: [{ ip: '198.18.96.2', ready: true }, { ip: '198.18.96.3', ready: false, serving: true, terminating: true }], ready: [true, false] },
    { name: 'no ready → serving+terminating used', eps: [{ ip: '198.18.96.2', ready: false, serving: true, terminating: true }, { ip: '198.18.96.3', ready: false, serving: false, terminating: true }], ready: [true, false] },
    { name: 'not ready, serving, not terminating → unused', eps: [{ ip: '198.18.96.2', ready: false, serving: true, terminating: false }], ready: [false] },
  ];
  for (const c of cases) {
    const sp = only({ services: [s], endpointSlices: [slice('web', [{ port: 8080 }], c.eps)] });
    assert.deepEqual(sp.endpoints.map((e) => e.ready), c.ready, c.name);
  }
});

test('slices: grouped by the service-name label, ports matched by name and protocol, duplicates merged, other families ignored', () => {
  const s = svc('web', { clusterIP: '198.18.160.10', ports: [{ name: 'http', port: 80 }] });
  const sp = only({
    services: [s, svc('other', { clusterIP: '198.18.160.11', ports: [{ name: 'http', port: 80 }] })].slice(0, 1),
    endpointSlices: [
      slice('web', [{ name: 'http', port: 8080 }], [{ ip: '198.18.96.2', ready: false }], 'web-1'),
      slice('web', [{ name: 'http', port: 8080 }], [{ ip: '198.18.96.2', ready: true, node: 'n1' }, { ip: '198.18.96.3' }], 'web-2'),
      slice('web', [{ name: 'http', port: 9090, protocol: 'UDP' }], [{ ip: '198.18.96.4' }], 'web-udp'),
      slice('web', [{ name: 'metrics', port: 9100 }], [{ ip: '198.18.96.5' }], 'web-metrics'),
      slice('other', [{ name: 'http', port: 8080 }], [{ ip: '198.18.96.6' }], 'other-1'),
      { ...slice('web', [{ name: 'http', port: 8080 }], [{ ip: 'fd00::1' }], 'web-v6'), addressType: 'IPv6' },
      { ...slice('web', [{ name: 'http', port: 8080 }], [{ ip: '198.18.96.7' }], 'unlabelled'), metadata: { namespace: 'default', name: 'unlabelled' } },
    ],
  });
  assert.deepEqual(sp.endpoints, [
    { ip: '198.18.96.2', port: 8080, ready: true, local: true },
    { ip: '198.18.96.3', port: 8080, ready: true, local: false },
  ]);
});

test('a Service without slices has no endpoints (its connections are rejected); same name in another namespace is not mixed in', () => {
  const other = slice('web', [{ port: 8080 }], [{ ip: '198.18.96.2' }]);
  const sp = only({
    services: [svc('web', { clusterIP: '198.18.160.10', ports: [{ port: 80 }] })],
    endpointSlices: [{ ...other, metadata: { ...other.metadata, namespace: 'prod' } }],
  });
  assert.deepEqual(sp.endpoints, []);
});

test('nodePortAddresses is passed through only when given; the result shares nothing with the input', () => {
  const cidrs = ['198.18.160.0/24'];
  const st = buildProxyState({ services: [], endpointSlices: [], nodeName: 'n1', serviceCIDRs: cidrs, nodeIPs: [], nodePortAddresses: ['127.0.0.1'] });
  assert.deepEqual(st.nodePortAddresses, ['127.0.0.1']);
  cidrs.push('x');
  assert.deepEqual(st.serviceCIDRs, ['198.18.160.0/24']);
  assert.equal('nodePortAddresses' in build({}), false);
});

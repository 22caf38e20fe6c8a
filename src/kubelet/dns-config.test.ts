import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseResolvConf, podDNSConfig, type ClusterDNSSettings } from './dns-config.js';

const node = parseResolvConf('# generated\nnameserver 192.0.2.53\nnameserver 192.0.2.54 # second\nsearch corp.example lab.example\noptions edns0 timeout:2\n');
const dns: ClusterDNSSettings = { servers: ['10.43.0.10'], domain: 'cluster.local', node };
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}, ns = 'team'): Pod => ({ metadata: { name: 'p', namespace: ns }, spec: { containers: [], ...spec } });

test('parseResolvConf reads nameservers, the last search line and options', () => {
  assert.deepEqual(node, { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] });
  assert.deepEqual(parseResolvConf('domain one.example\n').searches, ['one.example']);
});

test('ClusterFirst: cluster DNS, namespace search path before the node search path, ndots:5', () => {
  assert.deepEqual(podDNSConfig(pod(), dns), {
    servers: ['10.43.0.10'],
    searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
    options: ['ndots:5'],
  });
});

test('host network: ClusterFirst behaves as Default; ClusterFirstWithHostNet uses the cluster DNS', () => {
  assert.deepEqual(podDNSConfig(pod({ hostNetwork: true }), dns), node);
  assert.deepEqual(podDNSConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), dns).servers, ['10.43.0.10']);
});

test('Default is the node configuration; ClusterFirst without cluster DNS falls back to it', () => {
  assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'Default' }), dns), node);
  assert.deepEqual(podDNSConfig(pod(), { ...dns, servers: [] }), node);
});

test('None takes only dnsConfig; dnsConfig merges into the others (dedupe, limits, options by name)', () => {
  assert.deepEqual(
    podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), dns),
    { servers: ['1.1.1.1'], searches: ['a.example'], options: ['ndots:2', 'edns0'] },
  );
  const merged = podDNSConfig(pod({ dnsConfig: { nameservers: ['10.43.0.10', '9.9.9.9', '8.8.8.8', '7.7.7.7'], searches: ['svc.cluster.local', 'x.example'], options: [{ name: 'ndots', value: '1' }] } }), dns);
  assert.deepEqual(merged.servers, ['10.43.0.10', '9.9.9.9', '8.8.8.8']);
  assert.deepEqual(merged.searches, ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'x.example']);
  assert.deepEqual(merged.options, ['ndots:1']);
});

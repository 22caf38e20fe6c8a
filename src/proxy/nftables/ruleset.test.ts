// Pure: the table content for a state and the diff script (no nft needed). The real kernel
// behaviour is checked in nftables-backend.test.ts.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ProxyServicePort, ProxyState } from '../model.js';
import { desiredRuleset, endpointChain, externalChain, serviceChain, syncScript, type RulesetEnvironment } from './ruleset.js';
import { endpoint, servicePort } from './testing.js';

const env: RulesetEnvironment = { localAddresses: new Set(['127.0.0.1', '192.0.2.2']), portInUse: () => false };
const state = (services: ProxyServicePort[], extra: Partial<ProxyState> = {}): ProxyState => ({ serviceCIDRs: ['198.18.160.0/24'], nodeIPs: ['192.0.2.2'], services, ...extra });
const elements = (s: ProxyState, set: string, e = env) => [...(desiredRuleset(s, e).ruleset.get(set)?.elements?.keys() ?? [])];

const web = servicePort('default/web:', { clusterIPs: ['198.18.160.10'], endpoints: [endpoint('198.18.96.2'), endpoint('198.18.96.3')] });

test('ClusterIP with endpoints: a service-ips element to its chain, which picks one endpoint at random', () => {
  const { ruleset } = desiredRuleset(state([web]), env);
  assert.deepEqual([...ruleset.get('service-ips')!.elements!.values()], [`198.18.160.10 . tcp . 80 : goto ${serviceChain(web)}`]);
  assert.deepEqual(ruleset.get(serviceChain(web))!.rules, [
    `numgen random mod 2 vmap { 0 : goto ${endpointChain(web, web.endpoints[0]!)}, 1 : goto ${endpointChain(web, web.endpoints[1]!)} }`,
  ]);
  assert.deepEqual(ruleset.get(endpointChain(web, web.endpoints[0]!))!.rules, [
    'ip saddr 198.18.96.2 jump mark-for-masquerade',
    'ip saddr != 127.0.0.0/8 fib saddr type local meta mark set meta mark & 0xffffdfff',
    'meta l4proto tcp dnat to 198.18.96.2:8080',
  ]);
  assert.equal(ruleset.has(externalChain(web)), false);
});

test('node-originated traffic is masqueraded to another node\'s endpoints and from 127/8, not to this node\'s pods', () => {
  const sp = servicePort('default/mixed:', { clusterIPs: ['198.18.160.12'], endpoints: [endpoint('198.18.96.2', { local: true }), endpoint('198.18.97.2', { local: false })] });
  const { ruleset } = desiredRuleset(state([sp]), env);
  const here = ruleset.get(endpointChain(sp, sp.endpoints[0]!))!.rules!;
  const there = ruleset.get(endpointChain(sp, sp.endpoints[1]!))!.rules!;
  assert.ok(here.some((r) => r.startsWith('ip saddr != 127.0.0.0/8 fib saddr type local meta mark set')), 'local pod: the node\'s own mark is cleared');
  assert.ok(here.indexOf('ip saddr 198.18.96.2 jump mark-for-masquerade') < here.findIndex((r) => r.includes('fib saddr')), 'hairpin marking is kept');
  assert.ok(!there.some((r) => r.includes('fib saddr')), 'remote pod: node traffic stays masqueraded');
  assert.ok(ruleset.get('nat-output')!.rules!.includes('meta mark set meta mark | 0x2000'), 'nat-output still marks node traffic first');
});

test('table: which set each address lands in', () => {
  const cases: Array<{ name: string; sp: ProxyServicePort; serviceIPs: string[]; nodePorts: string[]; noEp: string[]; noEpPorts: string[]; e?: RulesetEnvironment }> = [
    { name: 'no ready endpoint → rejected', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], endpoints: [endpoint('198.18.96.2', { ready: false })] }), serviceIPs: [], nodePorts: [], noEp: ['198.18.160.5 . tcp . 80'], noEpPorts: [] },
    { name: 'internalTrafficPolicy Local without local endpoints → rejected', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], internalTrafficPolicy: 'Local', endpoints: [endpoint('198.18.96.2', { local: false })] }), serviceIPs: [], nodePorts: [], noEp: ['198.18.160.5 . tcp . 80'], noEpPorts: [] },
    { name: 'NodePort', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], nodePort: 30080, endpoints: [endpoint('198.18.96.2')] }), serviceIPs: ['198.18.160.5 . tcp . 80'], nodePorts: ['tcp . 30080'], noEp: [], noEpPorts: [] },
    { name: 'NodePort, Local policy, only remote endpoints → cluster IP works, node port rejected', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], nodePort: 30080, externalTrafficPolicy: 'Local', endpoints: [endpoint('198.18.96.2', { local: false })] }), serviceIPs: ['198.18.160.5 . tcp . 80'], nodePorts: [], noEp: [], noEpPorts: ['tcp . 30080'] },
    { name: 'UDP', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], protocol: 'UDP', port: 53, endpoints: [endpoint('198.18.96.2')] }), serviceIPs: ['198.18.160.5 . udp . 53'], nodePorts: [], noEp: [], noEpPorts: [] },
    { name: 'LB IP elsewhere + external IP: on their own address only', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], loadBalancerIPs: ['203.0.113.7'], externalIPs: ['203.0.113.8'], endpoints: [endpoint('198.18.96.2')] }), serviceIPs: ['198.18.160.5 . tcp . 80', '203.0.113.7 . tcp . 80', '203.0.113.8 . tcp . 80'], nodePorts: [], noEp: [], noEpPorts: [] },
    { name: 'LB IP on the node → served on every local address', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], loadBalancerIPs: ['192.0.2.2'], nodePort: 30080, endpoints: [endpoint('198.18.96.2')] }), serviceIPs: ['198.18.160.5 . tcp . 80', '192.0.2.2 . tcp . 80'], nodePorts: ['tcp . 30080', 'tcp . 80'], noEp: [], noEpPorts: [] },
    { name: 'LB IP on the node, port held by a local process → not served there', e: { ...env, portInUse: (p, n) => p === 'tcp' && n === 80 }, sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], loadBalancerIPs: ['192.0.2.2'], endpoints: [endpoint('198.18.96.2')] }), serviceIPs: ['198.18.160.5 . tcp . 80'], nodePorts: [], noEp: [], noEpPorts: [] },
    { name: 'LB on the node without endpoints → its port rejected', sp: servicePort('d/x:', { clusterIPs: ['198.18.160.5'], loadBalancerIPs: ['192.0.2.2'] }), serviceIPs: [], nodePorts: [], noEp: ['198.18.160.5 . tcp . 80', '192.0.2.2 . tcp . 80'], noEpPorts: ['tcp . 80'] },
  ];
  for (const c of cases) {
    const s = state([c.sp]);
    assert.deepEqual(elements(s, 'service-ips', c.e), c.serviceIPs, `${c.name}: service-ips`);
    assert.deepEqual(elements(s, 'node-ports', c.e), c.nodePorts, `${c.name}: node-ports`);
    assert.deepEqual(elements(s, 'no-endpoint-services', c.e), c.noEp, `${c.name}: no-endpoint-services`);
    assert.deepEqual(elements(s, 'no-endpoint-nodeports', c.e), c.noEpPorts, `${c.name}: no-endpoint-nodeports`);
  }
});

test('externalTrafficPolicy: Cluster masquerades and uses every endpoint, Local only local ones without masquerade', () => {
  const eps = [endpoint('198.18.96.2', { local: true }), endpoint('198.18.96.3', { local: false })];
  const cluster = servicePort('d/c:', { clusterIPs: ['198.18.160.5'], nodePort: 30080, endpoints: eps });
  const local = servicePort('d/l:', { clusterIPs: ['198.18.160.6'], nodePort: 30081, externalTrafficPolicy: 'Local', endpoints: eps });
  const { ruleset } = desiredRuleset(state([cluster, local]), env);
  assert.equal(ruleset.get(externalChain(cluster))!.rules![0], 'jump mark-for-masquerade');
  assert.match(ruleset.get(externalChain(cluster))!.rules![1]!, /^numgen random mod 2/);
  assert.deepEqual(ruleset.get(externalChain(local))!.rules, [`goto ${endpointChain(local, eps[0]!)}`]);
});

test('ClientIP affinity: a timed dynamic set per endpoint, looked up before the random pick and refreshed on use', () => {
  const sp = { ...web, sessionAffinity: { timeoutSeconds: 60 } };
  const { ruleset } = desiredRuleset(state([sp]), env);
  const rules = ruleset.get(serviceChain(sp))!.rules!;
  assert.equal(rules.length, 3);
  assert.match(rules[0]!, /^ip saddr @aff-\S+ goto ep-/);
  const set = /@(aff-\S+)/.exec(rules[0]!)![1]!;
  assert.deepEqual(ruleset.get(set), { kind: 'set', decl: 'type ipv4_addr; flags dynamic,timeout; timeout 60s;' });
  assert.ok(ruleset.get(endpointChain(sp, sp.endpoints[0]!))!.rules!.includes(`update @${set} { ip saddr }`));
});

test('port conflicts between Services are reported PortInUse and the first (by key) keeps the port', () => {
  const a = servicePort('d/a:', { clusterIPs: ['198.18.160.5'], nodePort: 30080, endpoints: [endpoint('198.18.96.2')] });
  const b = servicePort('d/b:', { clusterIPs: ['198.18.160.6'], port: 30080, loadBalancerIPs: ['192.0.2.2'], endpoints: [endpoint('198.18.96.3')] });
  const { ruleset, warnings } = desiredRuleset(state([a, b]), env);
  assert.deepEqual([...ruleset.get('node-ports')!.elements!.values()], [`tcp . 30080 : goto ${externalChain(a)}`]);
  assert.deepEqual(warnings.map((w) => [w.name, w.reason]), [['b', 'PortInUse']]);
  assert.match(warnings[0]!.message, /already used by Service d\/a/);
});

test('nodePortAddresses: node ports only on those addresses', () => {
  const { ruleset } = desiredRuleset(state([web], { nodePortAddresses: ['192.0.2.2'] }), env);
  assert.deepEqual(ruleset.get('services')!.rules![1], 'ip daddr @nodeport-ips meta l4proto . th dport vmap @node-ports');
  assert.deepEqual([...ruleset.get('nodeport-ips')!.elements!.keys()], ['192.0.2.2']);
});

test('syncScript: full rebuild in one transaction, then only what changed; nothing when nothing changed', () => {
  const first = desiredRuleset(state([web]), env).ruleset;
  const full = syncScript('t', undefined, first);
  assert.deepEqual(full.split('\n').slice(0, 3), ['add table ip t', 'delete table ip t', 'add table ip t']);
  assert.equal(syncScript('t', first, desiredRuleset(state([web]), env).ruleset), '');

  const grown = { ...web, endpoints: [...web.endpoints, endpoint('198.18.96.4')] };
  const second = desiredRuleset(state([grown]), env).ruleset;
  const inc = syncScript('t', first, second).trim().split('\n');
  const epc = endpointChain(grown, grown.endpoints[2]!);
  assert.ok(inc.indexOf(`add chain ip t ${epc} {  }`) < inc.findIndex((l) => l.includes(`goto ${epc}`)), 'chains exist before rules jump to them');
  assert.deepEqual([...inc].sort(), [
    `add chain ip t ${endpointChain(grown, grown.endpoints[2]!)} {  }`,
    `flush chain ip t ${serviceChain(web)}`,
    second.get(serviceChain(web))!.rules!.map((r) => `add rule ip t ${serviceChain(web)} ${r}`)[0]!,
    `add rule ip t ${endpointChain(grown, grown.endpoints[2]!)} ip saddr 198.18.96.4 jump mark-for-masquerade`,
    `add rule ip t ${endpointChain(grown, grown.endpoints[2]!)} ip saddr != 127.0.0.0/8 fib saddr type local meta mark set meta mark & 0xffffdfff`,
    `add rule ip t ${endpointChain(grown, grown.endpoints[2]!)} meta l4proto tcp dnat to 198.18.96.4:8080`,
  ].sort());

  // the Service goes: its element is deleted before its chains are flushed and deleted
  const gone = syncScript('t', second, desiredRuleset(state([]), env).ruleset).trim().split('\n');
  const delElement = gone.findIndex((l) => l.startsWith('delete element ip t service-ips'));
  const delChain = gone.findIndex((l) => l === `delete chain ip t ${serviceChain(web)}`);
  assert.ok(delElement >= 0 && delChain > delElement, gone.join('\n'));
  assert.ok(gone.includes(`flush chain ip t ${serviceChain(web)}`));
});

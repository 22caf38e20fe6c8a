// The pure rule builder: names within iptables' limits, kube-proxy's chain layout, rejects.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { endpoint, servicePort } from '../backend-conformance.js';
import { chainPrefix, hashedChain, MAX_CHAIN_NAME } from './names.js';
import { buildRules, jumpRules } from './rules.js';

test('chain prefixes: readable for short tags, hashed otherwise; names ≤ 28 characters', () => {
  assert.equal(chainPrefix('skiff'), 'SKIFF');
  const p = chainPrefix('skiff-1a2b3c4d');
  assert.match(p, /^SK[A-Z2-7]{8}$/);
  assert.notEqual(p, chainPrefix('skiff-1a2b3c4e'));
  for (const prefix of [p, 'SKIFF', 'SKIFFSKIFF']) {
    for (const kind of ['SVC', 'SVL', 'EXT', 'SEP'] as const) assert.ok(hashedChain(prefix, kind, 'default/web:http/TCP').length <= MAX_CHAIN_NAME);
  }
});

test('rules: random choice, affinity, masquerade, node ports, rejects', () => {
  const P = 'SKIFF';
  const web = servicePort('web', {
    clusterIPs: ['10.43.0.10'],
    port: 80,
    nodePort: 30080,
    sessionAffinity: { timeoutSeconds: 300 },
    endpoints: [endpoint('10.42.0.2', 8080), endpoint('10.42.0.3', 8080), endpoint('10.42.0.4', 8080, { ready: false })],
  });
  const none = servicePort('none', { clusterIPs: ['10.43.0.11'], port: 53, protocol: 'UDP' });
  const headless = servicePort('headless', { clusterIPs: [], port: 80, endpoints: [endpoint('10.42.0.2', 80)] });
  const r = buildRules({ services: [headless, none, web], serviceCIDRs: ['10.43.0.0/16'], nodeIPs: ['192.0.2.2'] }, P);
  const svc = hashedChain(P, 'SVC', 'default/web:/TCP');
  const ext = hashedChain(P, 'EXT', 'default/web:/TCP');
  const sep2 = hashedChain(P, 'SEP', 'default/web:/TCP/10.42.0.2:8080');
  const nat = r.nat.get('SKIFF-SERVICES')!;
  assert.deepEqual(nat, [
    `-d 10.43.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web: cluster IP" -j ${svc}`,
    '-m addrtype --dst-type LOCAL -m comment --comment "node ports" -j SKIFF-NODEPORTS',
  ]);
  const chain = r.nat.get(svc)!;
  assert.equal(chain[0], '-m addrtype --src-type LOCAL -j SKIFF-MARK-MASQ');
  assert.equal(chain.filter((l) => l.includes('--rcheck --seconds 300 --reap')).length, 2);
  assert.match(chain.at(-2)!, /-m statistic --mode random --probability 0\.5000000000 -j SKIFF-SEP-/);
  assert.doesNotMatch(chain.at(-1)!, /statistic/);
  assert.deepEqual(r.nat.get(sep2), [
    '-s 10.42.0.2/32 -m comment --comment "default/web: hairpin" -j SKIFF-MARK-MASQ',
    '! -s 127.0.0.0/8 -m addrtype --src-type LOCAL -m comment --comment "default/web: from the node to a local pod, no SNAT" -j MARK --and-mark 0xffffbfff',
    `-p tcp -m tcp -m recent --name ${sep2} --set -j DNAT --to-destination 10.42.0.2:8080`,
  ]);
  assert.deepEqual(r.nat.get(ext), ['-m comment --comment "masquerade traffic for default/web: external destinations" -j SKIFF-MARK-MASQ', `-j ${svc}`]);
  assert.deepEqual(r.nat.get('SKIFF-NODEPORTS'), [`-p tcp -m tcp --dport 30080 -m comment --comment "default/web: node port" -j ${ext}`]);
  assert.deepEqual(r.filter.get('SKIFF-SERVICES'), [
    '-d 10.43.0.11/32 -p udp -m udp --dport 53 -m comment --comment "default/none: has no endpoints" -j REJECT --reject-with icmp-port-unreachable',
    '-d 10.43.0.0/16 -m comment --comment "rest of the service CIDR" -j REJECT --reject-with icmp-port-unreachable',
  ]);
  assert.equal([...r.nat.keys()].filter((c) => c.includes('-SEP-')).length, 2, 'no chain for the unready endpoint');
  assert.ok(jumpRules(P, 'skiff').every((j) => j.args.includes('"skiff ')));
});

test('rules: externalTrafficPolicy Local keeps the client address and rejects without local endpoints', () => {
  const P = 'SKIFF';
  const lb = servicePort('lb', {
    clusterIPs: ['10.43.0.12'],
    port: 443,
    nodePort: 30443,
    loadBalancerIPs: ['192.0.2.2'],
    externalTrafficPolicy: 'Local',
    endpoints: [endpoint('10.42.1.2', 8443, { local: false })],
  });
  const r = buildRules({ services: [lb], serviceCIDRs: [], nodeIPs: ['192.0.2.2'] }, P);
  const ext = hashedChain(P, 'EXT', 'default/lb:/TCP');
  assert.ok(!r.nat.get(hashedChain(P, 'SEP', 'default/lb:/TCP/10.42.1.2:8443'))!.some((l) => l.includes('--and-mark')), 'another node\'s pod: node traffic stays masqueraded');
  assert.deepEqual(r.nat.get(ext), [
    '-m addrtype --src-type LOCAL -j SKIFF-MARK-MASQ',
    `-m addrtype --src-type LOCAL -j ${hashedChain(P, 'SVC', 'default/lb:/TCP')}`,
  ]);
  const rejects = r.filter.get('SKIFF-EXTERNAL')!;
  assert.deepEqual(
    rejects.map((l) => l.replace(/ -m comment.*$/, '')),
    ['-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30443', '-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 443'],
    'a LoadBalancer ingress on a node address is served like a node port, on every node address',
  );
  assert.ok(rejects.every((l) => l.includes('has no local endpoints')));
});

test('rules: a LoadBalancer port a process listens on, or another Service holds, is reported and not taken', () => {
  const P = 'SKIFF';
  const mk = (name: string, port: number, nodePort: number) =>
    servicePort(name, { clusterIPs: [`10.43.0.${port % 200}`], port, nodePort, loadBalancerIPs: ['192.0.2.2'], endpoints: [endpoint('10.42.0.2', 80)] });
  const env = { localAddresses: new Set(['127.0.0.1', '192.0.2.2']), portInUse: (proto: string, port: number) => proto === 'tcp' && port === 22 };
  const r = buildRules({ services: [mk('a-ssh', 22, 30022), mk('b-web', 80, 30080), mk('c-web', 80, 30081)], serviceCIDRs: [], nodeIPs: ['192.0.2.2'] }, P, env);
  assert.deepEqual(
    r.warnings.map((w) => `${w.name} ${w.reason}: ${w.message}`),
    [
      'a-ssh PortInUse: LoadBalancer port 22/TCP is already in use by a process on the node (ingress 192.0.2.2); not served there',
      "c-web PortInUse: LoadBalancer port 80/TCP on the node's addresses is already used by Service default/b-web",
    ],
  );
  const ports = r.nat.get('SKIFF-NODEPORTS')!.map((l) => /--dport (\d+)/.exec(l)![1]);
  assert.deepEqual(ports, ['30022', '30080', '80', '30081']);
});

import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { HostPortError, HostPorts, hostPortTableScript, type HostPortEntry } from './host-ports.js';

const ROOT = process.getuid?.() === 0;
const NFT = spawnSync('nft', ['--version']).status === 0;

const entry = (over: Partial<HostPortEntry> = {}): HostPortEntry => ({ sandboxId: 's1', pod: 'default/web', podIP: '198.18.0.5', protocol: 'TCP', hostPort: 8080, containerPort: 80, ...over });

/** A HostPorts whose scripts are recorded instead of applied. */
function recorded(opts: { exists?: boolean; fail?: boolean } = {}) {
  const scripts: string[] = [];
  const hp = new HostPorts({
    table: 'skiff-test-hostports',
    apply: async (s) => {
      if (opts.fail) throw new Error('nft: boom');
      scripts.push(s);
    },
    tableExists: async () => opts.exists ?? false,
  });
  return { hp, scripts };
}

test('hostPortTableScript: DNAT per mapping on local addresses (hostIP ones first), masquerade for loopback and hairpin, the table replaced whole', () => {
  const s = hostPortTableScript('t', [entry(), entry({ sandboxId: 's2', pod: 'ns/dns', podIP: '198.18.0.6', protocol: 'UDP', hostPort: 5353, containerPort: 53, hostIP: '192.0.2.1' })]);
  const lines = s.split('\n').map((l) => l.trim());
  assert.deepEqual(lines.slice(0, 2), ['add table ip t', 'delete table ip t']);
  assert.ok(lines.includes('fib daddr type local jump hostports'));
  assert.ok(lines.includes('type nat hook prerouting priority -101; policy accept;'));
  assert.ok(lines.includes('type nat hook output priority -101; policy accept;'));
  const udp = lines.indexOf('ip daddr 192.0.2.1 udp dport 5353 dnat to 198.18.0.6:53 comment "ns/dns"');
  const tcp = lines.indexOf('tcp dport 8080 dnat to 198.18.0.5:80 comment "default/web"');
  assert.ok(udp > 0 && tcp > udp, s);
  assert.ok(lines.includes('ip saddr 127.0.0.0/8 ip daddr 198.18.0.5 tcp dport 80 ct status dnat masquerade'));
  assert.ok(lines.includes('ip saddr 198.18.0.5 ip daddr 198.18.0.5 tcp dport 80 ct status dnat masquerade'), 'hairpin');
});

test('hostPortTableScript: no entries deletes the table', () => {
  assert.equal(hostPortTableScript('t', []), 'add table ip t\ndelete table ip t\n');
});

test('HostPorts: add publishes, a second pod on the same port (any address, or the same hostIP) is refused and changes nothing, remove withdraws', async () => {
  const { hp, scripts } = recorded();
  await hp.add('s1', 'default/a', '198.18.0.5', [{ protocol: 'TCP', hostPort: 8080, containerPort: 80 }]);
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]!, /tcp dport 8080 dnat to 198\.18\.0\.5:80/);
  await assert.rejects(hp.add('s2', 'default/b', '198.18.0.6', [{ protocol: 'TCP', hostPort: 8080, containerPort: 81, hostIP: '192.0.2.1' }]), (e: Error) => e instanceof HostPortError && /hostPort 8080\/TCP on 192\.0\.2\.1: pod default\/a publishes it on this node/.test(e.message));
  assert.equal(scripts.length, 1);
  // another protocol, or another port, is fine
  await hp.add('s2', 'default/b', '198.18.0.6', [{ protocol: 'UDP', hostPort: 8080, containerPort: 81 }, { protocol: 'TCP', hostPort: 8081, containerPort: 81, hostIP: '0.0.0.0' }]);
  assert.equal(hp.entries().length, 3);
  assert.equal(hp.entries().find((e) => e.hostPort === 8081)!.hostIP, undefined, '0.0.0.0 is every address');
  await hp.remove('s1');
  assert.deepEqual(hp.entries().map((e) => e.sandboxId), ['s2', 's2']);
  assert.doesNotMatch(scripts.at(-1)!, /198\.18\.0\.5/);
  await hp.remove('s2');
  assert.equal(scripts.at(-1), 'add table ip skiff-test-hostports\ndelete table ip skiff-test-hostports\n');
  const n = scripts.length;
  await hp.remove('s2');
  await hp.add('s3', 'default/c', '198.18.0.7', []);
  assert.equal(scripts.length, n, 'nothing to change: no nft run');
});

test("HostPorts: a new sandbox of the same pod may publish what an old one still holds (a failed withdrawal); the new one's rule comes first", async () => {
  const { hp, scripts } = recorded();
  await hp.add('old', 'default/web', '198.18.0.5', [{ protocol: 'TCP', hostPort: 8080, containerPort: 80 }]);
  await hp.add('new', 'default/web', '198.18.0.9', [{ protocol: 'TCP', hostPort: 8080, containerPort: 80 }]);
  const script = scripts.at(-1)!;
  assert.ok(script.indexOf('dnat to 198.18.0.9:80') < script.indexOf('dnat to 198.18.0.5:80'), script);
  await hp.remove('old');
  assert.deepEqual(hp.entries().map((e) => e.podIP), ['198.18.0.9']);
  await assert.rejects(hp.add('other', 'default/api', '198.18.0.7', [{ protocol: 'TCP', hostPort: 8080, containerPort: 80 }]), /pod default\/web publishes it/);
});

test('HostPorts: one pod publishing one port twice, bad ports, protocols and IPv6 hostIPs are refused', async () => {
  const { hp, scripts } = recorded();
  const bad: [string, Parameters<HostPorts['add']>[3]][] = [
    ['this pod already publishes', [{ protocol: 'TCP', hostPort: 80, containerPort: 80 }, { protocol: 'TCP', hostPort: 80, containerPort: 81 }]],
    ['hostPort 0: expected 1..65535', [{ protocol: 'TCP', hostPort: 0, containerPort: 80 }]],
    ['containerPort 70000: expected 1..65535', [{ protocol: 'TCP', hostPort: 80, containerPort: 70000 }]],
    ['unsupported protocol ICMP', [{ protocol: 'ICMP' as 'TCP', hostPort: 80, containerPort: 80 }]],
    ['only IPv4 addresses', [{ protocol: 'TCP', hostPort: 80, containerPort: 80, hostIP: '::1' }]],
  ];
  for (const [message, mappings] of bad) {
    await assert.rejects(hp.add('s1', 'default/a', '198.18.0.5', mappings), (e: Error) => e instanceof HostPortError && e.message.includes(message), message);
  }
  assert.equal(scripts.length, 0);
  assert.throws(() => new HostPorts({ table: 'bad name; flush ruleset' }), /hostPort table name/);
});

test('HostPorts: a failed apply leaves the previous mappings in force; calls run one at a time in order', async () => {
  const order: string[] = [];
  let fail = false;
  const hp = new HostPorts({
    table: 't',
    apply: async (s) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('nft: boom');
      order.push(s.includes('8081') ? 'b' : s.includes('8080') ? 'a' : 'none');
    },
    tableExists: async () => false,
  });
  await Promise.all([hp.add('s1', 'x/a', '198.18.0.5', [{ protocol: 'TCP', hostPort: 8080, containerPort: 80 }]), hp.add('s2', 'x/b', '198.18.0.6', [{ protocol: 'TCP', hostPort: 8081, containerPort: 80 }])]);
  assert.deepEqual(order, ['a', 'b']);
  fail = true;
  await assert.rejects(hp.remove('s1'), /boom/);
  assert.equal(hp.entries().length, 2);
});

test('HostPorts.restore: keeps what fits, reports the rest, and deletes a stale table when nothing is left', async () => {
  const { hp, scripts } = recorded({ exists: true });
  const dropped = await hp.restore([entry(), entry({ sandboxId: 's2', pod: 'default/other' }), entry({ sandboxId: 's3', hostPort: 0 })]);
  assert.deepEqual(dropped.map((d) => d.entry.sandboxId), ['s2', 's3']);
  assert.match(dropped[0]!.reason, /overlaps pod default\/web/);
  assert.equal(hp.entries().length, 1);
  assert.equal(scripts.length, 1);
  const empty = recorded({ exists: true });
  await empty.hp.restore([]);
  assert.deepEqual(empty.scripts, ['add table ip skiff-test-hostports\ndelete table ip skiff-test-hostports\n']);
  const none = recorded({ exists: false });
  await none.hp.restore([]);
  assert.deepEqual(none.scripts, [], 'no table, no mapping: nft is not run');
});

test('the script is valid nftables: the real nft accepts it in check mode (nothing applied)', { skip: !ROOT || !NFT ? 'needs root and nft' : false }, () => {
  const script = hostPortTableScript('skiff-check-hostports', [entry(), entry({ sandboxId: 's2', protocol: 'UDP', hostIP: '127.0.0.1', hostPort: 5353, containerPort: 53 }), entry({ sandboxId: 's3', protocol: 'SCTP', hostPort: 9999 })]);
  execFileSync('nft', ['--check', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
  assert.ok(!execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes('skiff-check-hostports'));
});

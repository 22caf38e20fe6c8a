// The iptables mode with real iptables (iptables-nft here), real pods on a test bridge and real
// traffic; as root only. Pods in 198.18.112.0/24, services in 198.18.176.0/24, tags skiff-test-pa-*.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { endpoint, HTTP_PORT, proxyBackendConformance, servicePort } from '../backend-conformance.js';
import { countAnswers, SKIP_UNLESS_ROOT, testTag } from '../backend-test-pods.js';
import type { ProxyServicePort } from '../model.js';
import { IptablesBackend } from './iptables-backend.js';
import { iptablesRestore, iptablesSave } from './iptables-command.js';
import { chainPrefix } from './names.js';

async function leftovers(tag: string): Promise<string[]> {
  const prefix = chainPrefix(tag);
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    for (const line of (await iptablesSave(table)).split('\n')) {
      if (line.includes(tag) || line.includes(`${prefix}-`)) out.push(`${table}: ${line}`);
    }
  }
  return out;
}

// iptables-nft creates the `ip nat` / `ip filter` nft tables on first use; when this file created
// them and they hold no rule at the end, they are removed again.
const tablesBefore = process.getuid?.() === 0 ? listNftTables() : [];
after(() => {
  if (process.getuid?.() !== 0) return;
  for (const table of ['nat', 'filter']) {
    if (tablesBefore.includes(`ip ${table}`) || !listNftTables().includes(`ip ${table}`)) continue;
    const rules = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT/.test(l)));
    if (rules.length === 0) execFileSync('nft', ['delete', 'table', 'ip', table]);
  }
});

function listNftTables(): string[] {
  try {
    return execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').map((l) => l.replace(/^table /, '').trim()).filter(Boolean);
  } catch {
    return [];
  }
}

proxyBackendConformance({
  mode: 'iptables',
  podCIDR: '198.18.112.0/24',
  serviceCIDR: '198.18.176.0/24',
  create: (tag) => new IptablesBackend({ tag, verifyIntervalMs: 0 }), // verify at every sync
  leftovers,
  extra: async ({ t, tag, backend, pods, vip, state }) => {
    await t.test('a flushed chain and a deleted jump are noticed and rewritten at the next sync', async () => {
      const ipt = backend as IptablesBackend;
      const svc = servicePort('repair', { clusterIPs: [vip(30)], port: 80, endpoints: [endpoint(pods.pods.a!.ip, HTTP_PORT), endpoint(pods.pods.b!.ip, HTTP_PORT)] });
      await backend.sync(state([svc]));
      assert.deepEqual(Object.keys(await countAnswers(`http://${vip(30)}/`, 20)).sort(), ['a', 'b']);
      const jump = (await iptablesSave('nat')).split('\n').find((l) => l.startsWith('-A OUTPUT ') && l.includes(`-j ${ipt.prefix}-SERVICES`))!;
      await iptablesRestore(`*nat\n${jump.replace(/^-A /, '-D ')}\n-F ${ipt.prefix}-SERVICES\nCOMMIT\n`);
      await backend.sync(state([svc]));
      assert.equal(ipt.lastSync?.full, true);
      assert.deepEqual(Object.keys(await countAnswers(`http://${vip(30)}/`, 20)).sort(), ['a', 'b']);
    });
    await t.test('the jumps are inserted once; an unchanged state runs nothing', async () => {
      const ipt = backend as IptablesBackend;
      const nat = await iptablesSave('nat');
      const jumps = nat.split('\n').filter((l) => /^-A (PREROUTING|OUTPUT|POSTROUTING) /.test(l) && l.includes(`${ipt.prefix}-`));
      assert.equal(jumps.length, 3, jumps.join('\n'));
      assert.ok(jumps.every((l) => l.includes(tag)));
      assert.equal(ipt.lastSync?.applied, true);
    });
  },
});

test('iptables: 1,000 Services sync, then one endpoint change', { skip: SKIP_UNLESS_ROOT }, async (t) => {
  const tag = testTag();
  const backend = new IptablesBackend({ tag });
  t.after(() => backend.cleanup());
  const services: ProxyServicePort[] = [];
  for (let i = 0; i < 1000; i++) {
    const ip = `198.18.${180 + (i >> 8)}.${i & 255}`; // 198.18.180.0–198.18.183.231: never sent to
    services.push(
      servicePort(`s${String(i).padStart(4, '0')}`, {
        clusterIPs: [ip],
        port: 80,
        endpoints: [endpoint(`198.18.127.${(i % 250) + 2}`, HTTP_PORT), endpoint(`198.18.126.${(i % 250) + 2}`, HTTP_PORT)],
      }),
    );
  }
  const state = (s: ProxyServicePort[]) => ({ services: s, serviceCIDRs: ['198.18.180.0/22'], nodeIPs: [] });
  let t0 = performance.now();
  await backend.sync(state(services));
  const first = performance.now() - t0;
  const firstLines = backend.lastSync!.lines;
  t0 = performance.now();
  await backend.sync(state(services));
  const unchanged = performance.now() - t0;
  assert.equal(backend.lastSync!.applied, false);
  const times: number[] = [];
  for (let k = 0; k < 10; k++) {
    const changed = [...services];
    const i = (k * 97) % 1000;
    changed[i] = { ...services[i]!, endpoints: [...services[i]!.endpoints, endpoint(`198.18.125.${k + 2}`, HTTP_PORT)] };
    t0 = performance.now();
    await backend.sync(state(changed));
    times.push(performance.now() - t0);
    assert.ok(backend.lastSync!.chainsWritten <= 4, JSON.stringify(backend.lastSync));
  }
  times.sort((x, y) => x - y);
  const saved = await iptablesSave('nat');
  assert.ok(saved.split('\n').filter((l) => l.startsWith(`-A ${chainPrefix(tag)}-SERVICES `)).length >= 1000);
  t.diagnostic(
    `iptables 1000 services: full sync ${first.toFixed(0)} ms (${firstLines} lines), unchanged ${unchanged.toFixed(1)} ms, ` +
      `one endpoint change median ${times[5]!.toFixed(0)} ms max ${times[9]!.toFixed(0)} ms (${backend.lastSync!.lines} lines)`,
  );
  t0 = performance.now();
  await backend.cleanup();
  t.diagnostic(`iptables 1000 services: cleanup ${(performance.now() - t0).toFixed(0)} ms`);
});

import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isNetworkError } from './errors.js';
import { HostLocalIPAM, type Allocation } from './ipam.js';
import { PodSubnet } from './ipv4.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-ipam-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const make = (sandboxId: string) => (ip: string): Allocation => ({
  sandboxId,
  ip,
  prefixLength: 29,
  gateway: '198.18.64.1',
  netnsName: `n-${sandboxId}`,
  hostVeth: `v-${sandboxId}`,
});

test('IPAM: never hands out network, gateway or broadcast; exhaustion is NoIPAddressesAvailable', async (t) => {
  const ipam = new HostLocalIPAM(await tempDir(t));
  const subnet = new PodSubnet('198.18.64.0/29');
  const ips: string[] = [];
  for (let i = 0; i < subnet.capacity; i++) ips.push((await ipam.allocate(subnet, `s${i}`, make(`s${i}`))).ip);
  assert.deepEqual(ips, ['198.18.64.2', '198.18.64.3', '198.18.64.4', '198.18.64.5', '198.18.64.6']);
  await assert.rejects(ipam.allocate(subnet, 'one-more', make('one-more')), (e) => {
    assert.ok(isNetworkError(e, 'NoIPAddressesAvailable'));
    assert.match(e.message, /no IP addresses available in range set: 198\.18\.64\.2-198\.18\.64\.6/);
    return true;
  });
});

test('IPAM: same sandbox gets the same allocation; next-fit does not reuse a freed IP at once', async (t) => {
  const ipam = new HostLocalIPAM(await tempDir(t));
  const subnet = new PodSubnet('198.18.64.0/29');
  const a = await ipam.allocate(subnet, 'a', make('a'));
  assert.equal((await ipam.allocate(subnet, 'a', make('a'))).ip, a.ip);
  await ipam.release('a');
  await ipam.release('a'); // idempotent
  assert.equal(ipam.get('a'), undefined);
  const b = await ipam.allocate(subnet, 'b', make('b'));
  assert.notEqual(b.ip, a.ip);
});

test('IPAM: allocations survive a new instance on the same dir, and release is persisted', async (t) => {
  const dir = await tempDir(t);
  const subnet = new PodSubnet('198.18.64.0/29');
  const first = new HostLocalIPAM(dir);
  const a = await first.allocate(subnet, 'a', make('a'));
  const b = await first.allocate(subnet, 'b', make('b'));
  await first.release('a');
  const second = new HostLocalIPAM(dir);
  assert.deepEqual(second.list(), [b]);
  const c = await second.allocate(subnet, 'c', make('c'));
  assert.notEqual(c.ip, b.ip);
  assert.notEqual(c.ip, a.ip, 'the cursor is persisted too');
  assert.deepEqual((await readdir(dir)).sort(), [b.ip, c.ip, 'last-reserved-ip'].sort());
});

test('IPAM: 50 concurrent allocations are unique; two instances on one dir never share an IP', async (t) => {
  const dir = await tempDir(t);
  const subnet = new PodSubnet('198.18.64.0/24');
  const one = new HostLocalIPAM(dir);
  const two = new HostLocalIPAM(dir); // stale view of the other: link(2) keeps them apart
  const all = await Promise.all(
    Array.from({ length: 50 }, (_, i) => (i % 2 ? one : two).allocate(subnet, `s${i}`, make(`s${i}`))),
  );
  assert.equal(new Set(all.map((a) => a.ip)).size, 50);
  assert.equal(new HostLocalIPAM(dir).list().length, 50);
});

test('IPAM: a leftover temporary file of a dead process is no allocation; a foreign file keeps its IP', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, '.tmp-999999999-1'), '{"half":');
  await writeFile(join(dir, '198.18.64.2'), 'not json');
  const ipam = new HostLocalIPAM(dir);
  assert.deepEqual(ipam.list(), []);
  assert.ok(!(await readdir(dir)).includes('.tmp-999999999-1'));
  const a = await ipam.allocate(new PodSubnet('198.18.64.0/29'), 'a', make('a'));
  assert.equal(a.ip, '198.18.64.3');
});

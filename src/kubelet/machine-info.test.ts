import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { allocatableFrom, cpuCount, localCapacity, memoryBytes } from './machine-info.js';

test('cpuCount: the CPU count lowered by a cgroup quota (v2 cpu.max, v1 cfs quota/period)', () => {
  const files = (m: Record<string, string>) => (p: string) => m[p];
  const all = cpuCount(files({}));
  assert.ok(all >= 1);
  assert.equal(cpuCount(files({ '/sys/fs/cgroup/cpu.max': 'max 100000' })), all);
  assert.equal(cpuCount(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' })), 1);
  assert.equal(cpuCount(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' })), all);
  assert.equal(cpuCount(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' })), 1);
});

test('memoryBytes reads MemTotal', () => {
  assert.equal(memoryBytes('MemTotal:       24684092 kB\nMemFree: 1 kB'), 24684092 * 1024);
  assert.equal(memoryBytes(''), 0);
});

test('localCapacity of this machine; allocatable minus the default eviction thresholds', async () => {
  const cap = await localCapacity(tmpdir());
  assert.match(cap.cpu!, /^\d+$/);
  assert.match(cap.memory!, /^\d+Ki$/);
  assert.equal(cap.pods, '110');
  assert.match(cap['ephemeral-storage']!, /^\d+Ki$/);
  assert.ok(Number(cap.memory!.slice(0, -2)) > 100 * 1024, 'more than 100Mi of memory');
  assert.deepEqual(allocatableFrom({ cpu: '2', memory: '1048576Ki', pods: '110', 'ephemeral-storage': '1000Ki' }), { cpu: '2', memory: '946176Ki', pods: '110', 'ephemeral-storage': '921600' });
});

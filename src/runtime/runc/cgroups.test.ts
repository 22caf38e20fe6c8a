import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { moveHybridControllersToV1 } from './cgroups.js';

function fakeRoot(t: { after(f: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cgroups-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

test('a hybrid node: every controller of the unified hierarchy gets a v1 hierarchy of its own', async (t) => {
  const root = fakeRoot(t, { 'memory/tasks': '', 'unified/cgroup.controllers': 'hugetlb misc\n' });
  const calls: string[][] = [];
  const moved = await moveHybridControllersToV1(async (file, args) => void calls.push([file, ...args]), root);
  assert.deepEqual(moved, ['hugetlb', 'misc']);
  assert.deepEqual(calls, [
    ['mount', '-t', 'cgroup', '-o', 'hugetlb', 'cgroup', join(root, 'hugetlb')],
    ['mount', '-t', 'cgroup', '-o', 'misc', 'cgroup', join(root, 'misc')],
  ]);
  assert.ok(existsSync(join(root, 'hugetlb')));
});

test('nothing to do: no controllers in the unified hierarchy, a pure v1 node, a v2 node', async (t) => {
  const never = async () => assert.fail('no mount expected');
  assert.deepEqual(await moveHybridControllersToV1(never, fakeRoot(t, { 'unified/cgroup.controllers': '\n' })), []);
  assert.deepEqual(await moveHybridControllersToV1(never, fakeRoot(t, { 'memory/tasks': '' })), []);
  assert.deepEqual(await moveHybridControllersToV1(never, fakeRoot(t, { 'cgroup.controllers': 'cpu memory\n' })), []);
});

test('a failing mount rejects with its message', async (t) => {
  const root = fakeRoot(t, { 'unified/cgroup.controllers': 'hugetlb\n' });
  await assert.rejects(moveHybridControllersToV1(async () => Promise.reject(new Error('mount: busy')), root), /mount: busy/);
});

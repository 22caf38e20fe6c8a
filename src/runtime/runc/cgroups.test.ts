import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MOVED_CONTROLLERS_FILE, moveHybridControllersToV1, recordMovedControllers, restoreMovedControllers } from './cgroups.js';

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

test('moved controllers are recorded and given back by restoreMovedControllers unless a hierarchy still has cgroups', async (t) => {
  const root = fakeRoot(t, { 'hugetlb/tasks': '', 'misc/tasks': '', 'misc/other-agent/tasks': '' });
  const state = fakeRoot(t, {});
  await recordMovedControllers(state, ['hugetlb']);
  await recordMovedControllers(state, ['misc', 'hugetlb']);
  const calls: string[][] = [];
  const restored = await restoreMovedControllers(state, async (file, args) => void calls.push([file, ...args]), root);
  assert.deepEqual(restored, ['hugetlb']);
  assert.deepEqual(calls, [['umount', join(root, 'hugetlb')]]);
  // misc still has a child cgroup: it stays moved and recorded
  assert.deepEqual(JSON.parse(readFileSync(join(state, MOVED_CONTROLLERS_FILE), 'utf8')), ['misc']);
  rmSync(join(root, 'misc', 'other-agent'), { recursive: true });
  assert.deepEqual(await restoreMovedControllers(state, async () => {}, root), ['misc']);
  assert.ok(!existsSync(join(state, MOVED_CONTROLLERS_FILE)));
  assert.deepEqual(await restoreMovedControllers(state, async () => assert.fail('nothing recorded'), root), []);
});

test("restoreMovedControllers keeps its record when another killall removed the record's directory meanwhile", async (t) => {
  // seen in a full test run: two data dirs' killalls at once, one failing with ENOENT on the record
  const root = fakeRoot(t, { 'hugetlb/tasks': '', 'misc/tasks': '', 'misc/other-agent/tasks': '' });
  const state = join(fakeRoot(t, {}), 'skiff');
  await recordMovedControllers(state, ['misc', 'hugetlb']);
  const restored = await restoreMovedControllers(state, async () => rmSync(state, { recursive: true, force: true }), root);
  assert.deepEqual(restored, ['hugetlb']);
  assert.deepEqual(JSON.parse(readFileSync(join(state, MOVED_CONTROLLERS_FILE), 'utf8')), ['misc']);
});

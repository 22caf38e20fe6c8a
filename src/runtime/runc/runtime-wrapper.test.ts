import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { mountPoints, unmount } from './mounts.js';
import { MOUNT_FAILED, OVERLAY_LOWER_FILE, wrapperScript } from './runtime-wrapper.js';

const skip = process.getuid?.() !== 0 ? 'needs root (mount)' : false;

/** A bundle with lower/upper/work/rootfs dirs and the wrapper in front of /bin/echo (prints the runtime's arguments). */
function setUp(t: TestContext, start: boolean): { bundle: string; wrapper: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-wrapper-'));
  const bundle = join(dir, 'bundle');
  for (const d of ['lower', 'bundle/upper', 'bundle/work', 'bundle/rootfs']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'lower', 'from-image'), 'x');
  const wrapper = join(dir, 'wrapper');
  writeFileSync(wrapper, wrapperScript('/bin/echo', { start }), { mode: 0o755 });
  t.after(async () => {
    await unmount(join(bundle, 'rootfs')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(bundle, OVERLAY_LOWER_FILE), `${join(dir, 'lower')}\n`);
  return { bundle, wrapper };
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(file, args, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr })));
}

test('mounts the overlay root, then runs the runtime with conmon`s arguments (create as run --detach)', { skip }, async (t) => {
  const { bundle, wrapper } = setUp(t, true);
  const r = await run(wrapper, ['--root=/r', 'create', '--bundle', bundle, '--pid-file', '/p', 'ctr']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `--root=/r run --detach --bundle ${bundle} --pid-file /p ctr`);
  assert.ok((await mountPoints()).includes(join(bundle, 'rootfs')));
  assert.equal(readFileSync(join(bundle, 'rootfs', 'from-image'), 'utf8'), 'x');
});

test('without start the arguments pass unchanged', { skip }, async (t) => {
  const { bundle, wrapper } = setUp(t, false);
  const r = await run(wrapper, ['create', '--bundle', bundle, 'ctr']);
  assert.equal(r.stdout.trim(), `create --bundle ${bundle} ctr`);
});

test('a failed mount exits 125 with mount`s message and never runs the runtime', { skip }, async (t) => {
  const { bundle, wrapper } = setUp(t, true);
  writeFileSync(join(bundle, OVERLAY_LOWER_FILE), '/nonexistent/lower\n');
  const r = await run(wrapper, ['create', '--bundle', bundle, 'ctr']);
  assert.equal(r.code, MOUNT_FAILED);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /mount/);
  rmSync(join(bundle, OVERLAY_LOWER_FILE));
  const none = await run(wrapper, ['create', '--bundle', bundle, 'ctr']);
  assert.equal(none.code, MOUNT_FAILED);
  assert.match(none.stderr, /no overlay lower layer/);
});

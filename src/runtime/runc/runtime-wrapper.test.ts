import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { mountPoints, unmount } from './mounts.js';
import { MOUNT_FAILED, nativeWrapperCommand, nativeWrapperPath, OVERLAY_LOWER_FILE, wrapperScript } from './runtime-wrapper.js';

const root = process.getuid?.() !== 0 ? 'needs root (mount)' : false;
const NATIVE = nativeWrapperPath();

type Kind = 'sh' | 'native';
const KINDS: ReadonlyArray<[Kind, string | false]> = [
  ['sh', root],
  ['native', root || (NATIVE ? false : 'the C wrapper (native/oci-wrapper) is not built (npm install builds it on Linux)')],
];

/**
 * A bundle with lower/upper/work/rootfs dirs and the wrapper of `kind` in front of /bin/echo
 * (prints the runtime's arguments); `run(args)` runs it as conmon does.
 */
function setUp(t: TestContext, kind: Kind, start: boolean): { bundle: string; run(args: string[]): ReturnType<typeof exec> } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-wrapper-'));
  const bundle = join(dir, 'bundle');
  for (const d of ['lower', 'bundle/upper', 'bundle/work', 'bundle/rootfs']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'lower', 'from-image'), 'x');
  let wrapper = { path: join(dir, 'wrapper'), args: [] as readonly string[] };
  if (kind === 'native') wrapper = nativeWrapperCommand(NATIVE!, '/bin/echo', { start });
  else writeFileSync(wrapper.path, wrapperScript('/bin/echo', { start }), { mode: 0o755 });
  t.after(async () => {
    await unmount(join(bundle, 'rootfs')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(bundle, OVERLAY_LOWER_FILE), `${join(dir, 'lower')}\n`);
  return { bundle, run: (args) => exec(wrapper.path, [...wrapper.args, ...args]) };
}

function exec(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(file, args, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr })));
}

for (const [kind, skip] of KINDS) {
  test(`${kind}: mounts the overlay root, then runs the runtime with conmon's arguments (create as run --detach)`, { skip }, async (t) => {
    const { bundle, run } = setUp(t, kind, true);
    const r = await run(['--root=/r', 'create', '--bundle', bundle, '--pid-file', '/p', 'ctr']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `--root=/r run --detach --bundle ${bundle} --pid-file /p ctr`);
    assert.ok((await mountPoints()).includes(join(bundle, 'rootfs')));
    assert.equal(readFileSync(join(bundle, 'rootfs', 'from-image'), 'utf8'), 'x');
    // the overlay's upper layer takes the changes; the image's layer stays as it was
    writeFileSync(join(bundle, 'rootfs', 'from-image'), 'changed');
    assert.equal(readFileSync(join(bundle, 'upper', 'from-image'), 'utf8'), 'changed');
    assert.equal(readFileSync(join(bundle, '..', 'lower', 'from-image'), 'utf8'), 'x');
  });

  test(`${kind}: without start the arguments pass unchanged (only the first create would change)`, { skip }, async (t) => {
    const { bundle, run } = setUp(t, kind, false);
    const r = await run(['create', '--bundle', bundle, 'create']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `create --bundle ${bundle} create`);
  });

  test(`${kind}: with start only the first create becomes run --detach`, { skip }, async (t) => {
    const { bundle, run } = setUp(t, kind, true);
    const r = await run(['create', '--bundle', bundle, 'create']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `run --detach --bundle ${bundle} create`);
  });

  test(`${kind}: a failed mount exits 125 with mount's message and never runs the runtime`, { skip }, async (t) => {
    const { bundle, run } = setUp(t, kind, true);
    writeFileSync(join(bundle, OVERLAY_LOWER_FILE), '/nonexistent/lower\n');
    const r = await run(['create', '--bundle', bundle, 'ctr']);
    assert.equal(r.code, MOUNT_FAILED);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /mount/);
    assert.ok(!(await mountPoints()).includes(join(bundle, 'rootfs')));
    rmSync(join(bundle, OVERLAY_LOWER_FILE));
    const none = await run(['create', '--bundle', bundle, 'ctr']);
    assert.equal(none.code, MOUNT_FAILED);
    assert.match(none.stderr, /no overlay lower layer/);
  });
}

test('the C wrapper reports a runtime it cannot run (127) after mounting', { skip: KINDS[1]![1] }, async (t) => {
  const { bundle } = setUp(t, 'native', true);
  const r = await exec(NATIVE!, ['/nonexistent/runtime', 'create', '--bundle', bundle, 'ctr']);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /\/nonexistent\/runtime: No such file or directory/);
});

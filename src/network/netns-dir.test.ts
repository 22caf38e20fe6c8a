// ensureNetnsDir with real mounts (root only): the directory becomes one shared mount point, also
// when several processes ask at once; and the leak it prevents — a pod namespace mounted before
// the first `ip netns add` on a fresh machine could not be deleted (EBUSY) — is reproduced in a
// private mount namespace with a fresh /run, so the machine's own /run/netns is not touched.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeAllPodNetworking } from './remove-all.js';
import { NEEDS_ROOT } from './testing.js';

/** The mountinfo lines whose mount point is `dir`, each with its optional fields (`shared:N`, ...). */
function mountsAt(dir: string): { optional: string[] }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[4] === dir)
    .map((f) => ({ optional: f.slice(6, f.indexOf('-')) }));
}

test('ensureNetnsDir: a plain directory becomes one shared mount point, also with three processes asking at once', { skip: NEEDS_ROOT }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-netns-dir-'));
  t.after(() => {
    for (let i = 0; i < 10 && mountsAt(dir).length; i++) spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(mountsAt(dir).length, 0);
  const module = fileURLToPath(new URL('./netns-dir.js', import.meta.url));
  const code = `import { ensureNetnsDir } from ${JSON.stringify(module)}; await ensureNetnsDir(${JSON.stringify(dir)});`;
  const exits = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'inherit'] });
          child.on('exit', resolve);
        }),
    ),
  );
  assert.deepEqual(exits, [0, 0, 0]);
  const mounts = mountsAt(dir);
  assert.equal(mounts.length, 1, `mounts stacked on ${dir}: ${JSON.stringify(mounts)}`);
  assert.ok(mounts[0]!.optional.some((o) => o.startsWith('shared:')), `not shared: ${JSON.stringify(mounts)}`);
});

test('a pod namespace made before the first `ip netns add` on a fresh /run is still deleted by tearDown', { skip: NEEDS_ROOT }, async (t) => {
  const tag = randomBytes(3).toString('hex');
  const base = mkdtempSync(join(tmpdir(), 'skiff-netns-fresh-'));
  const opts = { stateDir: join(base, 'network'), bridgeName: `sktf${tag}`, netnsPrefix: `sktf-${tag}-`, podSide: 'ip' as const };
  t.after(async () => {
    await removeAllPodNetworking(opts).catch(() => undefined); // the bridge lives in this network namespace
    rmSync(base, { recursive: true, force: true });
  });
  const podNetwork = fileURLToPath(new URL('./pod-network.js', import.meta.url));
  // In the child: set a pod up, let iproute2 make /run/netns a mount point, tear the pod down.
  const code = `
    import { execFileSync } from 'node:child_process';
    import { existsSync } from 'node:fs';
    import { PodNetwork } from ${JSON.stringify(podNetwork)};
    const opts = ${JSON.stringify(opts)};
    const net = new PodNetwork(opts);
    net.setPodCIDR('198.18.79.0/24');
    const s = await net.setUp('fresh', { namespace: 'default', name: 'fresh', uid: 'uid-fresh' });
    execFileSync('ip', ['netns', 'add', opts.netnsPrefix + 'other']);
    try {
      await net.tearDown('fresh');
      if (existsSync(s.netnsPath)) throw new Error(s.netnsPath + ' is still there');
    } finally {
      execFileSync('ip', ['netns', 'del', opts.netnsPrefix + 'other']);
    }
    console.log('torn down');
  `;
  // A private mount namespace with an empty tmpfs on /run: /run/netns does not exist, as after a boot.
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs skiff-test /run && exec "$0" --input-type=module -e "$1"', process.execPath, code], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /torn down/);
});

// The mounts the runtime makes on the node: each container's overlay root (image rootfs as the
// read-only lower layer, a per-container upper/work dir) and the sandbox's persistent namespace
// files (nsfs bind mounts). Done with util-linux `mount`/`umount`/`unshare`, since Node has no
// mount(2).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { CommandError, run as runHere, type Run } from './exec-file.js';

/** Mounts an overlay at `target`: `lower` is never written, changes go to `upper` (with `work` beside it). */
export async function mountOverlay(target: string, layers: { lower: string; upper: string; work: string }, run: Run = runHere): Promise<void> {
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${layers.lower},upperdir=${layers.upper},workdir=${layers.work}`, target]);
}

/** Unmounts `target` (lazily when busy). Idempotent: a path that is not a mount point resolves. */
export async function unmount(target: string, run: Run = runHere): Promise<void> {
  if (!(await mountPoints()).includes(target)) return;
  try {
    await run('umount', [target]);
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    await run('umount', ['-l', target]);
  }
}

/**
 * Unmounts those of `targets` that are mount points with one `umount` (a process start less per
 * extra target); when that fails, each one left is unmounted on its own (lazily when busy).
 * Idempotent.
 */
export async function unmountAll(targets: readonly string[], run: Run = runHere): Promise<void> {
  const mounted = new Set(await mountPoints());
  const todo = targets.filter((t) => mounted.has(t));
  if (todo.length === 0) return;
  if (todo.length === 1) return unmount(todo[0]!, run);
  try {
    await run('umount', todo);
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    for (const t of todo) await unmount(t, run);
  }
}

/** Every mount point of this mount namespace, from /proc/self/mountinfo (innermost last). */
export async function mountPoints(): Promise<string[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

export function mountPointsSync(): string[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

function parseMountInfo(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length > 4) out.push(f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/** Unmounts every mount point at or below `dir`, deepest first. Resolves the paths unmounted. */
export async function unmountAllUnder(dir: string, run: Run = runHere): Promise<string[]> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const under = (await mountPoints()).filter((m) => m === dir || m.startsWith(prefix));
  under.sort((a, b) => b.length - a.length);
  for (const m of under) {
    try {
      await run('umount', [m]);
    } catch {
      await run('umount', ['-l', m]).catch(() => undefined);
    }
  }
  return under;
}

// Where the runtime's cgroups live on cgroup v1 (one hierarchy per controller) and v2 (unified),
// and removing them. Containers get cgroupsPath `/<parent>/<containerId>`; runc creates and
// deletes the container's own directory, the parent is removed by killall.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** True on a unified (v2-only) hierarchy. */
export function isCgroupV2(root = CGROUP_ROOT): boolean {
  return existsSync(join(root, 'cgroup.controllers'));
}

/** The directories a cgroup path maps to: one per v1 controller hierarchy, or one on v2. Only existing ones. */
export async function cgroupDirs(path: string, root = CGROUP_ROOT): Promise<string[]> {
  const rel = path.replace(/^\/+/, '');
  if (isCgroupV2(root)) return existsSync(join(root, rel)) ? [join(root, rel)] : [];
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    // skip symlinks like cpu -> cpu,cpuacct (the real dir is listed too)
    if (!e.isDirectory()) continue;
    const d = join(root, e.name, rel);
    if (existsSync(d)) out.push(d);
  }
  return out;
}

/** Removes the cgroup (and its empty children) in every hierarchy. Idempotent; a cgroup with processes stays (rmdir fails EBUSY) and is reported. */
export async function removeCgroup(path: string, root = CGROUP_ROOT): Promise<string[]> {
  const left: string[] = [];
  for (const d of await cgroupDirs(path, root)) if (!(await removeTree(d))) left.push(d);
  return left;
}

/**
 * SIGKILLs every process in the given cgroup directories and their children (cgroup.procs of each
 * hierarchy): what is left of containers whose runtime no longer knew them. Resolves the pids killed.
 */
export async function killCgroupProcesses(dirs: readonly string[]): Promise<number[]> {
  const killed = new Set<number>();
  const visit = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await visit(join(dir, e.name));
    const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of procs.split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 1)) {
      if (killed.has(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        /* gone already */
      }
    }
  };
  for (const d of dirs) await visit(d);
  return [...killed];
}

async function removeTree(dir: string): Promise<boolean> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) await removeTree(join(dir, e.name));
  }
  try {
    await rmdir(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Prepares a hybrid cgroup node for crun: crun (1.8) refuses to create cgroups when the unified
 * hierarchy beside the v1 ones holds any controller ("cgroups in hybrid mode not supported, drop
 * all controllers from cgroupv2"). Each controller the unified hierarchy offers (none of them can
 * be in use there: nothing enables controllers on a hybrid node) gets a v1 hierarchy of its own at
 * `/sys/fs/cgroup/<name>`, as systemd's hybrid layout has them, which takes it out of the unified
 * one. Resolves the controllers moved; a no-op on pure v1 and v2 nodes and when there is nothing
 * to move. Rejects with mount's message when a controller cannot be moved.
 */
export async function moveHybridControllersToV1(run: (file: string, args: readonly string[]) => Promise<unknown>, root = CGROUP_ROOT): Promise<string[]> {
  const unified = join(root, 'unified');
  if (isCgroupV2(root) || !existsSync(join(unified, 'cgroup.controllers'))) return [];
  const controllers = (await readFile(join(unified, 'cgroup.controllers'), 'utf8')).split(/\s+/).filter(Boolean);
  for (const c of controllers) {
    if (!/^[a-z_]+$/.test(c)) throw new Error(`unexpected cgroup controller name "${c}" in ${unified}/cgroup.controllers`);
    const dir = join(root, c);
    await mkdir(dir, { recursive: true });
    await run('mount', ['-t', 'cgroup', '-o', c, 'cgroup', dir]);
  }
  return controllers;
}

/** The file (in MOVED_CONTROLLERS_DIR) that lists the controllers moveHybridControllersToV1 moved. */
export const MOVED_CONTROLLERS_FILE = 'cgroup-v1-moved.json';
/**
 * Where that record is kept: machine-wide and per boot, not in a data dir, because every agent's
 * runc containers join a moved controller's hierarchy — the killall that finds it unused may be
 * another data dir's.
 */
export const MOVED_CONTROLLERS_DIR = '/run/skiff';

/** Adds `controllers` to the record of moved controllers in `recordDir` (so that killall can move them back). */
export async function recordMovedControllers(recordDir: string, controllers: readonly string[]): Promise<void> {
  if (controllers.length === 0) return;
  await mkdir(recordDir, { recursive: true });
  const known = await movedControllers(recordDir);
  await writeRecord(recordDir, [...new Set([...known, ...controllers])]);
}

/**
 * Replaces the record at once (a temp file renamed over it): another process's killall or agent
 * reading it meanwhile sees the old list or the new one, never a truncated file (read as empty,
 * which would forget controllers still moved).
 */
async function writeRecord(recordDir: string, controllers: readonly string[]): Promise<void> {
  const file = join(recordDir, MOVED_CONTROLLERS_FILE);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, JSON.stringify(controllers));
  await rename(temp, file);
}

async function movedControllers(recordDir: string): Promise<string[]> {
  try {
    const v: unknown = JSON.parse(await readFile(join(recordDir, MOVED_CONTROLLERS_FILE), 'utf8'));
    return Array.isArray(v) ? v.filter((c): c is string => typeof c === 'string' && /^[a-z_]+$/.test(c)) : [];
  } catch {
    return [];
  }
}

/**
 * Undoes moveHybridControllersToV1 for the controllers recorded in `recordDir`: each v1 hierarchy
 * skiff mounted is unmounted (which gives the controller back to the unified hierarchy) unless it
 * still has child cgroups — another agent's containers may use it. Resolves the controllers moved
 * back; the record keeps the ones left. Idempotent.
 */
export async function restoreMovedControllers(recordDir: string, run: (file: string, args: readonly string[]) => Promise<unknown>, root = CGROUP_ROOT): Promise<string[]> {
  const restored: string[] = [];
  const left: string[] = [];
  for (const c of await movedControllers(recordDir)) {
    const dir = join(root, c);
    const children = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory());
    if (children.length > 0) {
      left.push(c);
      continue;
    }
    try {
      if (existsSync(join(dir, 'tasks'))) await run('umount', [dir]);
      // A hierarchy whose cgroups were removed moments ago outlives its unmount while they finish
      // dying; once they have, mounting and unmounting it again lets the kernel free it. Still
      // bound after that: it stays recorded, and a later killall tries again. After dozens of
      // containers the last cgroups take seconds to die: up to RESTORE_WAIT_MS.
      const bound = async () => root === CGROUP_ROOT && (await v1HierarchyOf(c)) > 0;
      const deadline = Date.now() + RESTORE_WAIT_MS;
      for (let wait = 100; Date.now() < deadline && (await bound()); wait = Math.min(wait * 2, 1000)) {
        await new Promise((r) => setTimeout(r, wait));
        await mkdir(dir, { recursive: true });
        await run('mount', ['-t', 'cgroup', '-o', c, 'cgroup', dir]);
        await run('umount', [dir]);
      }
      await rmdir(dir).catch(() => {});
      if (await bound()) left.push(c);
      else restored.push(c);
    } catch {
      left.push(c);
    }
  }
  if (left.length) {
    // another data dir's killall may have removed the record's directory meanwhile
    await mkdir(recordDir, { recursive: true });
    await writeRecord(recordDir, left);
  } else {
    await rm(join(recordDir, MOVED_CONTROLLERS_FILE), { force: true });
    await rmdir(recordDir).catch(() => {}); // only when empty
  }
  return restored;
}

/** How long restoreMovedControllers waits for a moved controller's dying cgroups to let it go. */
const RESTORE_WAIT_MS = 15_000;

/** The v1 hierarchy id /proc/cgroups gives the controller (0: the unified hierarchy's, or unknown). */
async function v1HierarchyOf(controller: string): Promise<number> {
  const text = await readFile('/proc/cgroups', 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.split('\t')[0] === controller);
  return Number(line?.split('\t')[1] ?? 0) || 0;
}

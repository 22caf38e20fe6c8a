// `skiff killall`'s part for containers: stops everything the runc runtime of a data dir runs and
// removes what it made on the machine (runc containers, conmons, overlay and namespace mounts,
// cgroups, runtime state). Containers' logs stay.
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { killCgroupProcesses, MOVED_CONTROLLERS_DIR, removeCgroup, restoreMovedControllers } from './cgroups.js';
import { CONMON_PIDFILE, isLiveConmon } from './conmon.js';
import { run } from './exec-file.js';
import { unmountAllUnder } from './mounts.js';
import { DEFAULT_CGROUP_PARENT } from './runc-runtime.js';

export interface KillAllOptions {
  /** DATA/agent */
  readonly stateDir: string;
  /** default `<stateDir>/runc` */
  readonly runcRoot?: string;
  /** default `skiff` */
  readonly cgroupParent?: string;
  readonly runcPath?: string;
}

export interface KillAllResult {
  readonly containers: string[];
  readonly unmounted: string[];
  /** cgroup dirs that could not be removed (still had processes) */
  readonly cgroupsLeft: string[];
  /** cgroup controllers given back to the unified hierarchy (moved to v1 for crun on a hybrid node) */
  readonly controllersRestored: string[];
  /** pids still in the cgroups a while after the runtime's kill, SIGKILLed one by one */
  readonly stragglers: number[];
}

/** How long killall waits for the killed containers' cgroups to empty. */
const CGROUP_WAIT_MS = 10_000;
/** After this long, processes still in them are killed one by one (the runtime did not know them any more). */
const STRAGGLERS_AFTER_MS = 2000;

/** Idempotent; safe when nothing was ever started. */
export async function killAllContainers(o: KillAllOptions): Promise<KillAllResult> {
  const runc = o.runcPath ?? 'runc';
  const root = o.runcRoot ?? join(o.stateDir, 'runc');
  const parent = o.cgroupParent ?? DEFAULT_CGROUP_PARENT;
  const ids = (await run(runc, ['--root', root, 'list', '-q']).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
  await Promise.all(ids.map((id) => run(runc, ['--root', root, 'kill', id, 'KILL']).catch(() => undefined)));
  // conmons exit once their container is gone; make sure of it
  const containersDir = join(o.stateDir, 'containers');
  for (const id of safeReaddir(containersDir)) {
    const pid = Number(readText(join(containersDir, id, CONMON_PIDFILE)));
    if (isLiveConmon(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  for (const id of ids) await run(runc, ['--root', root, 'delete', '--force', id]).catch(() => undefined);
  const unmounted = await unmountAllUnder(o.stateDir);
  // processes killed a moment ago may still be exiting (or waiting to be reaped): their cgroups
  // go once they have, within a few seconds
  let cgroupsLeft = await removeCgroup(`/${parent}`);
  const stragglers: number[] = [];
  const start = Date.now();
  while (cgroupsLeft.length > 0 && Date.now() < start + CGROUP_WAIT_MS) {
    if (!stragglers.length && Date.now() >= start + STRAGGLERS_AFTER_MS) stragglers.push(...(await killCgroupProcesses(cgroupsLeft)));
    await new Promise((r) => setTimeout(r, 100));
    cgroupsLeft = await removeCgroup(`/${parent}`);
  }
  const controllersRestored = await restoreMovedControllers(MOVED_CONTROLLERS_DIR, (file, args) => run(file, [...args]));
  for (const d of ['containers', 'sandboxes', 'runtime']) await rm(join(o.stateDir, d), { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
  return { containers: ids, unmounted, cgroupsLeft, controllersRestored, stragglers };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

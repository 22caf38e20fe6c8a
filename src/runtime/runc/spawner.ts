// How a program is started for process-start.ts: node:child_process (fork + exec), or skiff's
// Node-API addon (native/process-spawn, package skiff-process-spawn: posix_spawn, which does not
// copy the parent's page tables, with the exit reported through a pidfd). The process helper
// (process-helper-main.ts) uses the addon where it was built; from the ~50 MB helper a
// child_process start cost ~1.2-1.8 ms of the helper's CPU (half of it the fork, half the
// ChildProcess and its streams), the addon's ~0.2 ms, and the helper starts two or three programs
// per pod.
//
// Contract of a Spawner: it never throws; a program that cannot be started resolves `exited` with
// code and signal null and `error` set (stdio streams are then absent or end at once). `exited`
// resolves once the program ended (it may resolve before its stdio streams have been read to
// their end). `kill` after the exit does nothing. Streams are this process's ends of the pipes:
// stdio[0] writable, the others readable; undefined where the child's fd is /dev/null.
import { spawn } from 'node:child_process';
import { loadNativePackage } from '../../api/native-package.js';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';

export interface SpawnOptions {
  readonly file: string;
  readonly args: readonly string[];
  /** the program's whole environment (default: this process's) */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** the child's fds 0..n-1 */
  readonly stdio: readonly ('ignore' | 'pipe')[];
  /** a session of its own (outlives this process's process group and terminal) */
  readonly detached?: boolean;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** why it could not be started */
  readonly error?: string;
}

export interface StartedProcess {
  readonly stdio: ReadonlyArray<Readable | Writable | undefined>;
  readonly exited: Promise<ProcessExit>;
  kill(signal: NodeJS.Signals): void;
  /** this process may exit while the program runs (its streams must be destroyed by the caller) */
  unref(): void;
}

export type Spawner = (o: SpawnOptions) => StartedProcess;

/** node:child_process. */
export const childProcessSpawner: Spawner = (o) => {
  const child = spawn(o.file, [...o.args], { stdio: [...o.stdio], env: o.env ?? process.env, detached: o.detached === true, ...(o.cwd ? { cwd: o.cwd } : {}) });
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => resolve({ code: null, signal: null, error: e.message }));
  });
  return {
    stdio: o.stdio.map((_, i) => (child.stdio[i] as Readable | Writable | null) ?? undefined),
    exited,
    kill: (signal) => void child.kill(signal),
    unref: () => child.unref(),
  };
};

/** the addon's export (native/process-spawn/src/process_spawn.c) */
interface ProcessSpawnAddon {
  spawn(file: string, args: string[], env: string[], cwd: string | null, stdio: number[], setsid: boolean, onExit: (code: number, signal: number) => void): { pid: number; fds: number[] };
}

export const PROCESS_SPAWN_PACKAGE = 'skiff-process-spawn';
/** The addon's Spawner, or why there is none (not built, not Linux). Loaded once per process; never throws. */
export function nativeSpawner(): { spawner?: Spawner; error?: string } {
  const { exports: addon, error } = loadNativePackage<ProcessSpawnAddon>(PROCESS_SPAWN_PACKAGE);
  return addon ? { spawner: (o) => spawnNative(addon, o) } : { error };
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

function spawnNative(addon: ProcessSpawnAddon, o: SpawnOptions): StartedProcess {
  let done = false;
  let settle!: (e: ProcessExit) => void;
  const exited = new Promise<ProcessExit>((resolve) => (settle = resolve));
  const env = Object.entries(o.env ?? process.env)
    .filter((kv): kv is [string, string] => kv[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  let started: { pid: number; fds: number[] };
  try {
    started = addon.spawn(o.file, [o.file, ...o.args], env, o.cwd ?? null, o.stdio.map((s) => (s === 'pipe' ? 1 : 0)), o.detached === true, (code, signal) => {
      done = true;
      settle({ code: code >= 0 ? code : null, signal: code >= 0 ? null : (SIGNAL_NAMES.get(signal) ?? null) });
    });
  } catch (e) {
    settle({ code: null, signal: null, error: `spawn ${o.file} ${(e as { code?: string }).code ?? ''}: ${(e as Error).message}` });
    return { stdio: o.stdio.map(() => undefined), exited, kill: () => undefined, unref: () => undefined };
  }
  const stdio = started.fds.map((fd, i) => (fd < 0 ? undefined : new Socket({ fd, readable: i !== 0, writable: i === 0 })));
  return {
    stdio,
    exited,
    kill(signal) {
      if (done) return; // reaped: the pid may belong to another process by now
      try {
        process.kill(started.pid, signal);
      } catch {
        /* exited meanwhile */
      }
    },
    unref: () => stdio.forEach((s) => s?.unref()),
  };
}

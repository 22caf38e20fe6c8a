// Starting a container under conmon, the per-container monitor CRI-O and podman use. conmon runs
// `runc create`, reports the container's pid on a sync pipe, then stays behind (detached from
// skiff) as the container's subreaper: it writes the container's output to the CRI log file,
// serves the attach socket and the ctl/winsz FIFOs in the bundle, records an OOM kill as the file
// `oom` in its persist dir (cgroup v1: memory.oom_control eventfd; v2: memory.events), and writes
// the exit status to `<exitDir>/<id>` and `<bundle>/exit` when the container ends. Containers and
// their conmons keep running when skiff exits.
//
// The monitor is skiff's own (native/container-monitor, `skiff-monitor`) where it was built: a
// static C program that takes the same command line and leaves the same files and sockets, so
// everything below reads either.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNativePackage } from '../../api/native-package.js';
import { startMonitor, type MonitorOutcome, type MonitorRequest } from './process-start.js';

export const MONITOR_PACKAGE = 'skiff-container-monitor';
/** The process names of the monitors (/proc/PID/stat's comm). */
const MONITOR_NAMES = new Set(['conmon', 'skiff-monitor']);

/** The built skiff-monitor's path, or undefined when it was not built (never throws). */
export function nativeMonitorPath(): string | undefined {
  return loadNativePackage<{ path?: string }>(MONITOR_PACKAGE).exports?.path;
}

export interface ConmonOptions {
  readonly conmonPath: string;
  /** the program conmon runs as its runtime (the runtime wrapper) */
  readonly runcPath: string;
  /** arguments for it before the runtime's own (`--root`), e.g. the C wrapper's runtime path */
  readonly runtimeArgs?: readonly string[];
  readonly runcRoot: string;
  readonly id: string;
  /** container name (for conmon's own log messages) */
  readonly name: string;
  /** the OCI bundle (config.json); also conmon's persist dir (exit, oom files) */
  readonly bundle: string;
  readonly exitDir: string;
  /** where the attach socket link goes: `<socketDir>/<id>` → the bundle */
  readonly socketDir: string;
  /** CRI log file */
  readonly logPath: string;
  readonly terminal: boolean;
  /** keep a pipe to the container's stdin open for attach */
  readonly stdin: boolean;
  readonly timeoutMs?: number;
  /** arguments of the monitor's own, after conmon's (skiff-monitor's `--mount-overlay`, `--run-detached`) */
  readonly monitorArgs?: readonly string[];
  /** starts the monitor process (default: from this process; the runtime passes its process helper's) */
  readonly start?: (req: MonitorRequest) => Promise<MonitorOutcome>;
}

export interface ConmonStarted {
  /** the long-running conmon (monitor) */
  readonly conmonPid: number;
  /** the container's init process (still waiting for `runc start`) */
  readonly containerPid: number;
}

/** conmon's name for the container's link in the socket dir (`<socketDir>/<attachId>` → bundle): short, so the attach socket path stays under the 108-byte limit. */
export function attachId(id: string): string {
  return id.slice(0, 16);
}

/** Files conmon leaves in the bundle. */
export const CONMON_PIDFILE = 'conmon.pid';
export const CONTAINER_PIDFILE = 'pidfile';
export const EXIT_FILE = 'exit';
export const OOM_FILE = 'oom';

/**
 * Runs conmon, which runs `runc create` (through `runcPath`, e.g. the runtime wrapper); resolves
 * once the container exists. Rejects with the runtime's message when creation failed.
 */
export async function startConmon(o: ConmonOptions): Promise<ConmonStarted> {
  const args = [
    '--api-version', '1',
    '-c', o.id,
    '-u', attachId(o.id),
    '-n', o.name,
    '-b', o.bundle,
    '--persist-dir', o.bundle,
    '-r', o.runcPath,
    ...[...(o.runtimeArgs ?? []), `--root=${o.runcRoot}`].flatMap((a) => ['--runtime-arg', a]),
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '-l', `k8s-file:${o.logPath}`,
    '-p', join(o.bundle, CONTAINER_PIDFILE),
    '-P', join(o.bundle, CONMON_PIDFILE),
    '--log-level', 'error',
    ...(o.monitorArgs ?? []),
  ];
  if (o.terminal) args.push('-t');
  else if (o.stdin) args.push('-i', '--leave-stdin-open');
  const outcome = await (o.start ?? startMonitor)({ file: o.conmonPath, args, cwd: o.bundle, env: { _OCI_SYNCPIPE: '3' }, timeoutMs: o.timeoutMs ?? 30_000 });
  if (outcome.message === undefined) {
    if (outcome.error) throw new Error(`conmon did not report: ${outcome.error}${outcome.stderr.trim() ? `: ${outcome.stderr.trim()}` : ''}`);
    throw new Error(`conmon exited without reporting: ${outcome.stderr.trim() || 'no message'}`);
  }
  let message: { data: number; message?: string };
  try {
    message = JSON.parse(outcome.message) as { data: number; message?: string };
  } catch (e) {
    throw new Error(`conmon sent an unreadable sync message: ${outcome.message}`, { cause: e });
  }
  if (message.data < 0) throw new Error(cleanRuncMessage(message.message ?? 'runc create failed'));
  const conmonPid = Number(readFileSync(join(o.bundle, CONMON_PIDFILE), 'utf8').trim()); // a few bytes: not worth the thread pool's round trip
  return { conmonPid, containerPid: message.data };
}

/** runc's logrus line (`time="..." level=error msg="runc create failed: ..."`) reduced to its message. */
export function cleanRuncMessage(s: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(s);
  return (m ? m[1]!.replace(/\\(.)/g, '$1') : s).trim();
}

/** Writes a terminal resize to conmon's ctl FIFO (tty containers). */
export function resizeMessage(size: { width: number; height: number }): string {
  return `1 ${size.height} ${size.width}\n`;
}

/** Whether `pid` is a live monitor (conmon or skiff-monitor): not a reused pid (after a reboot), not a zombie waiting to be reaped. */
export function isLiveConmon(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    const m = /^\d+ \((.*)\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return m !== null && MONITOR_NAMES.has(m[1]!) && m[2] !== 'Z' && m[2] !== 'X';
  } catch {
    return false;
  }
}

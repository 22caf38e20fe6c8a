// Starting a container under conmon, the per-container monitor CRI-O and podman use. conmon runs
// `runc create`, reports the container's pid on a sync pipe, then stays behind (detached from
// skiff) as the container's subreaper: it writes the container's output to the CRI log file,
// serves the attach socket and the ctl/winsz FIFOs in the bundle, records an OOM kill as the file
// `oom` in its persist dir (cgroup v1: memory.oom_control eventfd; v2: memory.events), and writes
// the exit status to `<exitDir>/<id>` and `<bundle>/exit` when the container ends. Containers and
// their conmons keep running when skiff exits.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ConmonOptions {
  readonly conmonPath: string;
  readonly runcPath: string;
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
  /**
   * Mount this overlay (the container's root) first, in the same process that becomes conmon
   * (`sh -c 'mount … && exec conmon …'`): one process start from skiff instead of two. A failed
   * mount rejects with mount's message; nothing is mounted then.
   */
  readonly overlay?: { readonly target: string; readonly lower: string; readonly upper: string; readonly work: string };
}

/** Exit status of the `sh` in front of conmon when the overlay mount failed. */
const MOUNT_FAILED = 125;

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
 * Runs conmon, which runs `runc create`; resolves once the container exists (created, not
 * started). Rejects with runc's message when creation failed (or mount's, with `overlay`).
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
    '--runtime-arg', `--root=${o.runcRoot}`,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '-l', `k8s-file:${o.logPath}`,
    '-p', join(o.bundle, CONTAINER_PIDFILE),
    '-P', join(o.bundle, CONMON_PIDFILE),
    '--log-level', 'error',
  ];
  if (o.terminal) args.push('-t');
  else if (o.stdin) args.push('-i', '--leave-stdin-open');
  const [file, argv] = o.overlay
    ? [
        '/bin/sh',
        [
          '-c',
          `mount -t overlay overlay -o "$1" "$2" || exit ${MOUNT_FAILED}; shift 2; exec "$@"`,
          'sh',
          `lowerdir=${o.overlay.lower},upperdir=${o.overlay.upper},workdir=${o.overlay.work}`,
          o.overlay.target,
          o.conmonPath,
          ...args,
        ],
      ]
    : [o.conmonPath, args];
  const child = spawn(file, argv, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3' },
    detached: true,
    cwd: o.bundle,
  });
  // conmon forks its monitor and the first process exits at once; `sh` exits when the mount failed
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  const sync = child.stdio[3] as NodeJS.ReadableStream;
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const stderrClosed = new Promise<void>((resolve) => child.stderr!.once('close', resolve));
  const message = await new Promise<{ data: number; message?: string }>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`conmon did not report within ${o.timeoutMs ?? 30_000} ms`)), o.timeoutMs ?? 30_000);
    const done = (): void => {
      clearTimeout(timer);
      sync.removeAllListeners('data');
    };
    function fail(e: Error): void {
      done();
      reject(e);
    }
    sync.setEncoding?.('utf8');
    sync.on('data', (d: string | Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('}');
      if (nl < 0) return;
      done();
      try {
        resolve(JSON.parse(buf.slice(0, nl + 1)) as { data: number; message?: string });
      } catch (e) {
        reject(new Error(`conmon sent an unreadable sync message: ${buf}`, { cause: e }));
      }
    });
    sync.on('end', () => {
      void exited.then(async (code) => {
        if (code !== MOUNT_FAILED || !o.overlay) return fail(new Error(`conmon exited without reporting: ${stderr.trim() || 'no message'}`));
        await stderrClosed;
        fail(new Error(`mounting the container's root overlay failed: ${stderr.trim() || `exit status ${code}`}`));
      });
    });
    sync.on('error', fail);
    child.on('error', fail);
  });
  (sync as unknown as { destroy(): void }).destroy();
  child.stderr!.destroy();
  child.unref();
  if (message.data < 0) throw new Error(cleanRuncMessage(message.message ?? 'runc create failed'));
  const conmonPid = Number((await readFile(join(o.bundle, CONMON_PIDFILE), 'utf8')).trim());
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

/** Whether `pid` is a live conmon: not a reused pid (after a reboot), not a zombie waiting to be reaped. */
export function isLiveConmon(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    const m = /^\d+ \((.*)\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return m?.[1] === 'conmon' && m[2] !== 'Z' && m[2] !== 'X';
  } catch {
    return false;
  }
}

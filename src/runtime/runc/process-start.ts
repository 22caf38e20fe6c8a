// The two ways the runtime starts helper programs, as plain functions of a serializable request
// that never reject: run a program to its end and collect its output, or start a monitor (conmon)
// that detaches and reports on a sync pipe. They run in the process helper (process-helper.ts),
// a small child process, so the server never forks itself; `skiff killall` and tests call them
// in-process through exec-file.ts. The program is started by a Spawner (spawner.ts):
// node:child_process by default, the helper passes skiff's posix_spawn addon where it is built.
import { loadNativePackage } from '../../api/native-package.js';
import { childProcessSpawner, PROCESS_SPAWN_PACKAGE, type Spawner } from './spawner.js';
import type { Readable, Writable } from 'node:stream';

/** Output kept per stream; more fails the run (as execFile's maxBuffer). */
export const MAX_OUTPUT_BYTES = 16 << 20;
/** Default time a program may run before it is sent SIGTERM. */
export const DEFAULT_RUN_TIMEOUT_MS = 60_000;

export interface RunRequest {
  readonly file: string;
  readonly args: readonly string[];
  /** written to the program's stdin (then closed); default: stdin is empty */
  readonly input?: string;
  readonly timeoutMs?: number;
}

export interface RunOutcome {
  /** exit status; null when killed by a signal or never started */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** why the program could not be started, or was killed (timeout, output too large) */
  readonly error?: string;
}

/** Runs `file args` to its end (its exit and the end of its output). Never rejects: failures are in the outcome. */
export function runToEnd(req: RunRequest, spawner: Spawner = childProcessSpawner): Promise<RunOutcome> {
  const limit = req.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  // no input: stdin is /dev/null (end of file at once, as from an empty pipe) and no pipe is made
  const p = spawner({ file: req.file, args: req.args, stdio: [req.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const [stdin, out, err] = p.stdio as [Writable | undefined, Readable | undefined, Readable | undefined];
  let killed: string | undefined;
  const kill = (why: string): void => {
    killed ??= why;
    p.kill('SIGTERM');
  };
  const collect = (s: Readable | undefined): Promise<string> =>
    new Promise((resolve) => {
      if (!s) return resolve('');
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        text += d;
        if (text.length > MAX_OUTPUT_BYTES) kill(`killed by SIGTERM with more than ${MAX_OUTPUT_BYTES} bytes of output`);
      });
      s.on('error', () => undefined); // the pipe's end is what counts
      s.once('close', () => resolve(text));
    });
  const timer = setTimeout(() => kill(`killed by SIGTERM after the time limit of ${limit} ms`), limit);
  stdin?.on('error', () => undefined); // the program exiting early (EPIPE): its exit status tells
  stdin?.end(req.input);
  return Promise.all([p.exited, collect(out), collect(err)]).then(([exit, stdout, stderr]) => {
    clearTimeout(timer);
    if (exit.error) return { code: null, signal: null, stdout, stderr, error: exit.error };
    if (exit.code === 0 && !killed) return { code: 0, signal: null, stdout, stderr };
    const why = killed ?? (exit.signal ? `killed by ${exit.signal}` : undefined);
    return { code: killed ? null : exit.code, signal: exit.signal, stdout, stderr, ...(why && (killed || exit.code === null) ? { error: why } : {}) };
  });
}

/** How long stderr is read after the monitor's first process exited without a sync message. */
const STDERR_DRAIN_MS = 500;

export interface MonitorRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** added to the environment */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export interface MonitorOutcome {
  /** what the program wrote on fd 3 up to and including the first `}` (conmon's sync message) */
  readonly message?: string;
  /** set when fd 3 closed without a message: the exit status of the started process (null: killed or not started) */
  readonly code?: number | null;
  /** the started process's stderr (complete when it exited without a message) */
  readonly stderr: string;
  /** why there is no message (timeout, could not start) */
  readonly error?: string;
}

/**
 * Starts a monitor in a session of its own (it outlives its starter) with a sync pipe on fd 3, and
 * resolves with the first JSON message it writes there — or, when fd 3 closes first, with its exit
 * status and stderr. Never rejects.
 */
export function startMonitor(req: MonitorRequest, spawner: Spawner = childProcessSpawner): Promise<MonitorOutcome> {
  return new Promise((resolve) => {
    const child = spawner({ file: req.file, args: req.args, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...req.env }, detached: true, cwd: req.cwd });
    const stderrStream = child.stdio[2] as Readable | undefined;
    const sync = child.stdio[3] as Readable | undefined;
    // the first process exits at once (conmon forks its monitor), or on failure
    let stderr = '';
    stderrStream?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    stderrStream?.on('error', () => undefined);
    const stderrClosed = new Promise<void>((done) => (stderrStream ? stderrStream.once('close', done) : done()));
    let buf = '';
    let settled = false;
    const finish = (o: MonitorOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sync?.destroy();
      stderrStream?.destroy();
      child.unref();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ stderr, error: `no report within ${req.timeoutMs} ms` }), req.timeoutMs);
    void child.exited.then((e) => {
      if (e.error) finish({ stderr, code: null, error: e.error });
    });
    if (!sync) return;
    sync.setEncoding('utf8');
    sync.on('data', (d: string) => {
      buf += d;
      const end = buf.indexOf('}');
      if (end >= 0) finish({ message: buf.slice(0, end + 1), stderr });
    });
    sync.on('end', () => {
      // stderr is drained once the process exited (bounded: a forked monitor may still hold it)
      void child.exited
        .then(async (e) => {
          await Promise.race([stderrClosed, new Promise((r) => setTimeout(r, STDERR_DRAIN_MS))]);
          return e.code;
        })
        .then((code) => finish({ code, stderr }));
    });
    sync.on('error', (e: Error) => finish({ stderr, error: e.message }));
  });
}

type NativeStartMonitor = (file: string, args: readonly string[], env: readonly string[], cwd: string | null, timeoutMs: number, done: (o: MonitorOutcome) => void) => void;

/**
 * startMonitor done by skiff's process-spawn addon on a thread of its own (native/process-spawn:
 * posix_spawn, which copies no page tables and blocks only that thread; then the sync pipe read
 * there), or undefined where the addon was not built. The runtime starts its containers' monitors
 * with it straight from the server: no round trip through the process helper, whose share was
 * ~1.9 ms of CPU per pod in bench:pods' 50-pod batch, plus the server's IPC messages and the
 * wake-ups of a third process. Same outcomes as `startMonitor`; never rejects.
 */
export function nativeMonitorStarter(): ((req: MonitorRequest) => Promise<MonitorOutcome>) | undefined {
  const start = loadNativePackage<{ startMonitor?: NativeStartMonitor }>(PROCESS_SPAWN_PACKAGE).exports?.startMonitor;
  if (!start) return undefined;
  return (req) =>
    new Promise((resolve) => {
      const env = Object.entries({ ...process.env, ...req.env }).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
      try {
        start(req.file, [req.file, ...req.args], env, req.cwd, req.timeoutMs, resolve);
      } catch (e) {
        resolve({ stderr: '', error: e instanceof Error ? e.message : String(e) });
      }
    });
}

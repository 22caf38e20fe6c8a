// The two ways the runtime starts helper programs, as plain functions of a serializable request
// that never reject: run a program to its end and collect its output, or start a monitor (conmon)
// that detaches and reports on a sync pipe. They run in the process helper (process-helper.ts),
// a small child process, so the server never forks itself; `skiff killall` and tests call them
// in-process through exec-file.ts.
import { execFile, spawn } from 'node:child_process';

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

/** Runs `file args` to its end. Never rejects: failures are in the outcome. */
export function runToEnd(req: RunRequest): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child = execFile(req.file, [...req.args], { maxBuffer: MAX_OUTPUT_BYTES, timeout: req.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, signal: null, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown; signal?: NodeJS.Signals | null; killed?: boolean };
      const code = typeof e.code === 'number' ? e.code : null;
      const why = e.signal ? `killed by ${e.signal}${e.killed ? ` after the time limit of ${req.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS} ms or with too much output` : ''}` : e.message;
      resolve({ code, signal: e.signal ?? null, stdout, stderr, ...(code === null ? { error: why } : {}) });
    });
    child.stdin?.on('error', () => undefined); // the program exiting early (EPIPE): its exit status tells
    child.stdin?.end(req.input ?? '');
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
export function startMonitor(req: MonitorRequest): Promise<MonitorOutcome> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(req.file, [...req.args], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...req.env }, detached: true, cwd: req.cwd });
    } catch (e) {
      return resolve({ stderr: '', code: null, error: e instanceof Error ? e.message : String(e) });
    }
    // the first process exits at once (conmon forks its monitor), or on failure
    const exited = new Promise<number | null>((done) => {
      child.once('exit', (code) => done(code));
      child.once('error', () => done(null));
    });
    const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const stderrClosed = new Promise<void>((done) => child.stderr!.once('close', done));
    let buf = '';
    let settled = false;
    const finish = (o: MonitorOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sync.destroy();
      child.stderr!.destroy();
      child.unref();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ stderr, error: `no report within ${req.timeoutMs} ms` }), req.timeoutMs);
    sync.setEncoding?.('utf8');
    sync.on('data', (d: string | Buffer) => {
      buf += d.toString();
      const end = buf.indexOf('}');
      if (end >= 0) finish({ message: buf.slice(0, end + 1), stderr });
    });
    sync.on('end', () => {
      // stderr is drained once the process exited (bounded: a forked monitor may still hold it)
      void exited
        .then(async (code) => {
          await Promise.race([stderrClosed, new Promise((r) => setTimeout(r, STDERR_DRAIN_MS))]);
          return code;
        })
        .then((code) => finish({ code, stderr }));
    });
    sync.on('error', (e: Error) => finish({ stderr, error: e.message }));
    child.on('error', (e: Error) => finish({ stderr, code: null, error: e.message }));
  });
}

// Running iproute2's `ip` without a shell: one command as an argument array, or many as one
// `ip -batch -` process (one fork for a whole pod set-up). Failures become NetworkError
// (NetworkSetupFailed) carrying the command and ip's stderr.
import { execFile } from 'node:child_process';
import { NetworkError } from './errors.js';

export const IP_BINARY = 'ip';

/**
 * Runs a program to its end: resolves its exit status (null when killed or not started) and
 * output, whatever the status; rejects only when it could not be asked to run at all. The default
 * starts it from this process; the node agent passes its runtime's process helper, so a big
 * server process does not fork for every pod (src/runtime/runc/process-helper.ts).
 */
export type ProcessRunner = (req: { file: string; args: readonly string[]; input?: string }) => Promise<{ code: number | null; stdout: string; stderr: string; error?: string }>;

/** Why a program a ProcessRunner ran failed, for an error message: its stderr, else how it ended. */
export function failureText(o: { code: number | null; stderr: string; error?: string }): string {
  return (o.stderr || o.error || `exit status ${o.code}`).trim();
}

/** `ProcessRunner` from this process (execFile). */
export const localRunner: ProcessRunner = (req) =>
  new Promise((resolve) => {
    const child = execFile(req.file, [...req.args], { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr, ...(err && code === null ? { error: err.message } : {}) });
    });
    child.stdin?.on('error', () => undefined); // ip exiting early (EPIPE): its exit status tells
    child.stdin?.end(req.input ?? '');
  });

export interface IpOptions {
  /** how ip is started (default `localRunner`) */
  readonly runner?: ProcessRunner;
  /** run inside this named network namespace (`ip -n NAME`) */
  readonly netns?: string;
  /** with a batch: keep going after a failing line (`ip -force`); the error still reports it */
  readonly force?: boolean;
}

/** `ip ARGS...`; resolves with stdout. */
export function ip(args: readonly string[], opts: IpOptions = {}): Promise<string> {
  return run([...globalArgs(opts), ...args], undefined, opts.runner);
}

/** `ip -batch -` with one command per line (each line without the leading `ip`); resolves with stdout. */
export function ipBatch(lines: readonly string[], opts: IpOptions = {}): Promise<string> {
  if (lines.length === 0) return Promise.resolve('');
  return run([...globalArgs(opts), ...(opts.force ? ['-force'] : []), '-batch', '-'], lines.join('\n') + '\n', opts.runner);
}

/** `ip -j ARGS...` parsed; an empty output is an empty array. */
export async function ipJson<T>(args: readonly string[], opts: IpOptions = {}): Promise<T[]> {
  const out = await ip(['-j', ...args], opts);
  return out.trim() === '' ? [] : (JSON.parse(out) as T[]);
}

function globalArgs(opts: IpOptions): string[] {
  return opts.netns ? ['-n', opts.netns] : [];
}

async function run(args: string[], input: string | undefined, runner: ProcessRunner = localRunner): Promise<string> {
  const o = await runner({ file: IP_BINARY, args, ...(input !== undefined ? { input } : {}) });
  if (o.code === 0) return o.stdout;
  const what = input === undefined ? `ip ${args.join(' ')}` : `ip ${args.join(' ')} <<< ${JSON.stringify(input.trimEnd())}`;
  throw new NetworkError('NetworkSetupFailed', `${what}: ${failureText(o)}`);
}

// Running iproute2's `ip` without a shell: one command as an argument array, or many as one
// `ip -batch -` process (one fork for a whole pod set-up). Failures become NetworkError
// (NetworkSetupFailed) carrying the command and ip's stderr.
import { execFile } from 'node:child_process';
import { NetworkError } from './errors.js';

export const IP_BINARY = 'ip';

export interface IpOptions {
  /** run inside this named network namespace (`ip -n NAME`) */
  readonly netns?: string;
  /** with a batch: keep going after a failing line (`ip -force`); the error still reports it */
  readonly force?: boolean;
}

/** `ip ARGS...`; resolves with stdout. */
export function ip(args: readonly string[], opts: IpOptions = {}): Promise<string> {
  return run([...globalArgs(opts), ...args], undefined);
}

/** `ip -batch -` with one command per line (each line without the leading `ip`); resolves with stdout. */
export function ipBatch(lines: readonly string[], opts: IpOptions = {}): Promise<string> {
  if (lines.length === 0) return Promise.resolve('');
  return run([...globalArgs(opts), ...(opts.force ? ['-force'] : []), '-batch', '-'], lines.join('\n') + '\n');
}

/** `ip -j ARGS...` parsed; an empty output is an empty array. */
export async function ipJson<T>(args: readonly string[], opts: IpOptions = {}): Promise<T[]> {
  const out = await ip(['-j', ...args], opts);
  return out.trim() === '' ? [] : (JSON.parse(out) as T[]);
}

function globalArgs(opts: IpOptions): string[] {
  return opts.netns ? ['-n', opts.netns] : [];
}

function run(args: string[], input: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(IP_BINARY, args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const what = input === undefined ? `ip ${args.join(' ')}` : `ip ${args.join(' ')} <<< ${JSON.stringify(input.trimEnd())}`;
      const detail = (stderr || err.message).trim();
      reject(new NetworkError('NetworkSetupFailed', `${what}: ${detail}`));
    });
    child.stdin?.on('error', () => undefined); // ip exiting early (EPIPE): its exit status tells
    if (input !== undefined) child.stdin!.end(input);
  });
}

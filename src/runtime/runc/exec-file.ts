// Running the node's helper programs (runc, mount, unshare, ...) and reporting their failures
// with what the program said.
import { execFile } from 'node:child_process';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A helper program failed: `code` is its exit code (undefined when it could not be started or was killed). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string,
    readonly code: number | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${command}: ${stderr.trim() || (code === undefined ? 'failed to run' : `exit status ${code}`)}`, options);
  }
}

/**
 * Runs `file args` to completion; resolves its output, rejects with CommandError on a non-zero
 * exit. Output is capped at 16 MiB.
 */
export function run(file: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 16 << 20, timeout: opts.timeoutMs ?? 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : undefined;
        reject(new CommandError(`${file} ${args.join(' ')}`, code, stderr || err.message, { cause: err }));
      } else resolve({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

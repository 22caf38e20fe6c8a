// Running the node's helper programs (runc, mount, unshare, ...) and reporting their failures
// with what the program said. `run` starts them from this process; the runtime uses the process
// helper's `run` instead (process-helper.ts), which keeps the same contract.
import { runToEnd, type RunOutcome, type RunRequest } from './process-start.js';

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

export interface RunOptions {
  /** default 60 s, then SIGTERM */
  readonly timeoutMs?: number;
  readonly input?: string;
}

/**
 * Runs `file args` to completion; resolves its output, rejects with CommandError on a non-zero
 * exit. Output is capped at 16 MiB.
 */
export type Run = (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** `Run` from this process. */
export const run: Run = async (file, args, opts = {}) => {
  const req = runRequest(file, args, opts);
  return runResult(req, await runToEnd(req));
};

export function runRequest(file: string, args: readonly string[], opts: RunOptions): RunRequest {
  return { file, args: [...args], ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
}

/** The outcome as `Run` reports it: the output on exit 0, else a CommandError. */
export function runResult(req: RunRequest, o: RunOutcome): RunResult {
  if (o.code === 0) return { stdout: o.stdout, stderr: o.stderr };
  throw new CommandError(`${req.file} ${req.args.join(' ')}`, o.code ?? undefined, o.stderr || o.error || (o.signal ? `killed by ${o.signal}` : ''));
}

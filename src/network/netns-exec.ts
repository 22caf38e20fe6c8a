// Running a program inside a pod's network namespace: `nsenter --net=PATH CMD ARGS...` (no shell).
// Node cannot move one of its threads into another namespace, so probes, port-forward and tests
// go through nsenter.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { NetworkError } from './errors.js';

export const NSENTER_BINARY = 'nsenter';

export interface RunInNetnsOptions {
  /** kill the program after this long (SIGKILL); default: no limit */
  readonly timeoutMs?: number;
  /** written to the program's stdin, which is then closed */
  readonly input?: string;
  readonly signal?: AbortSignal;
}

/**
 * Runs `cmd args...` in the network namespace at `netnsPath` (e.g. `/run/netns/skiff-<id>`) and
 * resolves with its output once it exits 0. Rejects with a NetworkError (NetworkSetupFailed)
 * carrying `code` (exit status) and the output otherwise.
 */
export function runInNetns(
  netnsPath: string,
  cmd: string,
  args: readonly string[] = [],
  opts: RunInNetnsOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      NSENTER_BINARY,
      [`--net=${netnsPath}`, '--', cmd, ...args],
      { encoding: 'utf8', maxBuffer: 16 << 20, timeout: opts.timeoutMs ?? 0, killSignal: 'SIGKILL', signal: opts.signal },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : undefined;
        const e = new NetworkError(
          'NetworkSetupFailed',
          `nsenter --net=${netnsPath} ${cmd} ${args.join(' ')}: ${(stderr || err.message).trim()}`,
        );
        reject(Object.assign(e, { code, stdout, stderr }));
      },
    );
    // A program that exits without reading its input makes the write fail (EPIPE): its exit status tells.
    child.stdin?.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Starts `cmd args...` in the network namespace at `netnsPath`; the caller owns (and kills) the child. */
export function spawnInNetns(netnsPath: string, cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
  return spawn(NSENTER_BINARY, [`--net=${netnsPath}`, '--', cmd, ...args], opts);
}

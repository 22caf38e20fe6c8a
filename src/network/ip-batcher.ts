// Coalescing `ip` commands of concurrent callers into one `ip -force -batch -` process: every
// `run(lines)` issued in the same turn of the event loop shares one fork. With -force ip goes on
// after a failing line and reports it on stderr as `<message>\nCommand failed -:<line>`, which maps
// each failure back to the caller that owns the line; callers whose lines all succeeded resolve.
//
// Contract: a caller's lines run in order, in the node's network namespace; lines of different
// callers may interleave only by caller (each caller's block is contiguous). A failing line does
// not stop the caller's later lines (callers clean up on rejection). Rejects with NetworkError
// (NetworkSetupFailed) carrying ip's messages for the caller's failed lines.
import { NetworkError } from './errors.js';
import { failureText, IP_BINARY, localRunner, type ProcessRunner } from './ip-command.js';

interface Job {
  readonly lines: readonly string[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class IpBatcher {
  private pending: Job[] = [];
  /** how many ip processes this batcher started (for tests and measurements) */
  processes = 0;

  constructor(private readonly runner: ProcessRunner = localRunner) {}

  run(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ lines, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const jobs = this.pending;
    this.pending = [];
    const owner: Job[] = [];
    const all: string[] = [];
    for (const j of jobs) {
      for (const l of j.lines) {
        all.push(l);
        owner.push(j);
      }
    }
    this.processes++;
    const settle = (o: { code: number | null; stderr: string; error?: string }): void => {
      if (o.code === 0) return jobs.forEach((j) => j.resolve());
      const stderr = o.stderr;
      const failures = new Map<Job, string[]>();
      let message: string[] = [];
      for (const line of stderr.split('\n')) {
        const m = /^Command failed -:(\d+)$/.exec(line);
        if (!m) {
          if (line.trim()) message.push(line.trim());
          continue;
        }
        const n = Number(m[1]) - 1;
        const job = owner[n];
        if (job) {
          const list = failures.get(job) ?? [];
          list.push(`${all[n]}: ${message.join('; ') || 'failed'}`);
          failures.set(job, list);
        }
        message = [];
      }
      if (failures.size === 0) {
        // ip failed without naming a line (could not start, killed): every caller fails.
        const e = new NetworkError('NetworkSetupFailed', `ip -batch: ${failureText(o)}`);
        return jobs.forEach((j) => j.reject(e));
      }
      for (const j of jobs) {
        const f = failures.get(j);
        if (f) j.reject(new NetworkError('NetworkSetupFailed', `ip ${f.join(', ')}`));
        else j.resolve();
      }
    };
    this.runner({ file: IP_BINARY, args: ['-force', '-batch', '-'], input: all.join('\n') + '\n' }).then(settle, (e: unknown) =>
      settle({ code: null, stderr: '', error: e instanceof Error ? e.message : String(e) }),
    );
  }
}

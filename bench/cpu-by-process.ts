// CPU time by process kind for benchmarks: `perf record -a` samples every CPU at a fixed rate while
// a phase runs, and each sample is counted for the process it hit, by command name (after exec:
// `conmon`, `crun`, `ip`, ...), with given pids named on their own (the server, its process
// helper). A cgroup's counter (cpu-cgroup.ts) says how much CPU a group used; this says which
// programs used it. Sampling, so an estimate (±1 sample = 1000/FREQUENCY_HZ ms); needs root and
// perf (linux-perf). Samples of processes that are not the benchmark's (other work on a shared
// machine) are counted under their command name too: read the kinds that belong to the phase.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** Samples per second per CPU. */
export const FREQUENCY_HZ = Number(process.env.BENCH_PERF_HZ ?? 997);

export interface CpuByProcess {
  /** Stops sampling; resolves ms of CPU per kind (descending), idle excluded. */
  stop(): Promise<Record<string, number>>;
}

/**
 * Starts sampling all CPUs into `file` (removed again by `stop`). `names` maps pids to kinds
 * (`{ [serverPid]: 'server' }`); every other process counts under its command name.
 * Resolves undefined when perf is not installed. `callGraphs`: with stacks (`perf record -g`);
 * `keep`: the file stays for `perf report`.
 */
export async function sampleCpuByProcess(file: string, names: ReadonlyMap<number, string>, opts: { callGraphs?: boolean; keep?: boolean } = {}): Promise<CpuByProcess | undefined> {
  if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const perf: ChildProcess = spawn('perf', ['record', '-a', ...(opts.callGraphs ? ['-g'] : []), '-F', String(FREQUENCY_HZ), '-o', file, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  perf.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise((r) => setTimeout(r, 300)); // perf has opened its events
  return {
    async stop() {
      const exited = new Promise<string>((r) => perf.once('exit', (code, signal) => r(signal ?? String(code))));
      perf.kill('SIGINT');
      const status = await exited; // perf writes its file on SIGINT and may then end by it
      try {
        if (status !== '0' && status !== 'SIGINT') throw new Error(`perf record exited ${status}: ${stderr.trim()}`);
        const out = spawnSync('perf', ['script', '-i', file, '-F', 'comm,pid'], { encoding: 'utf8', maxBuffer: 256 << 20 });
        if (out.status !== 0) throw new Error(`perf script: ${out.stderr}`);
        return tally(out.stdout, names);
      } finally {
        if (!opts.keep) rmSync(file, { force: true });
      }
    },
  };
}

/** `perf script -F comm,pid` lines (`   crun 12345`) → ms per kind. */
export function tally(script: string, names: ReadonlyMap<number, string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const line of script.split('\n')) {
    const m = /^\s*(.*\S)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === 0) continue; // idle
    const kind = names.get(pid) ?? m[1]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const ms = [...counts].map(([k, n]) => [k, +((n * 1000) / FREQUENCY_HZ).toFixed(1)] as const).sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(ms);
}

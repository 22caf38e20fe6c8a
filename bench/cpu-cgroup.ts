// CPU time of a group of processes for benchmarks, through a cgroup of its own (cgroup v1
// `cpuacct`, or v2 `cpu.stat`): every process moved into it and every descendant started after
// that is counted, including those that daemonize (conmon) and containers whose cgroups lie below
// it. On a shared machine CPU time per operation is steadier than wall-clock latency. Needs root.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
const V2 = existsSync(join(ROOT, 'cgroup.controllers'));

export class CpuCgroup {
  readonly dir: string;

  /** `name`: a cgroup path below the root, e.g. `skiff-bench-123` */
  constructor(readonly name: string) {
    this.dir = V2 ? join(ROOT, name) : join(ROOT, 'cpuacct', name);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Moves a process into the group (its children started later follow it). */
  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** CPU time used by the group and its child cgroups so far, in ms. */
  usageMs(): number {
    return cgroupUsageMs(this.dir);
  }

  /** Moves `pids` back to the root cgroup and removes the group (empty child cgroups first). */
  remove(pids: readonly number[] = []): void {
    const root = V2 ? ROOT : join(ROOT, 'cpuacct');
    for (const pid of pids) {
      try {
        writeFileSync(join(root, 'cgroup.procs'), String(pid));
      } catch {
        /* gone */
      }
    }
    try {
      rmdirSync(this.dir);
    } catch {
      /* still in use: killall removes container cgroups; an empty leftover is harmless */
    }
  }
}

/** CPU time of the cgroup at `name` (below the cpu accounting root), in ms; 0 when it does not exist. */
export function cgroupCpuMs(name: string): number {
  return cgroupUsageMs(V2 ? join(ROOT, name) : join(ROOT, 'cpuacct', name));
}

function cgroupUsageMs(dir: string): number {
  try {
    if (V2) return Number(/usage_usec (\d+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1] ?? 0) / 1000;
    return Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e6;
  } catch {
    return 0;
  }
}

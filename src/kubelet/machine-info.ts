// This machine as a Node describes it (nodeInfo, InternalIP, capacity and allocatable), read once
// at kubelet start-up. Simulated nodes do not use it: they describe a made-up machine
// (simulated-nodes.ts).
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { arch, availableParallelism, networkInterfaces, release } from 'node:os';
import type { MachineInfo } from './node-status.js';

/** Node's process.arch in GOARCH spelling (what kubernetes.io/arch holds). */
export function goArch(a: string = arch()): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[a] ?? a;
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function osImage(): string {
  const text = readTrimmed('/etc/os-release') ?? '';
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'Linux';
}

export function localMachineInfo(): MachineInfo {
  const machineID = readTrimmed('/etc/machine-id') ?? '';
  return {
    osImage: osImage(),
    kernelVersion: release(),
    architecture: goArch(),
    operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
    machineID,
    systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid') ?? machineID,
    bootID: readTrimmed('/proc/sys/kernel/random/boot_id') ?? '',
  };
}

/** The first non-internal IPv4 address of this machine, else 127.0.0.1. */
export function localNodeIP(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Pods per node, Kubernetes' default maxPods. */
export const DEFAULT_MAX_PODS = 110;
/** Kubernetes' default hard eviction thresholds, taken off allocatable: memory.available<100Mi, nodefs.available<10%. */
export const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
export const EVICTION_NODEFS_FRACTION = 0.1;

/** CPUs this process may use: the CPU count, lowered by a cgroup CPU quota (v2 cpu.max, v1 cfs_quota_us/cfs_period_us). */
export function cpuCount(read: (path: string) => string | undefined = readTrimmed): number {
  const cpus = availableParallelism();
  let quota: number | undefined;
  const max = read('/sys/fs/cgroup/cpu.max');
  if (max) {
    const [q, p] = max.split(/\s+/);
    if (q && q !== 'max' && p) quota = Number(q) / Number(p);
  } else {
    const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ?? '-1');
    const p = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ?? '0');
    if (q > 0 && p > 0) quota = q / p;
  }
  return quota && quota > 0 ? Math.max(1, Math.min(cpus, Math.ceil(quota))) : cpus;
}

/** MemTotal of /proc/meminfo in bytes (0 when unreadable). */
export function memoryBytes(meminfo: string | undefined = readTrimmed('/proc/meminfo')): number {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo ?? '');
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * This machine's capacity as a Node reports it: cpu (cgroup quota honoured), memory (`<n>Ki`),
 * pods 110, ephemeral-storage (size of the filesystem holding `dataDir`, `<n>Ki`).
 */
export async function localCapacity(dataDir: string): Promise<Record<string, string>> {
  const fs = await statfs(dataDir);
  return {
    cpu: String(cpuCount()),
    memory: `${Math.floor(memoryBytes() / 1024)}Ki`,
    pods: String(DEFAULT_MAX_PODS),
    'ephemeral-storage': `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`,
  };
}

/** Allocatable from capacity: the default eviction thresholds taken off memory and ephemeral-storage, as a kubelet without reservations reports it. */
export function allocatableFrom(capacity: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...capacity };
  const ki = (v: string | undefined) => (v && /^\d+Ki$/.test(v) ? Number(v.slice(0, -2)) : undefined);
  const mem = ki(capacity.memory);
  if (mem !== undefined) out.memory = `${Math.max(0, mem - EVICTION_MEMORY_BYTES / 1024)}Ki`;
  const disk = ki(capacity['ephemeral-storage']);
  if (disk !== undefined) out['ephemeral-storage'] = String(Math.floor(disk * 1024 * (1 - EVICTION_NODEFS_FRACTION)));
  return out;
}

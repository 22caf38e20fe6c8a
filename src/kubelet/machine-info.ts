// This machine as a Node describes it (nodeInfo, InternalIP), read once at kubelet start-up.
// Simulated nodes do not use it: they describe a made-up machine (simulated-nodes.ts).
import { readFileSync } from 'node:fs';
import { arch, networkInterfaces, release } from 'node:os';
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

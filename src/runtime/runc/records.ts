// What the runtime keeps on disk per sandbox and container (one JSON file each, written
// atomically), so a new RuncRuntime on the same state dir lists and adopts everything.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ContainerConfig, PodSandboxConfig, SandboxState } from '../runtime.js';

export interface SandboxRecord {
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly createdAt: number;
  state: SandboxState;
  /** pod IP while ready (not for hostNetwork) */
  ip?: string;
  netnsPath?: string;
  /** where container logs go (config.logDirectory or a default) */
  readonly logDirectory: string;
}

export interface ContainerRecord {
  readonly id: string;
  readonly sandboxId: string;
  readonly podUid: string;
  readonly config: ContainerConfig;
  readonly imageId: string;
  readonly createdAt: number;
  readonly logPath: string;
  readonly conmonPid: number;
  startedAt?: number;
  /** final state, recorded once the exit is known (the exit file stays authoritative before) */
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
}

/** Writes `value` as JSON to `file` atomically (temp file + rename). */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
}

/**
 * Writes `value` as JSON to `file`, which must not exist yet (fails with EEXIST otherwise). As
 * safe as writeJsonAtomic for a new file: a write torn by a crash leaves an unreadable file, which
 * readJson (and so adoption) treats as absent, as it treats the file an interrupted atomic write
 * never renamed. Cheaper: one new inode instead of two and no rename (a pod writes three).
 */
export function writeJsonNew(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value), { flag: 'wx' });
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

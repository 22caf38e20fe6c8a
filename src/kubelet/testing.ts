// Builders of runtime records for the kubelet's table-driven tests (sync-pod, pod-status): a
// compact way to say "container app, attempt 2, exited with 1 at t=5 s". Test-only.
import type { ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import { LABEL_CONTAINER_TYPE } from '../runtime/runtime.js';
import type { PodRuntimeState } from './pod-runtime-state.js';

export const T0 = Date.UTC(2025, 0, 1);

export function sandbox(opts: { id?: string; attempt?: number; ready?: boolean; ip?: string; hostNetwork?: boolean } = {}): PodSandboxStatus {
  const ready = opts.ready ?? true;
  const ip = opts.hostNetwork ? undefined : (opts.ip ?? '10.42.0.2');
  return {
    id: opts.id ?? 'sb',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', attempt: opts.attempt ?? 0 },
    state: ready ? 'ready' : 'notready',
    createdAt: T0,
    ...(ready && ip ? { ip, ips: [ip] } : {}),
    hostNetwork: opts.hostNetwork === true,
    labels: {},
    annotations: {},
  };
}

/**
 * A container record. `state`: "created", "running", or "exited:<code>"; times in seconds after T0
 * (started at `start`, finished at `end`).
 */
export function ctr(
  name: string,
  state: string,
  opts: { attempt?: number; id?: string; sandboxId?: string; start?: number; end?: number; image?: string; type?: 'init' | 'app' } = {},
): ContainerStatus {
  const attempt = opts.attempt ?? 0;
  const [kind, code] = state.split(':');
  const startedAt = kind === 'created' ? undefined : T0 + (opts.start ?? 0) * 1000;
  return {
    id: opts.id ?? `${name}-${attempt}`,
    sandboxId: opts.sandboxId ?? 'sb',
    podUid: 'uid-1',
    metadata: { name, attempt },
    state: kind === 'exited' ? 'exited' : kind === 'created' ? 'created' : 'running',
    createdAt: T0 + (opts.start ?? 0) * 1000,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(kind === 'exited' ? { finishedAt: T0 + (opts.end ?? (opts.start ?? 0) + 1) * 1000, exitCode: Number(code), reason: Number(code) === 0 ? 'Completed' : 'Error' } : {}),
    image: opts.image ?? 'busybox:1.36',
    imageRef: 'sha256:abc',
    labels: { [LABEL_CONTAINER_TYPE]: opts.type ?? 'app' },
    annotations: {},
  };
}

export function state(sandboxes: PodSandboxStatus[], containers: ContainerStatus[] = []): PodRuntimeState {
  return { sandboxes, containers };
}

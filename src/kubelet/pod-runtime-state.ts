// What the runtime holds for one pod, read back by the pod's uid: its sandboxes and containers.
// The kubelet keeps no other record of what runs (restart counts are container attempts), so a
// restarted kubelet picks up where the last one stopped.
import type { ContainerStatus, PodSandboxStatus, Runtime } from '../runtime/runtime.js';

export interface PodRuntimeState {
  /** newest first */
  readonly sandboxes: readonly PodSandboxStatus[];
  /** every container of every sandbox of the pod, in no particular order */
  readonly containers: readonly ContainerStatus[];
}

export const EMPTY_RUNTIME_STATE: PodRuntimeState = { sandboxes: [], containers: [] };

export async function readPodRuntimeState(runtime: Runtime, podUid: string): Promise<PodRuntimeState> {
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes({ podUid }), runtime.listContainers({ podUid })]);
  sandboxes.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
  return { sandboxes, containers };
}

/** The newest sandbox, ready or not. */
export function latestSandbox(state: PodRuntimeState): PodSandboxStatus | undefined {
  return state.sandboxes[0];
}

/** Containers by name, newest attempt first. */
export function containersByName(state: PodRuntimeState): Map<string, ContainerStatus[]> {
  const out = new Map<string, ContainerStatus[]>();
  for (const c of state.containers) {
    let list = out.get(c.metadata.name);
    if (!list) out.set(c.metadata.name, (list = []));
    list.push(c);
  }
  for (const list of out.values()) list.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
  return out;
}

export function hasRunning(state: PodRuntimeState): boolean {
  return state.containers.some((c) => c.state === 'running' || c.state === 'created');
}

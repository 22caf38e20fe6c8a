// Finds the runtime ids behind a (namespace, pod, container) name, from the labels the kubelet
// puts on sandboxes and containers (LABEL_POD_NAMESPACE, LABEL_POD_NAME, LABEL_CONTAINER_NAME).
// Attempts: the newest container of a name is the current one; `previous` is the newest exited
// one before it (as Kubernetes' lastState.terminated).
import {
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  type ContainerStatus,
  type PodSandboxStatus,
  type Runtime,
} from '../../runtime/runtime.js';
import { KubeletHttpError } from './status.js';

function newestFirst<T extends { createdAt: number }>(a: T, b: T): number {
  return b.createdAt - a.createdAt;
}

/** The pod's newest sandbox (ready ones first), or undefined. */
export async function findSandbox(runtime: Runtime, namespace: string, pod: string): Promise<PodSandboxStatus | undefined> {
  const all = (await runtime.listPodSandboxes()).filter((s) => s.labels[LABEL_POD_NAMESPACE] === namespace && s.labels[LABEL_POD_NAME] === pod);
  all.sort((a, b) => (a.state === b.state ? newestFirst(a, b) : a.state === 'ready' ? -1 : 1));
  return all[0];
}

/** Every attempt of the container, newest first (by attempt, then creation time). */
export async function containerAttempts(runtime: Runtime, namespace: string, pod: string, container: string): Promise<ContainerStatus[]> {
  const all = (await runtime.listContainers()).filter(
    (c) => c.labels[LABEL_POD_NAMESPACE] === namespace && c.labels[LABEL_POD_NAME] === pod && (c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name) === container,
  );
  return all.sort((a, b) => b.metadata.attempt - a.metadata.attempt || newestFirst(a, b));
}

/** The container whose log `kubectl logs [--previous]` reads; 400 with Kubernetes' messages otherwise. */
export async function logContainer(runtime: Runtime, namespace: string, pod: string, container: string, previous: boolean): Promise<ContainerStatus> {
  const attempts = await containerAttempts(runtime, namespace, pod, container);
  if (previous) {
    const prev = attempts.slice(1).find((c) => c.state === 'exited');
    if (!prev) throw new KubeletHttpError(400, `previous terminated container "${container}" in pod "${pod}" not found`, true);
    return prev;
  }
  if (!attempts.length) throw new KubeletHttpError(400, `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`, true);
  return attempts[0];
}

/** The running container exec and attach reach; `container not found ("c")` otherwise (as Kubernetes' kubelet). */
export async function runningContainer(runtime: Runtime, namespace: string, pod: string, container: string): Promise<ContainerStatus> {
  const current = (await containerAttempts(runtime, namespace, pod, container)).find((c) => c.state === 'running');
  if (!current) throw new KubeletHttpError(500, `container not found ("${container}")`);
  return current;
}

/** The ready sandbox port-forward reaches. */
export async function readySandbox(runtime: Runtime, namespace: string, pod: string): Promise<PodSandboxStatus> {
  const s = await findSandbox(runtime, namespace, pod);
  if (!s || s.state !== 'ready') throw new KubeletHttpError(404, `pod "${namespace}/${pod}" not found`);
  return s;
}

// The next step for one pod, decided from its spec and what the runtime holds (as Kubernetes'
// computePodActions): whether a sandbox must be made, which init container runs next (in order,
// each must exit 0), which app containers start or restart (restartPolicy, back-off), which
// containers are killed, and which dead ones can go. Pure: no I/O, no clock; the kubelet executes
// the result and asks again when something changes.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, ContainerType } from '../runtime/runtime.js';
import { LABEL_CONTAINER_TYPE } from '../runtime/runtime.js';
import type { PodRuntimeState } from './pod-runtime-state.js';
import { containersByName, latestSandbox } from './pod-runtime-state.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface StartAction {
  readonly container: Container;
  readonly type: ContainerType;
  /** the new container's attempt (= its restartCount) */
  readonly attempt: number;
  /** the exited container this one replaces, if any (its exit feeds the back-off) */
  readonly replaces?: ContainerStatus;
}

export interface KillAction {
  readonly id: string;
  readonly name: string;
  /** the Killing event's message */
  readonly message: string;
  /** overrides the pod's grace period (a failed probe's terminationGracePeriodSeconds) */
  readonly gracePeriodSeconds?: number;
}

export interface BackoffAction {
  readonly name: string;
  readonly type: ContainerType;
  /** the exited container waiting to be restarted */
  readonly exited: ContainerStatus;
  readonly remainingMs: number;
  readonly delayMs: number;
}

export interface PodActions {
  /** stop every container and sandbox of the pod before anything else (the sandbox died or must be replaced) */
  readonly killPod: boolean;
  readonly createSandbox: boolean;
  /** attempt number of the sandbox to create */
  readonly sandboxAttempt: number;
  /** the ready sandbox containers start in (absent when one is to be created, or none is needed) */
  readonly sandboxId?: string;
  /** a sandbox is needed but the pod network is not ready (no pod CIDR yet) */
  readonly waitForNetwork: boolean;
  readonly kill: readonly KillAction[];
  readonly start: readonly StartAction[];
  readonly backoff: readonly BackoffAction[];
  /** dead containers to remove (older attempts beyond the one kept for lastState) */
  readonly remove: readonly string[];
}

export interface SyncPodInput {
  readonly pod: Pod;
  readonly state: PodRuntimeState;
  readonly networkReady: boolean;
  /** the restart back-off of container `name` whose last run failed at `failedAt` */
  readonly backoff: (name: string, failedAt: number) => { remainingMs: number; delayMs: number };
  /** ids of running containers whose liveness or startup probe has failed */
  readonly unhealthy?: ReadonlySet<string>;
  /** which probe failed for an unhealthy container (Killing message); default liveness */
  readonly failedProbe?: (containerId: string) => 'liveness' | 'startup' | undefined;
}

/** Dead containers kept per name: the newest (state) and the one before (lastState). */
export const KEEP_DEAD_PER_CONTAINER = 2;

export function restartPolicyOf(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** Whether a container that exited with `exitCode` is started again under `policy`. */
export function shouldRestart(policy: RestartPolicy, exitCode: number | undefined): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

/** Sidecar: an init container with restartPolicy Always (runs beside the app containers). */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

export function computePodActions(input: SyncPodInput): PodActions {
  const { pod, state } = input;
  const spec = pod.spec;
  const policy = restartPolicyOf(pod);
  const initContainers = spec?.initContainers ?? [];
  const appContainers = spec?.containers ?? [];
  const sandbox = latestSandbox(state);
  const kill: KillAction[] = [];
  const start: StartAction[] = [];
  const backoff: BackoffAction[] = [];
  const remove: string[] = [];
  const base = { killPod: false, createSandbox: false, sandboxAttempt: 0, waitForNetwork: false, kill, start, backoff, remove };

  const nextAttempt = (name: string): number => {
    let max = -1;
    for (const c of state.containers) if (c.metadata.name === name) max = Math.max(max, c.metadata.attempt);
    return max + 1;
  };

  // ---- the sandbox ----
  if (!sandbox || sandbox.state !== 'ready') {
    const ranBefore = state.containers.some((c) => c.labels[LABEL_CONTAINER_TYPE] !== 'init');
    if (sandbox && policy === 'Never' && ranBefore) {
      // The sandbox died after the pod ran: a Never pod is not started again.
      return { ...base, killPod: state.containers.some((c) => c.state === 'running' || c.state === 'created') };
    }
    const killPod = sandbox !== undefined || state.containers.some((c) => c.state === 'running');
    if (!spec?.hostNetwork && !input.networkReady) return { ...base, killPod, waitForNetwork: true };
    // A new sandbox: everything starts again, init containers first.
    const first = initContainers[0];
    if (first) start.push({ container: first, type: 'init', attempt: nextAttempt(first.name) });
    else for (const c of appContainers) start.push({ container: c, type: 'app', attempt: nextAttempt(c.name) });
    return { ...base, killPod, createSandbox: true, sandboxAttempt: sandbox ? sandbox.metadata.attempt + 1 : 0 };
  }

  const current = { sandboxes: [sandbox], containers: state.containers.filter((c) => c.sandboxId === sandbox.id) };
  const byName = containersByName(current);
  const specNames = new Set([...initContainers, ...appContainers].map((c) => c.name));

  // Containers the spec no longer names, and leftovers of older sandboxes, are stopped.
  for (const c of state.containers) {
    if (c.state !== 'running' && c.state !== 'created') continue;
    if (c.sandboxId !== sandbox.id) kill.push({ id: c.id, name: c.metadata.name, message: `Stopping container ${c.metadata.name}` });
    else if (!specNames.has(c.metadata.name)) kill.push({ id: c.id, name: c.metadata.name, message: `Container ${c.metadata.name} is not in the pod spec, will be stopped` });
  }
  // Old attempts are removed; the newest two of each name stay (state and lastState).
  for (const [name, list] of containersByName(state)) {
    list.forEach((c, i) => {
      if (c.state !== 'exited') return;
      if (i >= KEEP_DEAD_PER_CONTAINER || !specNames.has(name)) remove.push(c.id);
    });
  }

  const restartOrBackoff = (container: Container, type: ContainerType, exited: ContainerStatus): void => {
    const b = input.backoff(container.name, exited.finishedAt ?? 0);
    if (b.remainingMs > 0) backoff.push({ name: container.name, type, exited, remainingMs: b.remainingMs, delayMs: b.delayMs });
    else start.push({ container, type, attempt: nextAttempt(container.name), replaces: exited });
  };

  // ---- init containers, in order ----
  const appStarted = appContainers.some((c) => (byName.get(c.name)?.length ?? 0) > 0);
  if (!appStarted) {
    for (const init of initContainers) {
      const latest = byName.get(init.name)?.[0];
      if (!latest) {
        start.push({ container: init, type: 'init', attempt: nextAttempt(init.name) });
        return { ...base, sandboxId: sandbox.id };
      }
      if (latest.state === 'created') {
        remove.push(latest.id);
        start.push({ container: init, type: 'init', attempt: nextAttempt(init.name) });
        return { ...base, sandboxId: sandbox.id };
      }
      if (latest.state === 'running' || latest.state === 'unknown') {
        if (isSidecar(init) && latest.state === 'running') continue;
        return { ...base, sandboxId: sandbox.id };
      }
      // exited
      if (!isSidecar(init) && latest.exitCode === 0) continue;
      if (!isSidecar(init) && policy === 'Never') return { ...base, sandboxId: sandbox.id }; // the pod has failed
      restartOrBackoff(init, 'init', latest);
      return { ...base, sandboxId: sandbox.id };
    }
  } else {
    // Initialized before: only sidecars are kept running.
    for (const init of initContainers) {
      if (!isSidecar(init)) continue;
      const latest = byName.get(init.name)?.[0];
      if (!latest) start.push({ container: init, type: 'init', attempt: nextAttempt(init.name) });
      else if (latest.state === 'exited') restartOrBackoff(init, 'init', latest);
    }
  }

  // ---- app containers ----
  for (const container of appContainers) {
    const latest = byName.get(container.name)?.[0];
    if (!latest) {
      start.push({ container, type: 'app', attempt: nextAttempt(container.name) });
      continue;
    }
    if (latest.state === 'created') {
      remove.push(latest.id);
      start.push({ container, type: 'app', attempt: nextAttempt(container.name) });
      continue;
    }
    if (latest.state === 'running') {
      if (input.unhealthy?.has(latest.id)) {
        const probe = input.failedProbe?.(latest.id) ?? 'liveness';
        const grace = (probe === 'startup' ? container.startupProbe : container.livenessProbe)?.terminationGracePeriodSeconds;
        kill.push({
          id: latest.id,
          name: container.name,
          message: `Container ${container.name} failed ${probe} probe, will be restarted`,
          ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
        });
      } else if (latest.image !== container.image) {
        kill.push({ id: latest.id, name: container.name, message: `Container ${container.name} definition changed, will be restarted` });
        start.push({ container, type: 'app', attempt: nextAttempt(container.name) });
      }
      continue;
    }
    if (latest.state === 'exited' && shouldRestart(policy, latest.exitCode)) restartOrBackoff(container, 'app', latest);
  }
  return { ...base, sandboxId: sandbox.id };
}

// The API status of a pod, computed from its spec, its previous status and what the runtime holds
// (as Kubernetes' generateAPIPodStatus): phase, the kubelet's conditions (PodReadyToStartContainers,
// Initialized, ContainersReady, Ready) with lastTransitionTime kept while a condition holds,
// podIP/podIPs, hostIP/hostIPs, startTime, and one status per container (state waiting/running/
// terminated, lastState, ready, started, restartCount, image, imageID, containerID). Fields the
// kubelet does not own (qosClass, nominatedNodeName, other components' conditions) are kept.
// Pure: time comes in as `now`.
import { rfc3339 } from '../api/time.js';
import type { Container, ContainerStateTerminated, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus as ApiContainerStatus } from 'kubernetes-types/core/v1.js';
import type { DeepMutable } from '../api/object.js';
import type { ContainerStatus, ContainerType } from '../runtime/runtime.js';
import type { PodRuntimeState } from './pod-runtime-state.js';
import { containersByName, latestSandbox } from './pod-runtime-state.js';
import { isSidecar, restartPolicyOf } from './sync-pod.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
type MutablePodStatus = DeepMutable<PodStatus>;
type MutableContainerStatus = DeepMutable<ApiContainerStatus>;
type MutableCondition = DeepMutable<PodCondition>;

/** Why a container waits, when the kubelet knows better than "ContainerCreating" (CrashLoopBackOff, ErrImagePull...). */
export interface WaitingReason {
  readonly reason: string;
  readonly message?: string;
}

export interface PodStatusInput {
  /** the pod as the API has it (spec and previous status) */
  readonly pod: Pod;
  readonly state: PodRuntimeState;
  /** scheme of containerIDs: `simulated` gives `simulated://<id>` */
  readonly runtimeName: string;
  readonly hostIP: string;
  readonly now: number;
  /** by container name */
  readonly waiting?: ReadonlyMap<string, WaitingReason>;
  /** readiness of a running container (probes); default: ready */
  readonly isReady?: (c: ContainerStatus) => boolean;
  /** startup of a running container (startup probe); default: started */
  readonly isStarted?: (c: ContainerStatus) => boolean;
  /** the kubelet has finished with the pod (deleted or failed by the kubelet): its phase becomes terminal once nothing runs */
  readonly terminal?: boolean;
  /** the pod was failed by the kubelet itself (e.g. DeadlineExceeded): phase Failed with this reason */
  readonly failure?: { readonly reason: string; readonly message: string };
}

export const CONDITION_READY_TO_START = 'PodReadyToStartContainers';
export const CONDITION_INITIALIZED = 'Initialized';
export const CONDITION_CONTAINERS_READY = 'ContainersReady';
export const CONDITION_READY = 'Ready';
export const CONDITION_SCHEDULED = 'PodScheduled';

/** The conditions the kubelet owns, in the order it lists them (kubectl describe shows them so). */
const KUBELET_CONDITIONS = [CONDITION_READY_TO_START, CONDITION_INITIALIZED, CONDITION_READY, CONDITION_CONTAINERS_READY, CONDITION_SCHEDULED];

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** `name_namespace(uid)`, how kubelet messages name a pod. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod, state, now } = input;
  const old = pod.status ?? {};
  // A shallow copy: every field the kubelet owns is replaced below, never changed in place.
  const status = { ...old } as MutablePodStatus;
  const sandbox = latestSandbox(state);
  const sandboxReady = sandbox?.state === 'ready';
  const byName = containersByName(state);
  const initContainers = pod.spec?.initContainers ?? [];
  const appContainers = pod.spec?.containers ?? [];

  const appHasRun = appContainers.some((c) => byName.has(c.name));
  const initStatuses = initContainers.map((c) => containerStatus(input, c, 'init', byName.get(c.name) ?? [], false));
  const initialized = appHasRun || initStatuses.every((s, i) => initDone(s, initContainers[i]!));
  const appStatuses = appContainers.map((c) => containerStatus(input, c, 'app', byName.get(c.name) ?? [], !initialized));

  const phase = isTerminalPhase(old.phase) ? (old.phase as PodPhase) : input.failure ? 'Failed' : podPhase(pod, initStatuses, appStatuses, input.terminal === true);
  status.phase = phase;
  if (input.failure && !isTerminalPhase(old.phase)) {
    status.reason = input.failure.reason;
    status.message = input.failure.message;
  }

  // IPs: the sandbox's while it is ready; the node's for host-network pods; kept after the sandbox is gone.
  status.hostIP = input.hostIP;
  status.hostIPs = [{ ip: input.hostIP }];
  if (pod.spec?.hostNetwork) {
    status.podIP = input.hostIP;
    status.podIPs = [{ ip: input.hostIP }];
  } else if (sandboxReady && sandbox.ip) {
    status.podIP = sandbox.ip;
    status.podIPs = (sandbox.ips ?? [sandbox.ip]).map((ip) => ({ ip }));
  }
  status.startTime ??= rfc3339(now);

  if (initContainers.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  status.containerStatuses = appStatuses;

  // ---- conditions ----
  const desired: MutableCondition[] = [];
  desired.push(
    sandboxReady && (sandbox.ip || pod.spec?.hostNetwork || sandbox.hostNetwork)
      ? { type: CONDITION_READY_TO_START, status: 'True' }
      : { type: CONDITION_READY_TO_START, status: 'False' },
  );
  desired.push(initializedCondition(initContainers, initStatuses, appHasRun, phase));
  const containersReady = containersReadyCondition(appStatuses, phase);
  desired.push(readyCondition(pod, containersReady), containersReady);
  const scheduled = (old.conditions ?? []).find((c) => c.type === CONDITION_SCHEDULED);
  desired.push(scheduled?.status === 'True' ? (structuredClone(scheduled) as MutableCondition) : { type: CONDITION_SCHEDULED, status: 'True' });
  status.conditions = mergeConditions(old.conditions ?? [], desired, now);
  return status;
}

function initDone(s: MutableContainerStatus, c: Container): boolean {
  if (isSidecar(c)) return s.state?.running !== undefined && s.started === true;
  return s.state?.terminated?.exitCode === 0;
}

function terminated(c: ContainerStatus, runtimeName: string): DeepMutable<ContainerStateTerminated> {
  const exitCode = c.exitCode ?? 0;
  return {
    exitCode,
    reason: c.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
    ...(c.message ? { message: c.message } : {}),
    ...(c.startedAt !== undefined ? { startedAt: rfc3339(c.startedAt) } : {}),
    ...(c.finishedAt !== undefined ? { finishedAt: rfc3339(c.finishedAt) } : {}),
    containerID: `${runtimeName}://${c.id}`,
  };
}

/** One container's status; `runtime` is its containers, newest attempt first. */
function containerStatus(input: PodStatusInput, spec: Container, type: ContainerType, runtime: readonly ContainerStatus[], podInitializing: boolean): MutableContainerStatus {
  const [latest, previous] = runtime;
  const override = input.waiting?.get(spec.name);
  const oldList = type === 'init' ? input.pod.status?.initContainerStatuses : input.pod.status?.containerStatuses;
  const old = oldList?.find((s) => s.name === spec.name);
  const out: MutableContainerStatus = {
    name: spec.name,
    image: spec.image ?? '',
    imageID: latest?.imageRef ?? '',
    ready: false,
    started: false,
    restartCount: latest ? latest.metadata.attempt : (old?.restartCount ?? 0),
    state: {},
    lastState: {},
  };
  if (latest) out.containerID = `${input.runtimeName}://${latest.id}`;
  const defaultWaiting = podInitializing || type === 'init' ? 'PodInitializing' : 'ContainerCreating';

  if (!latest) {
    out.state = { waiting: { reason: override?.reason ?? defaultWaiting, ...(override?.message ? { message: override.message } : {}) } };
    if (old?.lastState?.terminated) out.lastState = structuredClone(old.lastState) as typeof out.lastState;
    return out;
  }
  switch (latest.state) {
    case 'running': {
      out.state = { running: { startedAt: rfc3339(latest.startedAt ?? latest.createdAt) } };
      out.started = input.isStarted ? input.isStarted(latest) : true;
      out.ready = out.started && (input.isReady ? input.isReady(latest) : true);
      if (previous?.state === 'exited') out.lastState = { terminated: terminated(previous, input.runtimeName) };
      break;
    }
    case 'exited': {
      if (override) {
        out.state = { waiting: { reason: override.reason, ...(override.message ? { message: override.message } : {}) } };
        out.lastState = { terminated: terminated(latest, input.runtimeName) };
      } else {
        out.state = { terminated: terminated(latest, input.runtimeName) };
        if (previous?.state === 'exited') out.lastState = { terminated: terminated(previous, input.runtimeName) };
      }
      break;
    }
    default: {
      out.state = { waiting: { reason: override?.reason ?? 'ContainerCreating', ...(override?.message ? { message: override.message } : {}) } };
      if (previous?.state === 'exited') out.lastState = { terminated: terminated(previous, input.runtimeName) };
    }
  }
  return out;
}

/** Kubernetes' getPhase. `terminal`: the kubelet is done with the pod (deleted): whatever stopped decides Succeeded or Failed. */
export function podPhase(pod: Pod, initStatuses: readonly MutableContainerStatus[], appStatuses: readonly MutableContainerStatus[], terminal: boolean): PodPhase {
  const policy = restartPolicyOf(pod);
  const inits = pod.spec?.initContainers ?? [];
  let pendingInit = 0;
  let failedInit = 0;
  inits.forEach((c, i) => {
    const s = initStatuses[i];
    if (isSidecar(c)) {
      if (!s?.state?.running || !s.started) pendingInit++;
      return;
    }
    if (!s) pendingInit++;
    else if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      const last = s.lastState?.terminated;
      if (last) {
        if (last.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  });
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of appStatuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function initializedCondition(inits: readonly Container[], statuses: readonly MutableContainerStatus[], appHasRun: boolean, phase: PodPhase): MutableCondition {
  const incomplete = inits.filter((c, i) => !initDone(statuses[i]!, c)).map((c) => c.name);
  if (phase === 'Succeeded') return { type: CONDITION_INITIALIZED, status: 'True', reason: 'PodCompleted' };
  if (appHasRun || incomplete.length === 0) return { type: CONDITION_INITIALIZED, status: 'True' };
  return { type: CONDITION_INITIALIZED, status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` };
}

function containersReadyCondition(statuses: readonly MutableContainerStatus[], phase: PodPhase): MutableCondition {
  if (phase === 'Succeeded') return { type: CONDITION_CONTAINERS_READY, status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { type: CONDITION_CONTAINERS_READY, status: 'False', reason: 'PodFailed' };
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  if (unready.length === 0) return { type: CONDITION_CONTAINERS_READY, status: 'True' };
  return { type: CONDITION_CONTAINERS_READY, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
}

function readyCondition(pod: Pod, containersReady: MutableCondition): MutableCondition {
  if (containersReady.status !== 'True') return { ...containersReady, type: CONDITION_READY };
  const conditions = pod.status?.conditions ?? [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) return { type: CONDITION_READY, status: 'False', reason: 'ReadinessGatesNotReady', message: `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.` };
    if (c.status !== 'True') return { type: CONDITION_READY, status: 'False', reason: 'ReadinessGatesNotReady', message: `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}` };
  }
  return { type: CONDITION_READY, status: 'True' };
}

/**
 * The kubelet's conditions in their order, then every other condition as it was. A condition keeps
 * its lastTransitionTime while its status does not change.
 */
function mergeConditions(old: readonly PodCondition[], desired: readonly MutableCondition[], now: number): MutableCondition[] {
  const out: MutableCondition[] = [];
  for (const d of desired) {
    const prev = old.find((c) => c.type === d.type);
    out.push({
      type: d.type,
      status: d.status,
      lastTransitionTime: prev && prev.status === d.status && prev.lastTransitionTime ? prev.lastTransitionTime : (d.lastTransitionTime ?? rfc3339(now)),
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.message ? { message: d.message } : {}),
    });
  }
  for (const c of old) if (!KUBELET_CONDITIONS.includes(c.type)) out.push(structuredClone(c) as MutableCondition);
  return out;
}

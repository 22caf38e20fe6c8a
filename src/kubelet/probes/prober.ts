// Probes as the kubelet sees them: a ProbeManager keeps, per running container, whether it is
// started (startupProbe), ready (readinessProbe) and healthy (livenessProbe), and tells the kubelet
// when one of these changes. Two managers exist:
// - SimulatedProbeManager (simulated nodes): no probing at all; a container is started and ready
//   once the probe's initialDelaySeconds have passed since it started, and never unhealthy;
// - PeriodicProbeManager: runs each probe every periodSeconds through a Prober, with
//   initialDelaySeconds, timeoutSeconds, successThreshold and failureThreshold (issue 4 plugs the
//   httpGet/tcpSocket/exec Probers of the real runtime into it).
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../client/clock.js';

export type ProbeType = 'startup' | 'readiness' | 'liveness';

export type ProbeResult = 'success' | 'failure';

/** A running container, as the kubelet hands it to the probe manager. */
export interface RunningContainer {
  readonly id: string;
  readonly name: string;
  readonly startedAt: number;
}

/** What one probe runs against. */
export interface ProbeTarget {
  readonly pod: Pod;
  readonly container: Container;
  readonly containerId: string;
  /** the pod IP (httpGet/tcpSocket without host) */
  readonly podIP?: string;
}

/** Runs one probe once (httpGet, tcpSocket, exec, grpc). Must settle within `signal` (timeoutSeconds); an abort counts as a failure. */
export interface Prober {
  probe(type: ProbeType, probe: Probe, target: ProbeTarget, signal: AbortSignal): Promise<{ result: ProbeResult; output: string }>;
}

export interface ProbeManagerHooks {
  /** a container of the pod changed readiness, startup or health: the pod needs a sync */
  onChange(podUid: string): void;
  /** a probe failed (the kubelet records an Unhealthy event) */
  onFailure?(pod: Pod, containerName: string, type: ProbeType, output: string): void;
}

export interface ProbeManager {
  /** Starts watching the pod's running containers and forgets containers no longer listed. `podIP`: the sandbox's IP. */
  syncPod(pod: Pod, running: readonly RunningContainer[], podIP?: string): void;
  /** Forgets the pod and everything probing it. */
  removePod(podUid: string): void;
  /** Whether a running container passes its readiness probe (true without one, once started). */
  isReady(containerId: string): boolean;
  /** Whether a running container passed its startup probe (true without one). */
  isStarted(containerId: string): boolean;
  /** Running containers of the pod whose liveness or startup probe has failed: to be killed and restarted. */
  unhealthy(podUid: string): ReadonlySet<string>;
  /** Which probe made a container unhealthy (for the Killing message); default liveness. */
  failedProbe?(containerId: string): 'liveness' | 'startup' | undefined;
  /** Cancels every timer and pending probe. */
  stop(): void;
}

export type ProbeManagerFactory = (deps: { readonly clock: Clock; readonly hooks: ProbeManagerHooks }) => ProbeManager;

/** The spec of container `name` (app, init or sidecar). */
export function containerSpec(pod: Pod, name: string): Container | undefined {
  return pod.spec?.containers.find((c) => c.name === name) ?? pod.spec?.initContainers?.find((c) => c.name === name);
}

export const NO_IDS: ReadonlySet<string> = new Set();

// The kubelet's pod sync loop: every pod bound to the node has a worker (pod-workers.ts) that, each
// time something changes (the pod in the API, a container in the runtime, a back-off or readiness
// delay running out), reads what the runtime holds for the pod, decides the next step
// (sync-pod.ts), carries it out through the runtime with the kubelet's events, and writes the
// resulting status (pod-status.ts) when it changed. Deletion is graceful: a pod with a
// deletionTimestamp has its containers stopped within its grace period, its sandbox removed, its
// final status written, and is then deleted for good (grace 0, uid precondition). Pods that left
// the API are torn down; sandboxes of pods the kubelet does not know are removed (housekeeping).
// On real nodes (a VolumeManager given) every sync first sets up the pod's volumes (a failure:
// FailedMount, the pod waits); containers get their env resolved (env.ts) and their volume
// mounts; postStart hooks run after a start (failure: the container is killed) and preStop hooks
// before a stop, inside the grace period.
import { setMaxListeners } from 'node:events';
import { podDNSConfig, type ClusterDNSSettings } from './dns-config.js';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.js';
import { quantityToMilli, quantityToNumber } from '../api/quantity.js';
import type { Client } from '../client/client.js';
import { resourceInfo } from '../client/client.js';
import type { Clock } from '../client/clock.js';
import type { ContainerConfig, ContainerStatus, KeyValue, Mount, PodSandboxConfig, PodSandboxStatus, PortMapping, Runtime } from '../runtime/runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_CONTAINER_TYPE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, RuntimeError } from '../runtime/runtime.js';
import { CrashBackoff, formatGoDuration } from './crash-backoff.js';
import { expandCommand, resolveEnv } from './env.js';
import { runLifecycleHandler } from './lifecycle-hooks.js';
import type { PodObjects } from './pod-objects.js';
import type { EventSink } from './image-puller.js';
import { ImagePuller } from './image-puller.js';
import { PodStatusWriter } from './pod-status-writer.js';
import type { PodRuntimeState } from './pod-runtime-state.js';
import { latestSandbox, readPodRuntimeState } from './pod-runtime-state.js';
import type { WaitingReason } from './pod-status.js';
import { computePodStatus, formatPod, isTerminalPhase } from './pod-status.js';
import { PodWorkers } from './pod-workers.js';
import { StartupTrace } from './startup-trace.js';
import type { ProbeManager, ProbeManagerFactory } from './probes/prober.js';
import { containerSpec } from './probes/prober.js';
import type { PodActions, StartAction } from './sync-pod.js';
import { computePodActions } from './sync-pod.js';
import type { MountedVolume, VolumeManager } from './volumes/volume-manager.js';
import { containerMounts } from './volumes/volume-mounts.js';
import { VolumeSetUpError } from './volumes/volume-plugin.js';

const PODS = resourceInfo('', 'v1', 'pods');

/** Grace period when neither the deletion nor the spec gives one (Kubernetes' default). */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
/** How soon a pod whose status write conflicted is looked at again (the newer copy is usually there first). */
const CONFLICT_RETRY_MS = 1_000;
/** What is left of the grace period after a preStop hook is never less than this (Kubernetes' minimumGracePeriodInSeconds). */
export const MINIMUM_GRACE_AFTER_PRESTOP_SECONDS = 2;

interface PodEntry {
  readonly uid: string;
  /** the latest copy from the API (shared with the cache: never mutate), or the last known once removed */
  pod: Pod;
  /** gone from the API: tear down and forget */
  removed: boolean;
  /** why containers wait, by container name (CrashLoopBackOff, ErrImagePull...) */
  readonly waiting: Map<string, WaitingReason>;
  /** by container name: the exited container whose back-off was announced (one BackOff event per crash) */
  readonly backoffAnnounced: Map<string, string>;
  /** the kubelet failed the pod itself (activeDeadlineSeconds) */
  failure?: { reason: string; message: string };
  /** the final DELETE was accepted; waiting for the pod to leave the cache */
  deleted: boolean;
  /** the NetworkNotReady event was recorded */
  toldNetworkNotReady: boolean;
  /** the pod's volumes as last set up (real nodes) */
  volumes?: Map<string, MountedVolume>;
}

export interface PodLifecycleOptions {
  readonly client: Client;
  readonly runtime: Runtime;
  readonly clock: Clock;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly event: EventSink;
  readonly probes: ProbeManagerFactory;
  readonly log: (line: string) => void;
  /** treat images as present whatever their pull policy (simulated nodes) */
  readonly assumeImagesPresent?: boolean;
  /** ConfigMaps, Secrets and Services the pods reference (env, envFrom); read only when referenced */
  readonly objects?: PodObjects;
  /** volumes materialised on the node (real nodes); without it volumes and volumeMounts are ignored */
  readonly volumes?: VolumeManager;
  /** add Kubernetes' service environment variables (real nodes) */
  readonly serviceEnv?: boolean;
  /** the node's allocatable (resourceFieldRef limits a container does not set) */
  readonly allocatable?: () => Readonly<Record<string, string>>;
  /** cluster DNS for the pods' resolv.conf (real nodes); without it sandboxes get no DNS config (the runtime copies the node's) */
  readonly dns?: ClusterDNSSettings;
  /** per-step timings of each pod's start, one line per pod (startup-trace.ts); default none */
  readonly trace?: (line: string) => void;
}

export class PodLifecycle {
  private readonly entries = new Map<string, PodEntry>();
  /** namespace/name → uid of the pod the API has under that name */
  private readonly byKey = new Map<string, string>();
  private readonly workers: PodWorkers;
  private readonly statusWriter: PodStatusWriter;
  private readonly restarts = new CrashBackoff();
  private readonly failures = new CrashBackoff();
  private readonly puller: ImagePuller;
  private readonly probes: ProbeManager;
  /** every pod's status writes and probes listen on its signal at once: no listener limit (Node warns past 10) */
  private readonly abort = unlimitedListeners(new AbortController());
  private readonly trace: StartupTrace;
  private runtimeName = '';
  private networkReady = false;
  private networkMessage = '';
  private paused = false;

  constructor(private readonly opts: PodLifecycleOptions) {
    this.trace = new StartupTrace(opts.trace);
    this.workers = new PodWorkers({ clock: opts.clock, sync: (uid) => this.sync(uid), log: opts.log });
    this.statusWriter = new PodStatusWriter(opts.client);
    const objects = opts.objects;
    this.puller = new ImagePuller({
      runtime: opts.runtime,
      clock: opts.clock,
      backoff: this.failures,
      event: opts.event,
      assumePresent: opts.assumeImagesPresent,
      pullSecrets: objects
        ? async (pod) => {
            const ns = pod.metadata?.namespace ?? 'default';
            const found = await Promise.all((pod.spec?.imagePullSecrets ?? []).map((r) => (r.name ? objects.secret(ns, r.name) : undefined)));
            return found.filter((s): s is NonNullable<typeof s> => s !== undefined);
          }
        : undefined,
    });
    this.probes = opts.probes({
      clock: opts.clock,
      hooks: {
        onChange: (uid) => this.workers.enqueue(uid),
        onFailure: (pod, _container, type, output) => {
          const kind = type === 'readiness' ? 'Readiness' : type === 'liveness' ? 'Liveness' : 'Startup';
          opts.event(pod, 'Warning', 'Unhealthy', `${kind} probe failed: ${output}`.trim());
        },
      },
    });
  }

  /** The runtime's name (containerID scheme) — known once the kubelet asked the runtime. */
  setRuntimeName(name: string): void {
    this.runtimeName = name;
  }

  /** Whether sandboxes needing an IP can be made; turning ready wakes the pods that waited. */
  setNetworkReady(ready: boolean, message = ''): void {
    const was = this.networkReady;
    this.networkReady = ready;
    this.networkMessage = message;
    if (ready && !was) this.resyncAll();
  }

  /** Paused (simulated node down): no sync acts or writes until resumed; resuming syncs every pod. */
  setPaused(paused: boolean): void {
    const was = this.paused;
    this.paused = paused;
    if (was && !paused) this.resyncAll();
  }

  // ---- what the API says ----

  podChanged(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const previous = this.byKey.get(key);
    if (previous && previous !== uid) this.markRemoved(previous);
    this.byKey.set(key, uid);
    let e = this.entries.get(uid);
    if (!e) {
      this.entries.set(uid, (e = { uid, pod, removed: false, waiting: new Map(), backoffAnnounced: new Map(), deleted: false, toldNetworkNotReady: false }));
      if (!pod.status?.containerStatuses?.length) this.trace.begin(uid, key);
    }
    e.pod = pod;
    e.removed = false;
    this.workers.enqueue(uid);
  }

  podRemoved(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const e = this.entries.get(uid);
    if (e) e.pod = pod;
    this.markRemoved(uid);
  }

  /** A container of the pod changed state in the runtime. */
  runtimeChanged(podUid: string): void {
    if (this.entries.has(podUid)) this.workers.enqueue(podUid);
  }

  /** Syncs every known pod (periodic resync, resume, network ready). */
  resyncAll(): void {
    for (const uid of this.entries.keys()) this.workers.enqueue(uid);
  }

  /** Pods with a worker (for tests and metrics). */
  podCount(): number {
    return this.entries.size;
  }

  /**
   * Removes sandboxes of pods the kubelet does not know (deleted while it was not watching).
   * Call only once the pod cache has synced.
   */
  async housekeeping(): Promise<void> {
    if (this.paused) return;
    for (const s of await this.opts.runtime.listPodSandboxes()) {
      if (this.entries.has(s.metadata.uid)) continue;
      this.opts.log(`removing sandbox ${s.id} of unknown pod ${s.metadata.namespace}/${s.metadata.name} (${s.metadata.uid})`);
      await this.opts.runtime.removePodSandbox(s.id);
    }
    if (this.opts.volumes) {
      for (const uid of await this.opts.volumes.podUids()) {
        if (this.entries.has(uid)) continue;
        this.opts.log(`removing the directory of unknown pod ${uid}`);
        await this.opts.volumes.tearDown(uid);
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.workers.stop();
    this.probes.stop();
  }

  // ---- the sync ----

  private markRemoved(uid: string): void {
    const e = this.entries.get(uid);
    if (!e) return;
    e.removed = true;
    const key = `${e.pod.metadata?.namespace ?? ''}/${e.pod.metadata?.name ?? ''}`;
    if (this.byKey.get(key) === uid) this.byKey.delete(key);
    this.workers.enqueue(uid);
  }

  private async sync(uid: string): Promise<void> {
    const e = this.entries.get(uid);
    if (!e || this.paused || this.abort.signal.aborted) return;
    this.trace.mark(uid, 'queue');
    const state = await readPodRuntimeState(this.opts.runtime, uid);
    if (e.removed) return this.forgetRemoved(e, state);
    const pod = this.statusWriter.current(e.pod);
    if (pod.metadata?.deletionTimestamp) return this.terminate(e, pod, state);
    if (isTerminalPhase(pod.status?.phase)) return this.settleTerminal(e, state);

    const now = this.opts.clock.now();
    const deadline = activeDeadline(pod);
    if (deadline !== undefined && !e.failure) {
      if (now >= deadline) {
        e.failure = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
        this.opts.event(pod, 'Normal', 'DeadlineExceeded', e.failure.message);
      } else this.workers.wakeAt(uid, deadline);
    }
    let after = state;
    this.trace.mark(uid, 'state');
    if (this.opts.volumes && !e.failure && !(await this.setUpVolumes(e, pod, state))) {
      await this.writeStatus(e, this.status(e, pod, state, false));
      return;
    }
    this.trace.mark(uid, 'volumes');
    if (e.failure) {
      if (await this.killContainers(pod, state, gracePeriod(pod))) after = await readPodRuntimeState(this.opts.runtime, uid);
    } else {
      const actions = computePodActions({
        pod,
        state,
        networkReady: this.networkReady,
        backoff: (name, failedAt) => this.restarts.remaining(uid, name, failedAt, now),
        unhealthy: this.probes.unhealthy(uid),
        failedProbe: (id) => this.probes.failedProbe?.(id),
      });
      if (await this.execute(e, pod, state, actions)) after = await readPodRuntimeState(this.opts.runtime, uid);
    }
    this.trace.mark(uid, 'state');

    const sandbox = latestSandbox(after);
    const running = after.containers.filter((c) => c.state === 'running' && c.sandboxId === sandbox?.id);
    this.probes.syncPod(pod, running.map((c) => ({ id: c.id, name: c.metadata.name, startedAt: c.startedAt ?? c.createdAt })), podIPs(pod, sandbox, this.opts.hostIP)[0]);
    const status = this.status(e, pod, after, false);
    if (isTerminalPhase(status.phase)) {
      // Done for good: the network goes (the IP stays in the status), probing stops.
      for (const s of after.sandboxes) if (s.state === 'ready') await this.opts.runtime.stopPodSandbox(s.id);
      this.probes.removePod(uid);
    }
    await this.writeStatus(e, status);
    this.trace.mark(uid, 'status');
    if (status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) this.trace.end(uid);
  }

  /** Sets up the pod's volumes; resolves false (FailedMount event, retry later) when one cannot be. */
  private async setUpVolumes(e: PodEntry, pod: Pod, state: PodRuntimeState): Promise<boolean> {
    try {
      e.volumes = await this.opts.volumes!.setUp(pod, podIPs(pod, latestSandbox(state), this.opts.hostIP));
      this.failures.reset(e.uid, 'mount');
      return true;
    } catch (err) {
      if (!(err instanceof VolumeSetUpError)) throw err;
      this.opts.event(pod, 'Warning', 'FailedMount', err.message);
      this.retryLater(e.uid, 'mount');
      return false;
    }
  }

  /** Carries out the actions; resolves whether the runtime state changed. */
  private async execute(e: PodEntry, pod: Pod, state: PodRuntimeState, actions: PodActions): Promise<boolean> {
    const { runtime, clock } = this.opts;
    const uid = e.uid;
    let changed = false;
    if (actions.killPod) {
      await this.killContainers(pod, state, gracePeriod(pod));
      for (const s of state.sandboxes) if (s.state === 'ready') await runtime.stopPodSandbox(s.id);
      changed = true;
    }
    if (actions.waitForNetwork) {
      if (!e.toldNetworkNotReady) {
        e.toldNetworkNotReady = true;
        this.opts.event(pod, 'Warning', 'NetworkNotReady', `network is not ready: ${this.networkMessage || 'no pod CIDR assigned to the node yet'}`);
      }
      return changed;
    }
    let sandboxId = actions.sandboxId;
    if (actions.createSandbox) {
      try {
        sandboxId = await runtime.runPodSandbox(sandboxConfig(pod, actions.sandboxAttempt, this.opts.dns));
        this.trace.mark(uid, 'sandbox');
        this.failures.reset(uid, 'sandbox');
        changed = true;
      } catch (err) {
        const msg = errorMessage(err);
        this.opts.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${msg}`);
        this.retryLater(uid, 'sandbox');
        return changed;
      }
    }
    for (const k of actions.kill) {
      this.opts.event(pod, 'Normal', 'Killing', k.message);
      const c = state.containers.find((x) => x.id === k.id);
      const grace = k.gracePeriodSeconds ?? gracePeriod(pod);
      if (c) await this.stopContainer(pod, c, latestSandbox(state), grace);
      else await runtime.stopContainer(k.id, grace);
      changed = true;
    }
    for (const id of actions.remove) {
      await runtime.removeContainer(id);
      changed = true;
    }
    const now = clock.now();
    for (const b of actions.backoff) {
      e.waiting.set(b.name, { reason: 'CrashLoopBackOff', message: `back-off ${formatGoDuration(b.delayMs)} restarting failed container=${b.name} pod=${formatPod(pod)}` });
      if (e.backoffAnnounced.get(b.name) !== b.exited.id) {
        e.backoffAnnounced.set(b.name, b.exited.id);
        this.opts.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${b.name} in pod ${formatPod(pod)}`);
      }
      this.workers.wakeAt(uid, now + b.remainingMs);
    }
    if (sandboxId) {
      for (const s of actions.start) if (await this.start(e, pod, sandboxId, s)) changed = true;
    }
    return changed;
  }

  /** Pulls, creates and starts one container; resolves whether a container was created. */
  private async start(e: PodEntry, pod: Pod, sandboxId: string, s: StartAction): Promise<boolean> {
    const { runtime, clock } = this.opts;
    const name = s.container.name;
    const failKey = `start:${name}`;
    let id: string | undefined;
    try {
      await this.puller.ensure(pod, s.container);
      this.trace.mark(e.uid, 'image');
      const sandbox = needsSandboxStatus(s.container) ? await runtime.podSandboxStatus(sandboxId) : undefined;
      const env = await resolveEnv(pod, s.container, {
        objects: this.opts.objects ?? NO_OBJECTS,
        hostIP: this.opts.hostIP,
        podIPs: podIPs(pod, sandbox, this.opts.hostIP),
        allocatable: this.opts.allocatable?.() ?? {},
        serviceEnv: this.opts.serviceEnv === true,
        warn: (reason, message) => this.opts.event(pod, 'Warning', reason, message),
      });
      const mounts = e.volumes ? await containerMounts(s.container, e.volumes, env) : undefined;
      this.trace.mark(e.uid, 'env');
      if (runtime.createAndStartContainer) {
        // one step where the runtime offers it (runc: no separate `runc start` from the kubelet)
        id = await runtime.createAndStartContainer(sandboxId, containerConfig(pod, s, { env, mounts }));
        this.trace.mark(e.uid, 'create+start');
        this.opts.event(pod, 'Normal', 'Created', `Created container ${name}`);
      } else {
        id = await runtime.createContainer(sandboxId, containerConfig(pod, s, { env, mounts }));
        this.trace.mark(e.uid, 'create');
        this.opts.event(pod, 'Normal', 'Created', `Created container ${name}`);
        await runtime.startContainer(id);
        this.trace.mark(e.uid, 'start');
      }
      this.opts.event(pod, 'Normal', 'Started', `Started container ${name}`);
      e.waiting.delete(name);
      this.failures.reset(e.uid, failKey);
      if (s.replaces) this.restarts.next(e.uid, name, s.replaces.finishedAt ?? clock.now());
      const postStart = s.container.lifecycle?.postStart;
      if (postStart) await this.postStart(pod, s.container, id, sandbox ?? (await runtime.podSandboxStatus(sandboxId)), postStart);
      return true;
    } catch (err) {
      const reason = err instanceof RuntimeError ? err.reason : id ? 'RunContainerError' : 'CreateContainerError';
      const message = errorMessage(err);
      e.waiting.set(name, { reason, message });
      if (!['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull'].includes(reason)) this.opts.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      if (id) await runtime.removeContainer(id);
      this.retryLater(e.uid, reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? `image:${s.container.image ?? ''}` : failKey);
      return id !== undefined;
    }
  }

  /** Runs the postStart hook; when it fails the container is killed (the restart policy decides what follows). */
  private async postStart(pod: Pod, container: Container, id: string, sandbox: PodSandboxStatus, handler: NonNullable<NonNullable<Container['lifecycle']>['postStart']>): Promise<void> {
    const ac = new AbortController();
    const timer = this.opts.clock.setTimeout(() => ac.abort(), gracePeriod(pod) * 1000);
    const stop = () => ac.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    try {
      const r = await runLifecycleHandler(handler, { pod, container, containerId: id, podIP: podIPs(pod, sandbox, this.opts.hostIP)[0] }, this.opts.runtime, ac.signal, this.opts.clock);
      if (r.ok) return;
      this.opts.event(pod, 'Warning', 'FailedPostStartHook', r.message);
      this.opts.event(pod, 'Normal', 'Killing', 'FailedPostStartHook');
      await this.opts.runtime.stopContainer(id, gracePeriod(pod));
    } finally {
      timer.cancel();
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  /**
   * Stops one container: its preStop hook first (when running and the grace period allows), bounded
   * by the grace period, then SIGTERM with what is left of it (at least 2 s), then SIGKILL.
   */
  private async stopContainer(pod: Pod, c: ContainerStatus, sandbox: PodSandboxStatus | undefined, grace: number): Promise<void> {
    const spec = containerSpec(pod, c.metadata.name);
    const preStop = spec?.lifecycle?.preStop;
    let remaining = grace;
    if (preStop && c.state === 'running' && grace > 0) {
      const started = this.opts.clock.now();
      const ac = new AbortController();
      const timer = this.opts.clock.setTimeout(() => ac.abort(), grace * 1000);
      try {
        const r = await runLifecycleHandler(preStop, { pod, container: spec, containerId: c.id, podIP: podIPs(pod, sandbox, this.opts.hostIP)[0] }, this.opts.runtime, ac.signal, this.opts.clock);
        if (!r.ok) this.opts.event(pod, 'Warning', 'FailedPreStopHook', r.message);
      } finally {
        timer.cancel();
      }
      const spent = Math.ceil((this.opts.clock.now() - started) / 1000);
      remaining = Math.max(MINIMUM_GRACE_AFTER_PRESTOP_SECONDS, grace - spent);
    }
    await this.opts.runtime.stopContainer(c.id, remaining);
  }

  /** Asks for another sync once the back-off of `key` runs out (recording one more failure unless it is an image pull, which the puller records). */
  private retryLater(uid: string, key: string): void {
    const now = this.opts.clock.now();
    if (!key.startsWith('image:')) this.failures.next(uid, key, now);
    const wait = this.failures.remainingSinceLast(uid, key, now);
    this.workers.wakeAt(uid, now + Math.max(1_000, wait));
  }

  /** Stops every running container of the pod (Killing events); resolves whether any was running. */
  private async killContainers(pod: Pod, state: PodRuntimeState, grace: number): Promise<boolean> {
    const live = state.containers.filter((c) => c.state === 'running' || c.state === 'created');
    const sandbox = latestSandbox(state);
    await Promise.all(
      live.map(async (c) => {
        if (c.state === 'running') this.opts.event(pod, 'Normal', 'Killing', `Stopping container ${c.metadata.name}`);
        await this.stopContainer(pod, c, sandbox, grace);
      }),
    );
    return live.length > 0;
  }

  private status(e: PodEntry, pod: Pod, state: PodRuntimeState, terminal: boolean): PodStatus {
    return computePodStatus({
      pod,
      state,
      runtimeName: this.runtimeName,
      hostIP: this.opts.hostIP,
      now: this.opts.clock.now(),
      waiting: e.waiting,
      isReady: (c) => this.probes.isReady(c.id),
      isStarted: (c) => this.probes.isStarted(c.id),
      terminal,
      failure: e.failure,
    });
  }

  private async writeStatus(e: PodEntry, status: PodStatus): Promise<void> {
    if (this.paused) return;
    const r = await this.statusWriter.write(e.pod, status, this.abort.signal);
    if (r === 'conflict') this.workers.wakeAt(e.uid, this.opts.clock.now() + CONFLICT_RETRY_MS);
  }

  /** deletionTimestamp set: stop everything within the grace period, post the final status, delete for good. */
  private async terminate(e: PodEntry, pod: Pod, state: PodRuntimeState): Promise<void> {
    if (e.deleted) return;
    const { runtime } = this.opts;
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? gracePeriod(pod);
    await this.killContainers(pod, state, grace);
    for (const s of state.sandboxes) if (s.state === 'ready') await runtime.stopPodSandbox(s.id);
    this.probes.removePod(e.uid);
    const after = await readPodRuntimeState(runtime, e.uid);
    if (this.paused) return;
    await this.statusWriter.write(e.pod, this.status(e, pod, after, true), this.abort.signal);
    const ns = pod.metadata?.namespace;
    const name = pod.metadata?.name ?? '';
    try {
      await this.opts.client.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: e.uid }, signal: this.abort.signal });
    } catch (err) {
      // NotFound: already gone; Conflict: the name now belongs to another pod. Either way this one is done.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    e.deleted = true;
    this.opts.log(`pod ${ns}/${name} (${e.uid}) terminated and deleted`);
  }

  /** Terminal phase in the API: make sure nothing runs and the network is released. */
  private async settleTerminal(e: PodEntry, state: PodRuntimeState): Promise<void> {
    await this.killContainers(e.pod, state, gracePeriod(e.pod));
    for (const s of state.sandboxes) if (s.state === 'ready') await this.opts.runtime.stopPodSandbox(s.id);
    this.probes.removePod(e.uid);
  }

  /** Gone from the API: stop and remove everything, then forget the pod. */
  private async forgetRemoved(e: PodEntry, state: PodRuntimeState): Promise<void> {
    const pod = e.pod;
    await this.killContainers(pod, state, pod.metadata?.deletionGracePeriodSeconds ?? gracePeriod(pod));
    for (const s of state.sandboxes) await this.opts.runtime.removePodSandbox(s.id);
    if (this.opts.volumes) await this.opts.volumes.tearDown(e.uid);
    this.probes.removePod(e.uid);
    this.restarts.forgetPod(e.uid);
    this.failures.forgetPod(e.uid);
    this.statusWriter.forget(e.uid);
    this.trace.forget(e.uid);
    this.entries.delete(e.uid);
    this.workers.forget(e.uid);
  }
}

/** Nothing exists (a lifecycle without a client reads no objects). */
const NO_OBJECTS: PodObjects = {
  configMap: async () => undefined,
  secret: async () => undefined,
  services: async () => [],
};

/** The pod's IPs: the node's for host-network pods, else the sandbox's (none before it has one). */
function podIPs(pod: Pod, sandbox: PodSandboxStatus | undefined, hostIP: string): string[] {
  if (pod.spec?.hostNetwork || sandbox?.hostNetwork) return [hostIP];
  if (sandbox?.ip) return [...(sandbox.ips ?? [sandbox.ip])];
  return [];
}

/** Whether the container's env reads the pod IP (then the sandbox is asked for it). */
function needsSandboxStatus(c: Container): boolean {
  return (c.env ?? []).some((v) => v.valueFrom?.fieldRef?.fieldPath.startsWith('status.pod') === true);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function gracePeriod(pod: Pod): number {
  return pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
}

/** When the pod's activeDeadlineSeconds run out (from status.startTime), if it has one. */
function activeDeadline(pod: Pod): number | undefined {
  const secs = pod.spec?.activeDeadlineSeconds;
  const start = pod.status?.startTime;
  if (secs === undefined || !start) return undefined;
  return Date.parse(start) + secs * 1000;
}

export function sandboxConfig(pod: Pod, attempt: number, dns?: ClusterDNSSettings): PodSandboxConfig {
  const m = pod.metadata ?? {};
  const ports: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      ports.push({ protocol: (p.protocol as PortMapping['protocol'] | undefined) ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
    }
  }
  return {
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', attempt },
    hostname: pod.spec?.hostname ?? m.name ?? '',
    labels: { ...(m.labels ?? {}), [LABEL_POD_NAME]: m.name ?? '', [LABEL_POD_NAMESPACE]: m.namespace ?? '', [LABEL_POD_UID]: m.uid ?? '' },
    annotations: { ...(m.annotations ?? {}) },
    hostNetwork: pod.spec?.hostNetwork === true,
    ...(ports.length ? { portMappings: ports } : {}),
    ...(dns ? { dnsConfig: podDNSConfig(pod, dns) } : {}),
  };
}

/**
 * The runtime's config of a container. `resolved.env`: the env as resolveEnv made it (then `$(VAR)`
 * in command and args is expanded with it); without it only literal `value`s are passed.
 * `resolved.mounts`: the volume mounts (real nodes).
 */
export function containerConfig(pod: Pod, s: StartAction, resolved: { env?: readonly KeyValue[]; mounts?: readonly Mount[] } = {}): ContainerConfig {
  const c: Container = s.container;
  const m = pod.metadata ?? {};
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const cpuLimitMilli = limits.cpu === undefined ? undefined : quantityToMilli(limits.cpu);
  const cpuRequestMilli = requests.cpu === undefined ? undefined : quantityToMilli(requests.cpu);
  const memoryLimitBytes = limits.memory === undefined ? undefined : quantityToNumber(limits.memory);
  return {
    metadata: { name: c.name, attempt: s.attempt },
    image: c.image ?? '',
    ...(c.command?.length ? { command: resolved.env ? expandCommand(c.command, resolved.env)! : [...c.command] } : {}),
    ...(c.args?.length ? { args: resolved.env ? expandCommand(c.args, resolved.env)! : [...c.args] } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    env: resolved.env ? [...resolved.env] : (c.env ?? []).filter((v) => v.value !== undefined).map((v) => ({ name: v.name, value: v.value ?? '' })),
    ...(resolved.mounts?.length ? { mounts: [...resolved.mounts] } : {}),
    resources: {
      ...(cpuLimitMilli !== undefined ? { cpuLimitMilli } : {}),
      ...(cpuRequestMilli !== undefined ? { cpuRequestMilli } : {}),
      ...(memoryLimitBytes !== undefined ? { memoryLimitBytes } : {}),
    },
    tty: c.tty === true,
    stdin: c.stdin === true,
    logPath: `${c.name}/${s.attempt}.log`,
    labels: { [LABEL_POD_NAME]: m.name ?? '', [LABEL_POD_NAMESPACE]: m.namespace ?? '', [LABEL_POD_UID]: m.uid ?? '', [LABEL_CONTAINER_NAME]: c.name, [LABEL_CONTAINER_TYPE]: s.type },
    annotations: {},
  };
}

/** `ac` with no limit on its signal's abort listeners (Node's MaxListenersExceededWarning counts concurrent calls, not a leak). */
function unlimitedListeners(ac: AbortController): AbortController {
  setMaxListeners(0, ac.signal);
  return ac;
}

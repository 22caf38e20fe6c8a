// A runtime without processes, for hollow nodes (as kwok does): sandboxes get an IP from the node's
// pod CIDR and containers "run" until stopped. A pod whose annotations say so ends its app
// containers by itself, which is how Jobs, crash loops and restarts are simulated:
//   skiff.io/simulate-exit-code: "C"     the exit code (0-255; default 0)
//   skiff.io/simulate-run-seconds: "S"   seconds after start (default 0)
// With neither annotation a container runs until stopped; with either, it exits with C after S
// seconds, on every attempt. Init containers (label skiff.io/container-type=init) complete at once
// with exit code 0. Stopping a container "kills" it at once: exit code 143 after a graceful stop
// (SIGTERM not handled), 137 when the timeout is 0 or the sandbox is stopped under it.
// Every state change is reported to onContainerEvent listeners, so the kubelet needs no polling.
// All state is in memory; time comes from the injected clock. snapshot() gives it as JSON-ready
// data and the `restore` option takes it back, so simulated containers outlive a graceful restart
// of the server as real ones outlive it under runc (the kubelet then adopts them).
import { createHash } from 'node:crypto';
import type {
  ContainerConfig,
  ContainerEvent,
  ContainerFilter,
  ContainerState,
  ContainerStatus,
  ImageInfo,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  Runtime,
  RuntimeClock,
  RuntimeStatus,
  RuntimeVersion,
  SandboxState,
} from '../runtime.js';
import { wallClock } from '../../api/wall-clock.js';
import { randomId } from '../random-id.js';
import { LABEL_CONTAINER_TYPE, NotFoundRuntimeError, RuntimeError } from '../runtime.js';
import { PodIPAllocator } from './pod-ip-allocator.js';

export const SIMULATE_EXIT_CODE_ANNOTATION = 'skiff.io/simulate-exit-code';
export const SIMULATE_RUN_SECONDS_ANNOTATION = 'skiff.io/simulate-run-seconds';

export const SIMULATED_RUNTIME_NAME = 'simulated';
export const SIMULATED_RUNTIME_VERSION = '0.1';

/** Exit code of a container stopped gracefully (128 + SIGTERM) and of one killed (128 + SIGKILL). */
export const EXIT_CODE_SIGTERM = 143;
export const EXIT_CODE_SIGKILL = 137;

/** Date.now, and timers that never fire before their time by it (api/wall-clock.ts). */
const realTimers: RuntimeClock = wallClock;

export interface SimulatedRuntimeOptions {
  /** default: Date.now and node timers */
  readonly clock?: RuntimeClock;
  /** the node's pod CIDR when already known; later through updateRuntimeConfig */
  readonly podCIDR?: string;
  /** id generator; default 64 random hex digits */
  readonly newId?: () => string;
  /** sandboxes and containers to start with: an earlier runtime's snapshot() */
  readonly restore?: SimulatedRuntimeState;
}

/** What a simulated runtime holds, as plain data (snapshot(), the `restore` option). */
export interface SimulatedRuntimeState {
  readonly podCIDR?: string;
  readonly sandboxes: readonly SavedSandbox[];
  readonly containers: readonly SavedContainer[];
}

interface SavedSandbox {
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly createdAt: number;
  readonly state: SandboxState;
  readonly ip?: string;
}

interface SavedContainer {
  readonly id: string;
  readonly sandboxId: string;
  readonly config: ContainerConfig;
  readonly type: string;
  readonly exit?: SimulatedExit;
  readonly imageRef: string;
  readonly createdAt: number;
  readonly state: ContainerState;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly exitCode?: number;
  readonly reason?: string;
}

/** When (after start) and how an app container of this pod ends by itself; undefined: it runs until stopped. */
export interface SimulatedExit {
  readonly exitCode: number;
  readonly afterMs: number;
}

/**
 * Reads the simulate-* annotations. Throws a RuntimeError (reason CreateContainerError) saying
 * what was expected when a value is malformed.
 */
export function simulatedExit(annotations: Readonly<Record<string, string>>): SimulatedExit | undefined {
  const code = annotations[SIMULATE_EXIT_CODE_ANNOTATION];
  const secs = annotations[SIMULATE_RUN_SECONDS_ANNOTATION];
  if (code === undefined && secs === undefined) return undefined;
  const exitCode = code === undefined ? 0 : Number(code);
  if (!/^\s*\d+\s*$/.test(code ?? '0') || !Number.isInteger(exitCode) || exitCode > 255) {
    throw new RuntimeError('CreateContainerError', `annotation ${SIMULATE_EXIT_CODE_ANNOTATION}: expected an integer from 0 to 255, got "${code}"`);
  }
  const seconds = secs === undefined ? 0 : Number(secs);
  if (secs !== undefined && (secs.trim() === '' || !Number.isFinite(seconds) || seconds < 0)) {
    throw new RuntimeError('CreateContainerError', `annotation ${SIMULATE_RUN_SECONDS_ANNOTATION}: expected a non-negative number of seconds, got "${secs}"`);
  }
  return { exitCode, afterMs: Math.round(seconds * 1000) };
}

interface Sandbox {
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly createdAt: number;
  state: SandboxState;
  ip?: string;
  readonly containers: Set<string>;
}

interface Container {
  readonly id: string;
  readonly sandboxId: string;
  readonly config: ContainerConfig;
  readonly type: string;
  readonly exit: SimulatedExit | undefined;
  readonly imageRef: string;
  readonly createdAt: number;
  state: ContainerState;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  timer?: { cancel(): void };
}

export class SimulatedRuntime implements Runtime {
  private readonly clock: RuntimeClock;
  private readonly newId: () => string;
  private allocator?: PodIPAllocator;
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly containers = new Map<string, Container>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private closed = false;

  constructor(opts: SimulatedRuntimeOptions = {}) {
    this.clock = opts.clock ?? realTimers;
    this.newId = opts.newId ?? randomId;
    const cidr = opts.podCIDR ?? opts.restore?.podCIDR;
    if (cidr) this.allocator = new PodIPAllocator(cidr);
    if (opts.restore) this.restore(opts.restore);
  }

  /**
   * Everything this runtime holds, as plain data: what the `restore` option of a new runtime
   * takes to go on where this one stopped (the containers' times included).
   */
  snapshot(): SimulatedRuntimeState {
    return {
      ...(this.allocator ? { podCIDR: this.allocator.cidr } : {}),
      sandboxes: [...this.sandboxes.values()].map((s) => ({ id: s.id, config: s.config, createdAt: s.createdAt, state: s.state, ...(s.ip ? { ip: s.ip } : {}) })),
      containers: [...this.containers.values()].map(({ timer: _timer, ...c }) => c),
    };
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: SIMULATED_RUNTIME_NAME, runtimeVersion: SIMULATED_RUNTIME_VERSION };
  }

  async status(): Promise<RuntimeStatus> {
    return {
      conditions: [
        { type: 'RuntimeReady', status: true },
        this.allocator
          ? { type: 'NetworkReady', status: true }
          : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'no pod CIDR assigned to the node yet' },
      ],
    };
  }

  async updateRuntimeConfig(config: { readonly podCIDR?: string }): Promise<void> {
    if (!config.podCIDR || config.podCIDR === this.allocator?.cidr) return;
    const next = new PodIPAllocator(config.podCIDR);
    // IPs handed out from the old CIDR stay with their sandboxes; those inside the new one stay taken
    for (const s of this.sandboxes.values()) if (s.ip) next.reserve(s.ip);
    this.allocator = next;
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.checkOpen();
    let ip: string | undefined;
    if (!config.hostNetwork) {
      if (!this.allocator) throw new RuntimeError('NetworkNotReady', 'network is not ready: no pod CIDR assigned to the node yet');
      ip = this.allocator.allocate();
      if (!ip) throw new RuntimeError('FailedCreatePodSandBox', `failed to allocate a pod IP: every address of ${this.allocator.cidr} is in use`);
    }
    const id = this.newId();
    this.sandboxes.set(id, { id, config: copySandboxConfig(config), createdAt: this.clock.now(), state: 'ready', ip, containers: new Set() });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    for (const cid of s.containers) this.exit(this.containers.get(cid)!, EXIT_CODE_SIGKILL);
    if (s.ip) this.allocator?.release(s.ip);
    s.ip = undefined;
    s.state = 'notready';
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.stopPodSandbox(id);
    for (const cid of [...s.containers]) await this.removeContainer(cid);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandboxes.get(id);
    if (!s) throw new NotFoundRuntimeError('sandbox', id);
    return sandboxStatus(s);
  }

  async listPodSandboxes(filter: PodSandboxFilter = {}): Promise<PodSandboxStatus[]> {
    const out: PodSandboxStatus[] = [];
    const pick = filter.id !== undefined ? [this.sandboxes.get(filter.id)] : this.sandboxes.values();
    for (const s of pick) {
      if (!s) continue;
      if (filter.podUid !== undefined && s.config.metadata.uid !== filter.podUid) continue;
      if (filter.state !== undefined && s.state !== filter.state) continue;
      out.push(sandboxStatus(s));
    }
    return out;
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    this.checkOpen();
    const s = this.sandboxes.get(sandboxId);
    if (!s) throw new NotFoundRuntimeError('sandbox', sandboxId);
    if (s.state !== 'ready') throw new RuntimeError('CreateContainerError', `sandbox ${sandboxId} is not ready`);
    const type = config.labels[LABEL_CONTAINER_TYPE] ?? 'app';
    const exit = type === 'init' ? { exitCode: 0, afterMs: 0 } : simulatedExit(s.config.annotations);
    const id = this.newId();
    const now = this.clock.now();
    this.containers.set(id, { id, sandboxId, config: copyContainerConfig(config), type, exit, imageRef: imageId(config.image), createdAt: now, state: 'created' });
    s.containers.add(id);
    this.emit('created', id, s, now);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.checkOpen();
    const c = this.containers.get(id);
    if (!c) throw new NotFoundRuntimeError('container', id);
    if (c.state !== 'created') throw new RuntimeError('RunContainerError', `container ${id} is ${c.state}, not created`);
    const s = this.sandboxes.get(c.sandboxId)!;
    if (s.state !== 'ready') throw new RuntimeError('RunContainerError', `sandbox ${c.sandboxId} is not ready`);
    const now = this.clock.now();
    c.state = 'running';
    c.startedAt = now;
    const exit = c.exit;
    if (exit) c.timer = this.clock.setTimeout(() => this.exit(c, exit.exitCode), exit.afterMs);
    this.emit('started', id, s, now);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.exit(c, timeoutSeconds > 0 ? EXIT_CODE_SIGTERM : EXIT_CODE_SIGKILL);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.exit(c, EXIT_CODE_SIGKILL);
    this.containers.delete(id);
    const s = this.sandboxes.get(c.sandboxId);
    s?.containers.delete(id);
    if (s) this.emit('removed', id, s, this.clock.now());
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundRuntimeError('container', id);
    return this.containerStatusOf(c);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    let pick: Iterable<Container | undefined>;
    if (filter.id !== undefined) pick = [this.containers.get(filter.id)];
    else if (filter.sandboxId !== undefined) pick = [...(this.sandboxes.get(filter.sandboxId)?.containers ?? [])].map((id) => this.containers.get(id));
    else if (filter.podUid !== undefined) pick = this.containersOfPod(filter.podUid);
    else pick = this.containers.values();
    const out: ContainerStatus[] = [];
    for (const c of pick) {
      if (!c) continue;
      if (filter.sandboxId !== undefined && c.sandboxId !== filter.sandboxId) continue;
      if (filter.podUid !== undefined && this.sandboxes.get(c.sandboxId)?.config.metadata.uid !== filter.podUid) continue;
      if (filter.state !== undefined && c.state !== filter.state) continue;
      out.push(this.containerStatusOf(c));
    }
    return out;
  }

  // ---- images: every image is present on a simulated node ----

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    return { id: imageId(image), repoTags: [image], repoDigests: [], size: 0 };
  }

  async pullImage(image: string): Promise<string> {
    return imageId(image);
  }

  onContainerEvent(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Cancels every pending exit timer; later create/start calls reject. State stays readable. */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.containers.values()) c.timer?.cancel();
    this.listeners.clear();
  }

  /** Sandboxes and containers held (for tests and benchmarks). */
  counts(): { sandboxes: number; containers: number; ips: number } {
    return { sandboxes: this.sandboxes.size, containers: this.containers.size, ips: this.allocator?.allocated ?? 0 };
  }

  // ---- internals ----

  /** Takes a snapshot's sandboxes and containers; a running container that ends by itself ends when it would have. */
  private restore(state: SimulatedRuntimeState): void {
    for (const s of state.sandboxes) {
      // an IP of another CIDR stays with its sandbox, as after updateRuntimeConfig
      if (s.ip) this.allocator?.reserve(s.ip);
      this.sandboxes.set(s.id, { id: s.id, config: copySandboxConfig(s.config), createdAt: s.createdAt, state: s.state, ip: s.ip, containers: new Set() });
    }
    const now = this.clock.now();
    for (const saved of state.containers) {
      const sandbox = this.sandboxes.get(saved.sandboxId);
      if (!sandbox) continue;
      const c: Container = { ...saved, exit: saved.exit, config: copyContainerConfig(saved.config) };
      this.containers.set(c.id, c);
      sandbox.containers.add(c.id);
      const exit = c.exit;
      if (c.state !== 'running' || !exit) continue;
      const due = (c.startedAt ?? now) + exit.afterMs;
      // ended while the server was down: at the time it was due
      if (due <= now) this.exit(c, exit.exitCode, due);
      else c.timer = this.clock.setTimeout(() => this.exit(c, exit.exitCode), due - now);
    }
  }

  private *containersOfPod(podUid: string): Iterable<Container | undefined> {
    for (const s of this.sandboxes.values()) {
      if (s.config.metadata.uid !== podUid) continue;
      for (const id of s.containers) yield this.containers.get(id);
    }
  }

  private exit(c: Container, exitCode: number, at?: number): void {
    c.timer?.cancel();
    c.timer = undefined;
    if (c.state === 'exited') return;
    const now = at ?? this.clock.now();
    c.state = 'exited';
    c.finishedAt = now;
    c.exitCode = exitCode;
    c.reason = exitCode === 0 ? 'Completed' : 'Error';
    const s = this.sandboxes.get(c.sandboxId);
    if (s) this.emit('exited', c.id, s, now);
  }

  private emit(type: ContainerEvent['type'], containerId: string, s: Sandbox, at: number): void {
    const e: ContainerEvent = { type, containerId, sandboxId: s.id, podUid: s.config.metadata.uid, at };
    for (const l of this.listeners) l(e);
  }

  private checkOpen(): void {
    if (this.closed) throw new RuntimeError('RuntimeClosed', 'the simulated runtime is closed');
  }

  private containerStatusOf(c: Container): ContainerStatus {
    const s = this.sandboxes.get(c.sandboxId);
    return {
      id: c.id,
      sandboxId: c.sandboxId,
      podUid: s?.config.metadata.uid ?? '',
      metadata: { ...c.config.metadata },
      state: c.state,
      createdAt: c.createdAt,
      ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt !== undefined ? { finishedAt: c.finishedAt, exitCode: c.exitCode, reason: c.reason } : {}),
      image: c.config.image,
      imageRef: c.imageRef,
      labels: { ...c.config.labels },
      annotations: { ...c.config.annotations },
    };
  }
}

function sandboxStatus(s: Sandbox): PodSandboxStatus {
  return {
    id: s.id,
    metadata: { ...s.config.metadata },
    state: s.state,
    createdAt: s.createdAt,
    ...(s.ip ? { ip: s.ip, ips: [s.ip] } : {}),
    hostNetwork: s.config.hostNetwork === true,
    labels: { ...s.config.labels },
    annotations: { ...s.config.annotations },
  };
}

// The runtime keeps what it is given, copied as deep as the kubelet's configs go (a structured
// clone of every config costs more than the rest of a simulated container's life).
function copySandboxConfig(c: PodSandboxConfig): PodSandboxConfig {
  return { ...c, metadata: { ...c.metadata }, labels: { ...c.labels }, annotations: { ...c.annotations }, ...(c.portMappings ? { portMappings: c.portMappings.map((p) => ({ ...p })) } : {}) };
}

function copyContainerConfig(c: ContainerConfig): ContainerConfig {
  return {
    ...c,
    metadata: { ...c.metadata },
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    ...(c.env ? { env: c.env.map((e) => ({ ...e })) } : {}),
    ...(c.mounts ? { mounts: c.mounts.map((m) => ({ ...m })) } : {}),
    ...(c.resources ? { resources: { ...c.resources } } : {}),
    labels: { ...c.labels },
    annotations: { ...c.annotations },
  };
}

const imageIds = new Map<string, string>();

/** A stable fake content id per image name (memoized: the same few images recur across thousands of pods). */
function imageId(image: string): string {
  let id = imageIds.get(image);
  if (!id) {
    id = `sha256:${createHash('sha256').update(image).digest('hex')}`;
    if (imageIds.size > 4096) imageIds.clear();
    imageIds.set(image, id);
  }
  return id;
}

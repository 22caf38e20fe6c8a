// The scheduler component: informer events feed the cache and the queue; a loop pops pods,
// runs schedulePod on the cache's snapshot, assumes the pod on the chosen node and binds it in
// the background (many bindings in flight at once, as kube-scheduler's binding cycles), while
// failures go back to the queue and are reported on the pod.
//
// The component knows the cluster only through the handlers below and a SchedulerBinder, so
// it can be wired to any client (in-process or HTTP).
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.js';
import { SchedulerCache } from './cache.js';
import type { ClusterSource, CycleState } from './framework.js';
import { ASSIGNED_POD_ADD, ASSIGNED_POD_DELETE, ASSIGNED_POD_UPDATE, NODE_ADD, NODE_DELETE, NODE_UPDATE } from './framework.js';
import { podInfoOf } from './pod-info.js';
import type { PodInfo } from './pod-info.js';
import type { Profile, ProfileConfig } from './profile.js';
import { newProfile } from './profile.js';
import { schedulePod } from './scheduler-core.js';
import type { QueuedPodInfo } from './scheduling-queue.js';
import { SchedulingQueue } from './scheduling-queue.js';

/** How the scheduler acts on the cluster; the owner wires it to a client. */
export interface SchedulerBinder {
  /**
   * Binds the pod (`POST /api/v1/namespaces/{ns}/pods/{name}/binding` with target node
   * `nodeName`) and records the `Scheduled` event ("Successfully assigned ns/name to node").
   * Rejects on failure, with an ApiError when the API refused (NotFound: the pod is gone).
   */
  bind(pod: Pod, nodeName: string): Promise<void>;
  /**
   * Records a failed attempt: sets the PodScheduled condition to False with `reason` and
   * `message` (status subresource) and records a `FailedScheduling` Warning event. Best effort:
   * a rejection is logged and otherwise ignored.
   */
  reportFailure(pod: Pod, failure: SchedulingFailure): Promise<void>;
}

export interface SchedulingFailure {
  /** PodScheduled reason: `Unschedulable` when no node fits, `SchedulerError` otherwise */
  readonly reason: 'Unschedulable' | 'SchedulerError';
  /** e.g. `0/3 nodes are available: 3 Insufficient cpu.` */
  readonly message: string;
}

export interface SchedulerOptions {
  readonly binder: SchedulerBinder;
  readonly cluster?: ClusterSource;
  readonly profile?: ProfileConfig;
  /** milliseconds; default Date.now */
  readonly clock?: () => number;
  /** uniform in [0, 1); default Math.random */
  readonly random?: () => number;
  /** one line per event, `scheduler: ...`; default none */
  readonly log?: (line: string) => void;
  /** 2 and above also logs every successful binding */
  readonly verbosity?: number;
  /** bindings allowed in flight before the loop waits; default 512 */
  readonly maxInFlightBinds?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxUnschedulableMs?: number;
  /** how often backoff and unschedulable pods are flushed; default 1000 ms */
  readonly flushIntervalMs?: number;
}

/** Pods scheduled per turn of the loop before it yields to I/O (informer events, bindings). */
const BATCH = 64;

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function podName(p: PodInfo): string {
  return `${p.namespace}/${p.name}`;
}

/** Whether a node change can matter to scheduling (heartbeats and conditions cannot). */
export function nodeChangeMatters(oldNode: Node, newNode: Node): boolean {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return (
    !same(oldNode.metadata?.labels, newNode.metadata?.labels) ||
    !same(oldNode.spec?.taints, newNode.spec?.taints) ||
    (oldNode.spec?.unschedulable ?? false) !== (newNode.spec?.unschedulable ?? false) ||
    !same(oldNode.status?.allocatable, newNode.status?.allocatable) ||
    !same(oldNode.status?.images, newNode.status?.images)
  );
}

/** Whether a bound pod's change can matter to other pods: labels or requests. */
function assignedPodChangeMatters(oldPod: Pod, newPod: Pod): boolean {
  if (JSON.stringify(oldPod.metadata?.labels ?? {}) !== JSON.stringify(newPod.metadata?.labels ?? {})) return true;
  const req = (p: Pod): string => JSON.stringify([p.spec?.containers?.map((c) => c.resources?.requests), p.spec?.initContainers?.map((c) => c.resources?.requests)]);
  return req(oldPod) !== req(newPod);
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly profile: Profile;
  private readonly binder: SchedulerBinder;
  private readonly log: (line: string) => void;
  private readonly verbosity: number;
  private readonly maxInFlightBinds: number;
  private readonly flushIntervalMs: number;
  private readonly binds = new Set<Promise<void>>();
  private bindSlotWaiters: (() => void)[] = [];
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  /** Throws Error on a bad profile (unknown plugin, bad args). */
  constructor(options: SchedulerOptions) {
    this.binder = options.binder;
    this.log = options.log ?? (() => {});
    this.verbosity = options.verbosity ?? 0;
    this.maxInFlightBinds = options.maxInFlightBinds ?? 512;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.profile = newProfile(options.profile, { cluster: options.cluster, random: options.random });
    this.queue = new SchedulingQueue({
      clock: options.clock,
      initialBackoffMs: options.initialBackoffMs,
      maxBackoffMs: options.maxBackoffMs,
      maxUnschedulableMs: options.maxUnschedulableMs,
      pluginEvents: (plugin) => this.profile.eventsOf(plugin),
    });
  }

  // ---- informer handlers ------------------------------------------------------------------------

  onNodeAdd(node: Node): void {
    this.cache.setNode(node);
    this.queue.onEvent(NODE_ADD);
  }

  /** `oldNode` may be undefined (a resync); unchanged scheduling-relevant fields are ignored. */
  onNodeUpdate(oldNode: Node | undefined, node: Node): void {
    if (oldNode && !nodeChangeMatters(oldNode, node)) return;
    this.cache.setNode(node);
    this.queue.onEvent(NODE_UPDATE);
  }

  onNodeDelete(node: Node): void {
    this.cache.removeNode(node.metadata?.name ?? '');
    this.queue.onEvent(NODE_DELETE);
  }

  onPodAdd(pod: Pod): void {
    this.onPodUpdate(undefined, pod);
  }

  /** Routes a pod version: bound pods to the cache, this profile's pending pods to the queue. */
  onPodUpdate(oldPod: Pod | undefined, pod: Pod): void {
    const wasBound = oldPod?.spec?.nodeName !== undefined && oldPod.spec.nodeName !== '' && !isTerminal(oldPod);
    if (pod.spec?.nodeName) {
      this.queue.delete(pod);
      if (isTerminal(pod)) {
        this.cache.removePod(pod);
        if (wasBound) this.queue.onEvent(ASSIGNED_POD_DELETE);
        return;
      }
      this.cache.setPod(pod);
      if (!wasBound) this.queue.onEvent(ASSIGNED_POD_ADD);
      else if (assignedPodChangeMatters(oldPod!, pod)) this.queue.onEvent(ASSIGNED_POD_UPDATE);
      return;
    }
    if (isTerminal(pod) || pod.metadata?.deletionTimestamp || (pod.spec?.schedulerName ?? 'default-scheduler') !== this.profile.schedulerName) {
      this.queue.delete(pod);
      return;
    }
    if (oldPod) this.queue.update(pod);
    else this.queue.add(pod);
  }

  onPodDelete(pod: Pod): void {
    this.queue.delete(pod);
    const key = podInfoOf(pod).key;
    if (this.cache.nodeOf(key) !== undefined) {
      this.cache.removePod(pod);
      this.queue.onEvent(ASSIGNED_POD_DELETE);
    }
  }

  // ---- the scheduling loop ------------------------------------------------------------------------

  /** Starts the loop and the flush timer; stop() ends them. Idempotent. */
  start(signal?: AbortSignal): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.flushTimer = setInterval(() => this.queue.flush(), this.flushIntervalMs);
    this.loop = this.run(abort.signal);
  }

  /** Stops scheduling and waits for bindings in flight. */
  async stop(): Promise<void> {
    if (!this.abort) return;
    this.abort.abort();
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    this.releaseBindSlot();
    await this.loop;
    await this.whenBindsDone();
    this.abort = undefined;
  }

  /** Resolves when no binding is in flight (for tests and orderly shutdown). */
  async whenBindsDone(): Promise<void> {
    while (this.binds.size > 0) await Promise.allSettled([...this.binds]);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.queue.waitForPod(signal);
      if (signal.aborted) return;
      if (this.binds.size >= this.maxInFlightBinds) {
        await new Promise<void>((resolve) => this.bindSlotWaiters.push(resolve));
        continue;
      }
      for (let n = 0; n < BATCH && this.binds.size < this.maxInFlightBinds && !signal.aborted; n++) {
        if (!this.scheduleOne()) break;
      }
      await yieldToEventLoop();
    }
  }

  /**
   * Schedules the next pod of activeQ, synchronously up to the binding (which continues in the
   * background). Returns false when activeQ is empty.
   */
  scheduleOne(): boolean {
    const qp = this.queue.pop();
    if (!qp) return false;
    const cycle = this.queue.schedulingCycle;
    const pod = qp.podInfo;
    if (pod.terminating || this.cache.nodeOf(pod.key) !== undefined) {
      // Being deleted, or already assumed/bound: nothing to do.
      this.queue.done(pod.key);
      return true;
    }
    const result = schedulePod(pod, this.cache.snapshot, this.profile);
    if ('error' in result) {
      this.fail(qp, cycle, { error: true }, { reason: 'SchedulerError', message: result.error.message });
      return true;
    }
    if ('failure' in result) {
      const { message, diagnosis } = result.failure;
      this.fail(qp, cycle, { unschedulablePlugins: diagnosis.unschedulablePlugins }, { reason: 'Unschedulable', message });
      return true;
    }
    const { node, state } = result;
    this.cache.assumePod(pod, node);
    for (let i = 0; i < this.profile.reserve.length; i++) {
      const st = this.profile.reserve[i]!.reserve(state, pod, node);
      if (st.code === 'Success') continue;
      for (let j = i; j >= 0; j--) this.profile.reserve[j]!.unreserve(state, pod, node);
      this.cache.forgetPod(pod.key);
      const rejected = st.code === 'Unschedulable' || st.code === 'UnschedulableAndUnresolvable';
      const plugins = new Set([this.profile.reserve[i]!.name]);
      this.fail(qp, cycle, rejected ? { unschedulablePlugins: plugins } : { error: true }, { reason: rejected ? 'Unschedulable' : 'SchedulerError', message: st.message() });
      return true;
    }
    this.startBinding(qp, cycle, node, state);
    return true;
  }

  private startBinding(qp: QueuedPodInfo, cycle: number, node: string, state: CycleState): void {
    const pod = qp.podInfo;
    const binding = this.bind(state, pod, node).then(
      () => {
        this.cache.finishBinding(pod.key);
        this.queue.done(pod.key);
        if (this.verbosity >= 2) this.log(`scheduler: bound pod=${podName(pod)} node=${node} attempts=${qp.attempts}`);
      },
      (e: unknown) => {
        for (let j = this.profile.reserve.length - 1; j >= 0; j--) this.profile.reserve[j]!.unreserve(state, pod, node);
        this.cache.forgetPod(pod.key);
        // The assumed pod's resources are free again.
        this.queue.onEvent(ASSIGNED_POD_DELETE);
        const message = e instanceof Error ? e.message : String(e);
        if (isNotFound(e)) {
          this.queue.done(pod.key);
          this.log(`scheduler: pod=${podName(pod)} is gone, not bound: ${message}`);
          return;
        }
        this.fail(qp, cycle, { error: true }, { reason: 'SchedulerError', message: `Binding rejected: ${message}` });
      },
    );
    const tracked = binding.finally(() => {
      this.binds.delete(tracked);
      this.releaseBindSlot();
    });
    this.binds.add(tracked);
  }

  /** The profile's Bind plugins in order (Skip passes to the next), then the binder. */
  private async bind(state: CycleState, pod: PodInfo, node: string): Promise<void> {
    for (const p of this.profile.bind) {
      const st = await p.bind(state, pod, node);
      if (st.code === 'Skip') continue;
      if (st.code === 'Success') return;
      throw st.error ?? new Error(`${p.name}: ${st.message()}`);
    }
    await this.binder.bind(pod.pod, node);
  }

  private fail(qp: QueuedPodInfo, cycle: number, outcome: { error?: boolean; unschedulablePlugins?: ReadonlySet<string> }, failure: SchedulingFailure): void {
    this.queue.requeue(qp, cycle, outcome);
    const pod = qp.podInfo;
    this.log(`scheduler: pod=${podName(pod)} reason=${failure.reason} attempts=${qp.attempts} message=${JSON.stringify(failure.message)}`);
    this.binder.reportFailure(pod.pod, failure).catch((e: unknown) => {
      this.log(`scheduler: reporting failure of pod=${podName(pod)}: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private releaseBindSlot(): void {
    const waiters = this.bindSlotWaiters;
    this.bindSlotWaiters = [];
    for (const w of waiters) w();
  }
}

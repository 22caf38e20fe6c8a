// The scheduling queue, as kube-scheduler's: pods waiting to be scheduled sit in one of
//   activeQ        ready now, ordered by priority (spec.priority, higher first), then by the time
//                  they entered the queue (earlier first);
//   backoffQ       failed recently, waiting out a per-pod backoff (1 s doubling to 10 s by attempts);
//   unschedulable  rejected by some plugins; they move back when a cluster event that could help
//                  them happens (node added, pod deleted, ...) or after maxUnschedulableMs;
//   gated          carrying spec.schedulingGates; they wait until an update removes the gates.
// Time comes from an injected clock; `flush()` does the periodic work (the owner calls it every
// second or so), so tests drive the queue without sleeping.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ClusterEvent } from './framework.js';
import { Heap } from './heap.js';
import { podInfoOf } from './pod-info.js';
import type { PodInfo } from './pod-info.js';

export const DEFAULT_INITIAL_BACKOFF_MS = 1_000;
export const DEFAULT_MAX_BACKOFF_MS = 10_000;
/** how long a pod may stay unschedulable without any helpful event before it is retried */
export const DEFAULT_MAX_UNSCHEDULABLE_MS = 60_000;

/** A pod in the queue and its scheduling history. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** when the pod last entered the queue (clock ms) */
  timestamp: number;
  /** scheduling attempts so far */
  attempts: number;
  /** when the pod was first popped, for latency metrics */
  initialAttemptTimestamp: number | undefined;
  /** plugins that rejected the pod in its last attempt; empty: any event may help */
  unschedulablePlugins: ReadonlySet<string>;
}

export interface SchedulingQueueOptions {
  /** milliseconds; default Date.now */
  readonly clock?: () => number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxUnschedulableMs?: number;
  /**
   * The cluster events that may help a pod rejected by `plugin` (Profile.eventsOf); undefined:
   * any event may. Default: any event may help any pod.
   */
  readonly pluginEvents?: (plugin: string) => readonly ClusterEvent[] | undefined;
}

export interface PendingPods {
  readonly active: number;
  readonly backoff: number;
  readonly unschedulable: number;
  readonly gated: number;
}

function isGated(pod: Pod): boolean {
  return (pod.spec?.schedulingGates?.length ?? 0) > 0;
}

/** Whether an update may change a scheduling decision: anything but status and bookkeeping. */
function specChanged(oldPod: Pod, newPod: Pod): boolean {
  const strip = (p: Pod): unknown => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p.metadata ?? {};
    return { ...p, metadata: meta, status: undefined };
  };
  return JSON.stringify(strip(oldPod)) !== JSON.stringify(strip(newPod));
}

function sameEvent(a: ClusterEvent, b: ClusterEvent): boolean {
  return a.resource === b.resource && a.action === b.action;
}

export class SchedulingQueue {
  private readonly clock: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly pluginEvents: ((plugin: string) => readonly ClusterEvent[] | undefined) | undefined;
  private readonly activeQ = new Heap<QueuedPodInfo>(
    (q) => q.podInfo.key,
    (a, b) => a.podInfo.priority > b.podInfo.priority || (a.podInfo.priority === b.podInfo.priority && a.timestamp < b.timestamp),
  );
  private readonly backoffQ = new Heap<QueuedPodInfo>(
    (q) => q.podInfo.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly gated = new Map<string, QueuedPodInfo>();
  /** popped and being scheduled (or bound); the latest pod object for each */
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  /** pods deleted while in flight: their failed attempt is not requeued */
  private readonly deletedInFlight = new Set<string>();
  private cycle = 0;
  /** the scheduling cycle during which the last cluster event arrived */
  private moveRequestCycle = -1;
  private waiters: (() => void)[] = [];

  constructor(options: SchedulingQueueOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.initialBackoffMs = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? DEFAULT_MAX_UNSCHEDULABLE_MS;
    this.pluginEvents = options.pluginEvents;
  }

  /** Incremented by every pop; pass the value seen at pop time to requeue(). */
  get schedulingCycle(): number {
    return this.cycle;
  }

  /** Adds a new pending pod (informer add of an unassigned pod); an already known pod is updated. */
  add(pod: Pod): void {
    const key = podInfoOf(pod).key;
    if (this.known(key)) {
      this.update(pod);
      return;
    }
    const qp: QueuedPodInfo = { podInfo: podInfoOf(pod), timestamp: this.clock(), attempts: 0, initialAttemptTimestamp: undefined, unschedulablePlugins: new Set() };
    if (isGated(pod)) this.gated.set(key, qp);
    else this.activate(qp);
  }

  /** A pending pod changed. Ungated pods become active; a relevant change revives an unschedulable pod. */
  update(pod: Pod): void {
    const info = podInfoOf(pod);
    const key = info.key;
    const flying = this.inFlight.get(key);
    if (flying) {
      flying.podInfo = info;
      return;
    }
    const active = this.activeQ.get(key) ?? this.backoffQ.get(key);
    if (active) {
      active.podInfo = info;
      if (this.activeQ.has(key)) this.activeQ.push(active);
      else this.backoffQ.push(active);
      return;
    }
    const gated = this.gated.get(key);
    if (gated) {
      gated.podInfo = info;
      if (!isGated(pod)) {
        this.gated.delete(key);
        gated.timestamp = this.clock();
        this.activate(gated);
      }
      return;
    }
    const waiting = this.unschedulable.get(key);
    if (waiting) {
      const changed = specChanged(waiting.podInfo.pod, pod);
      waiting.podInfo = info;
      if (changed) {
        this.unschedulable.delete(key);
        this.requeueReady(waiting);
      }
      return;
    }
    this.add(pod);
  }

  /** Forgets a pod (deleted, or bound by someone else). */
  delete(pod: Pod): void {
    const key = podInfoOf(pod).key;
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.gated.delete(key);
    if (this.inFlight.has(key)) this.deletedInFlight.add(key);
  }

  /** The next pod to schedule, or undefined when activeQ is empty. */
  pop(): QueuedPodInfo | undefined {
    const qp = this.activeQ.pop();
    if (!qp) return undefined;
    this.cycle++;
    qp.attempts++;
    qp.initialAttemptTimestamp ??= this.clock();
    this.inFlight.set(qp.podInfo.key, qp);
    return qp;
  }

  /** The popped pod was scheduled (or given up on): it leaves the queue. */
  done(key: string): void {
    this.inFlight.delete(key);
    this.deletedInFlight.delete(key);
  }

  /**
   * Returns a popped pod after a failed attempt. An `error` (not a rejection) retries after
   * backoff. A rejection parks the pod as unschedulable, unless a cluster event arrived since it
   * was popped (`podSchedulingCycle`): then it retries after backoff, since that event was not
   * seen by the attempt.
   */
  requeue(qp: QueuedPodInfo, podSchedulingCycle: number, outcome: { readonly error?: boolean; readonly unschedulablePlugins?: ReadonlySet<string> }): void {
    const key = qp.podInfo.key;
    const deleted = this.deletedInFlight.has(key);
    this.done(key);
    if (deleted || this.known(key)) return;
    qp.timestamp = this.clock();
    qp.unschedulablePlugins = outcome.unschedulablePlugins ?? new Set();
    if (isGated(qp.podInfo.pod)) this.gated.set(key, qp);
    else if (outcome.error || this.moveRequestCycle >= podSchedulingCycle) this.requeueReady(qp);
    else this.unschedulable.set(key, qp);
  }

  /**
   * A cluster event happened: unschedulable pods it may help move to activeQ (or backoffQ while
   * backing off). `mayHelp` narrows further (e.g. only pods with affinity for an added pod).
   */
  onEvent(event: ClusterEvent, mayHelp?: (qp: QueuedPodInfo) => boolean): void {
    this.moveRequestCycle = this.cycle;
    for (const [key, qp] of this.unschedulable) {
      if (!this.eventHelps(qp, event) || (mayHelp && !mayHelp(qp))) continue;
      this.unschedulable.delete(key);
      this.requeueReady(qp);
    }
  }

  /** Periodic work: pods done backing off become active; long-unschedulable pods are retried. */
  flush(): void {
    const now = this.clock();
    for (let next = this.backoffQ.peek(); next && this.backoffExpiry(next) <= now; next = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.activate(next);
    }
    for (const [key, qp] of this.unschedulable) {
      if (now - qp.timestamp < this.maxUnschedulableMs) continue;
      this.unschedulable.delete(key);
      this.requeueReady(qp);
    }
  }

  /** Resolves when activeQ has a pod, or when `signal` aborts. */
  waitForPod(signal?: AbortSignal): Promise<void> {
    if (this.activeQ.size > 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  pending(): PendingPods {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size, gated: this.gated.size };
  }

  /** How long `qp` must wait after its last failure: initial * 2^(attempts-1), capped. */
  backoffDuration(qp: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < qp.attempts; i++) {
      if (d > this.maxBackoffMs - d) return this.maxBackoffMs;
      d += d;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(qp: QueuedPodInfo): number {
    return qp.timestamp + this.backoffDuration(qp);
  }

  private known(key: string): boolean {
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key) || this.gated.has(key) || this.inFlight.has(key);
  }

  private eventHelps(qp: QueuedPodInfo, event: ClusterEvent): boolean {
    if (qp.unschedulablePlugins.size === 0 || !this.pluginEvents) return true;
    for (const plugin of qp.unschedulablePlugins) {
      const events = this.pluginEvents(plugin);
      if (!events || events.some((e) => sameEvent(e, event))) return true;
    }
    return false;
  }

  /** To backoffQ while the pod is still backing off, else to activeQ. */
  private requeueReady(qp: QueuedPodInfo): void {
    if (qp.attempts > 0 && this.backoffExpiry(qp) > this.clock()) this.backoffQ.push(qp);
    else this.activate(qp);
  }

  private activate(qp: QueuedPodInfo): void {
    this.activeQ.push(qp);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

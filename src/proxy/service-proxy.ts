// ServiceProxy: the node's service proxy loop (kube-proxy's Proxier without the rules). Informers
// on Services, EndpointSlices and (when no node IPs are given) this Node; every change marks the
// state dirty; a sync builds the whole ProxyState (buildProxyState) and hands it to the backend.
//
// Syncs are rate-limited and coalesced as kube-proxy's BoundedFrequencyRunner: at most one every
// `minSyncIntervalMs`, a burst of events becomes one sync, and they never run concurrently (a change
// during a sync triggers one more afterwards). The first sync waits until every informer has listed,
// so rules are never rebuilt from a half-filled cache. A failed sync is retried with exponential
// backoff (SYNC_RETRY_*), the previous rules staying in place meanwhile. A state equal to the last
// applied one is not sent again.
//
// Latency: for every applied sync, the time from the oldest informer event it includes to the
// backend's sync resolving (rules in place) is recorded; `stats()` summarizes the last
// LATENCY_SAMPLES of them (for `npm run bench:net` and logs).
//
// stop() stops the informers and the loop but leaves the rules (a restart takes over without a gap);
// cleanup() removes them through the backend.
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/object.js';
import { Backoff } from '../client/backoff.js';
import { resourceInfo, type Client } from '../client/client.js';
import { systemClock, type Clock, type TimerHandle } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import { buildProxyState, isIPv4 } from './build-proxy-state.js';
import { staleFlows, type ConntrackCleaner } from './conntrack.js';
import type { ProxyBackend, ProxyState } from './model.js';

export const DEFAULT_MIN_SYNC_INTERVAL_MS = 100;
export const SYNC_RETRY_INITIAL_MS = 500;
export const SYNC_RETRY_MAX_MS = 30_000;
export const LATENCY_SAMPLES = 1000;
/** upper bounds (ms) of the latency histogram buckets; the last bucket is +Inf */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export interface ServiceProxyOptions {
  readonly client: Client;
  readonly nodeName: string;
  readonly backend: ProxyBackend;
  /** e.g. ['10.43.0.0/16']: addresses in it without a Service are rejected */
  readonly serviceCIDRs: readonly string[];
  /** default: the IPv4 InternalIP/ExternalIP addresses of Node `nodeName` (watched) */
  readonly nodeIPs?: readonly string[];
  /** default: every local address (127.0.0.1 included) serves NodePorts */
  readonly nodePortAddresses?: readonly string[];
  /** default DEFAULT_MIN_SYNC_INTERVAL_MS */
  readonly minSyncIntervalMs?: number;
  /** first retry delay after a failed sync, doubled up to SYNC_RETRY_MAX_MS; default SYNC_RETRY_INITIAL_MS */
  readonly retryInitialMs?: number;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
  /**
   * clears the UDP flows each applied sync leaves stale (conntrack.ts); the kernel modes need it,
   * the userspace mode (no DNAT) does not. Unset: flows are left to expire.
   */
  readonly conntrack?: ConntrackCleaner;
}

export interface ProxySyncStats {
  /** syncs that reached the backend and succeeded / failed */
  readonly syncs: number;
  readonly failures: number;
  /** syncs skipped because the state had not changed */
  readonly unchanged: number;
  /** duration of the last backend.sync call */
  readonly lastSyncMs?: number;
  /** event → rules in place, of the last applied sync */
  readonly lastLatencyMs?: number;
  /** over the last LATENCY_SAMPLES applied syncs */
  readonly latency: { readonly count: number; readonly p50?: number; readonly p99?: number; readonly max?: number };
  /** applied syncs per latency bucket (≤ LATENCY_BUCKETS_MS[i]; the last one: more), since construction */
  readonly histogram: readonly number[];
  /** services (ports) in the last applied state */
  readonly servicePorts: number;
}

const SERVICES = resourceInfo('', 'v1', 'services');
const ENDPOINT_SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');
const NODES = resourceInfo('', 'v1', 'nodes');

type ServiceObject = Service & KubeObject;
type EndpointSliceObject = EndpointSlice & KubeObject;
type NodeObject = Node & KubeObject;

export class ServiceProxy {
  private readonly clock: Clock;
  private readonly minInterval: number;
  private readonly services: Informer<ServiceObject>;
  private readonly slices: Informer<EndpointSliceObject>;
  private readonly node?: Informer<NodeObject>;
  private readonly backoff: Backoff;
  private controller?: AbortController;
  private synced = false;
  private dirtySince?: number;
  private running?: Promise<void>;
  private timer?: TimerHandle;
  private lastStart = -Infinity;
  private retryAt?: number;
  private lastApplied?: string;
  /** the state the backend last applied successfully (what the kernel's rules are) */
  private lastState?: ProxyState;
  private waiters: Array<() => void> = [];
  private counts = { syncs: 0, failures: 0, unchanged: 0, servicePorts: 0 };
  private lastSyncMs?: number;
  private lastLatencyMs?: number;
  private samples: number[] = [];
  private histogram = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);

  constructor(private readonly opts: ServiceProxyOptions) {
    this.clock = opts.clock ?? systemClock;
    this.minInterval = opts.minSyncIntervalMs ?? DEFAULT_MIN_SYNC_INTERVAL_MS;
    this.backoff = new Backoff({ initialMs: opts.retryInitialMs ?? SYNC_RETRY_INITIAL_MS, maxMs: SYNC_RETRY_MAX_MS, jitter: 0.2 });
    const common = { client: opts.client, clock: this.clock };
    this.services = new Informer<ServiceObject>({ ...common, resource: SERVICES });
    this.slices = new Informer<EndpointSliceObject>({ ...common, resource: ENDPOINT_SLICES });
    if (!opts.nodeIPs) this.node = new Informer<NodeObject>({ ...common, resource: NODES, fieldSelector: `metadata.name=${opts.nodeName}` });
    for (const inf of [this.services, this.slices, this.node] as Array<Informer<KubeObject> | undefined>) {
      inf?.addEventHandler({
        onAdd: () => this.changed(),
        onUpdate: (o, n) => o !== n && this.changed(),
        onDelete: () => this.changed(),
      });
    }
  }

  /** Starts the informers; the first sync follows once all of them have listed. */
  start(signal?: AbortSignal): void {
    if (this.controller) return;
    this.controller = new AbortController();
    const own = this.controller.signal;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    const informers = [this.services, this.slices, ...(this.node ? [this.node] : [])];
    for (const inf of informers) inf.start(own);
    void Promise.all(informers.map((i) => i.waitForSync(own))).then((ok) => {
      if (!ok.every(Boolean) || own.aborted) return;
      this.synced = true;
      this.dirtySince ??= this.clock.now();
      this.schedule();
    });
  }

  /** Stops informers and syncing (waits for a sync in flight); the rules stay. */
  async stop(): Promise<void> {
    this.controller?.abort();
    this.timer?.cancel();
    this.timer = undefined;
    await Promise.all([this.services.stop(), this.slices.stop(), this.node?.stop()]);
    await this.running;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Removes every rule through the backend (Services gone, shutdown with cleanup, killall). */
  cleanup(): Promise<void> {
    this.lastApplied = undefined;
    return this.opts.backend.cleanup();
  }

  /**
   * Resolves once every event seen so far is in the rules (or the proxy stopped). Resolves at
   * once when nothing is pending after the first sync.
   */
  whenApplied(): Promise<void> {
    if (this.synced && this.dirtySince === undefined && !this.running && this.lastApplied !== undefined) return Promise.resolve();
    if (this.controller?.signal.aborted) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** The state the next sync would apply (for debugging and tests). */
  currentState(): ProxyState {
    return buildProxyState({
      services: this.services.indexer.list(),
      endpointSlices: this.slices.indexer.list(),
      nodeName: this.opts.nodeName,
      serviceCIDRs: this.opts.serviceCIDRs,
      nodeIPs: this.opts.nodeIPs ?? nodeAddresses(this.node?.indexer.list()[0]),
      ...(this.opts.nodePortAddresses ? { nodePortAddresses: this.opts.nodePortAddresses } : {}),
    });
  }

  stats(): ProxySyncStats {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : undefined);
    return {
      ...this.counts,
      lastSyncMs: this.lastSyncMs,
      lastLatencyMs: this.lastLatencyMs,
      latency: { count: sorted.length, p50: pct(50), p99: pct(99), max: sorted[sorted.length - 1] },
      histogram: [...this.histogram],
    };
  }

  private changed(): void {
    this.dirtySince ??= this.clock.now();
    if (this.synced) this.schedule();
  }

  private schedule(): void {
    if (this.running || this.timer || this.controller?.signal.aborted || this.dirtySince === undefined) return;
    const now = this.clock.now();
    const at = Math.max(this.lastStart + this.minInterval, this.retryAt ?? -Infinity);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.dirtySince !== undefined) this.schedule();
        else for (const w of this.waiters.splice(0)) w();
      });
    }, Math.max(0, at - now));
  }

  private async run(): Promise<void> {
    const since = this.dirtySince ?? this.clock.now();
    this.dirtySince = undefined;
    this.lastStart = this.clock.now();
    let state: ProxyState;
    let text: string;
    try {
      state = this.currentState();
      text = JSON.stringify(state);
    } catch (e) {
      this.log(`building the proxy state failed: ${(e as Error).message}`);
      return this.failed(since);
    }
    if (text === this.lastApplied) {
      this.counts.unchanged++;
      return;
    }
    const t0 = this.clock.now();
    try {
      await this.opts.backend.sync(state);
    } catch (e) {
      this.counts.failures++;
      this.log(`${this.opts.backend.mode} sync failed (${(e as Error).message}); retrying`);
      return this.failed(since);
    }
    const done = this.clock.now();
    const before = this.lastState;
    this.lastState = state;
    this.lastApplied = text;
    this.retryAt = undefined;
    this.backoff.reset();
    this.counts.syncs++;
    this.counts.servicePorts = state.services.length;
    this.lastSyncMs = done - t0;
    this.record(done - since);
    if (this.opts.conntrack) {
      const flows = staleFlows(before, state);
      if (flows.length) await this.opts.conntrack.clean(flows);
    }
  }

  private failed(since: number): void {
    this.lastApplied = undefined;
    this.dirtySince = Math.min(since, this.dirtySince ?? Infinity);
    this.retryAt = this.clock.now() + this.backoff.next();
  }

  private record(ms: number): void {
    this.lastLatencyMs = ms;
    this.samples.push(ms);
    if (this.samples.length > LATENCY_SAMPLES) this.samples.shift();
    const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
    this.histogram[i === -1 ? LATENCY_BUCKETS_MS.length : i]!++;
  }

  private log(line: string): void {
    this.opts.log?.(`service proxy: ${line}`);
  }
}

/** IPv4 InternalIP and ExternalIP addresses of a Node, in its order. */
export function nodeAddresses(node: Node | undefined): string[] {
  return (node?.status?.addresses ?? [])
    .filter((a) => (a.type === 'InternalIP' || a.type === 'ExternalIP') && isIPv4(a.address))
    .map((a) => a.address);
}

// N hollow nodes in one process (as kwok does): each is a real Kubelet of this folder driving its
// own SimulatedRuntime, so scheduling, controllers and node lifecycle see ordinary nodes. Built to
// hold 1,000 nodes × 10 pods in one process, the nodes share what can be shared:
// - ONE pods informer and ONE nodes informer for all of them (the process's shared informers when
//   given), routed to each kubelet by spec.nodeName / metadata.name, instead of 2,000 watches;
// - ONE heartbeat timer: leases are renewed (and node status checked) in ten slots a second apart,
//   a bounded number of calls at a time, so the API server sees a steady trickle, not a burst;
// - nothing per pod but what a pod needs (a worker, its runtime records, a timer only while it
//   waits for something: a simulated exit, a back-off, a readiness delay).
// Nodes get InternalIPs from 198.19.0.0/16 (reserved for benchmarking, never routed) and their pod
// CIDRs from the node IPAM controller unless `podCIDR` assigns them.
import { isQuantity } from '../api/quantity.js';
import type { Client } from '../client/client.js';
import { resourceInfo } from '../client/client.js';
import type { Clock } from '../client/clock.js';
import { systemClock } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import type { SharedInformerFactory } from '../client/shared-informers.js';
import { SimulatedRuntime, type SimulatedRuntimeState } from '../runtime/simulated/simulated-runtime.js';
import { formatIPv4, parseIPv4 } from '../api/ipv4.js';
import { HeartbeatScheduler } from './heartbeat.js';
import { Kubelet } from './kubelet.js';
import type { NodeObject, PodObject } from './kubelet-source.js';
import { InformerKubeletSource, POD_NODE_NAME_INDEX, podNodeNameIndex } from './kubelet-source.js';
import { SIMULATED_NODE_LABEL } from '../api/simulated-node.js';
import { NODE_LEASE_RENEW_INTERVAL_MS } from './node-lease.js';
import type { MachineInfo } from './node-status.js';
import { DEFAULT_SIMULATED_CAPACITY } from './node-status.js';

const PODS = resourceInfo('', 'v1', 'pods');
const NODES = resourceInfo('', 'v1', 'nodes');

/** Every simulated node carries this label ("true"): tests and benchmarks select them by it, and the API server never dials them. */
export { SIMULATED_NODE_LABEL };
/** First InternalIP handed to simulated nodes (the next ones follow). */
export const SIMULATED_NODE_IP_BASE = '198.19.0.1';
/** Heartbeat slots: with the 10 s lease period, one slot's nodes renew every second. */
const HEARTBEAT_SLOTS = 10;
/**
 * Lease renewals / status posts in flight at once across all simulated nodes: at least this many,
 * and at least one slot's worth (count / HEARTBEAT_SLOTS), so that every node of a slot renews at
 * its turn however slow the API answers, as independent kubelets would. With a fixed 32, a
 * thousand nodes renewed at most 32 / latency times a second: under a burst of writes (API
 * latency ~1 s) about 350 Leases per 10 s instead of 1,000, each node every ~30 s, close to the
 * 50 s node-monitor grace period.
 */
const HEARTBEAT_CONCURRENCY = 32;
/** Kubelets registering at once at start-up. */
const START_CONCURRENCY = 50;

export const SIMULATED_MACHINE: MachineInfo = Object.freeze({
  osImage: 'Skiff Simulated Node',
  kernelVersion: 'simulated',
  architecture: 'amd64',
  operatingSystem: 'linux',
  machineID: '',
  systemUUID: '',
  bootID: '',
});

/**
 * Capacity from a flag value such as `cpu=16,memory=64Gi,pods=250`, on top of the simulated
 * defaults (unnamed resources keep theirs). Throws a TypeError saying what was expected.
 */
export function parseNodeCapacity(spec: string): Record<string, string> {
  const out: Record<string, string> = { ...DEFAULT_SIMULATED_CAPACITY };
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq).trim() : '';
    const value = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!name || !isQuantity(value)) throw new TypeError(`node capacity: expected NAME=QUANTITY such as cpu=32 or memory=256Gi, got "${part}"`);
    out[name] = value;
  }
  return out;
}

export interface SimulatedNodesOptions {
  readonly client: Client;
  readonly count: number;
  /** node names are `<prefix><index>`; default "sim-" */
  readonly namePrefix?: string;
  /** first index; default 0 */
  readonly firstIndex?: number;
  /** default cpu 32, memory 256Gi, pods 110, ephemeral-storage 100Gi */
  readonly capacity?: Readonly<Record<string, string>>;
  /** extra labels on every node (SIMULATED_NODE_LABEL is always set) */
  readonly labels?: Readonly<Record<string, string>>;
  /** a pod CIDR per node index, to register with; default none (the node IPAM controller assigns them) */
  readonly podCIDR?: (index: number) => string | undefined;
  /** reuse the process's informers (one pods and one nodes cache for every component); default: informers of their own */
  readonly informers?: SharedInformerFactory;
  /** record kubelet Events (Pulled, Created, Started, BackOff...); default true */
  readonly recordEvents?: boolean;
  /** how often each node renews its Lease; default 10 s */
  readonly leaseRenewIntervalMs?: number;
  /** default systemClock */
  readonly clock?: Clock;
  /** default none */
  readonly log?: (line: string) => void;
  /** each node's runtime to start with, by node name: the `runtimes`' snapshots of an earlier run; default none */
  readonly restore?: ReadonlyMap<string, SimulatedRuntimeState>;
}

export interface SimulatedNodes {
  readonly kubelets: readonly Kubelet[];
  /** the runtime of each node, by node name */
  readonly runtimes: ReadonlyMap<string, SimulatedRuntime>;
  /** Stops every kubelet, the shared timers and informers of its own, and the runtimes. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `count` simulated nodes and resolves once every one is registered (each retries until
 * the API accepts it, or `signal` aborts).
 */
export async function startSimulatedNodes(opts: SimulatedNodesOptions, signal?: AbortSignal): Promise<SimulatedNodes> {
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new TypeError(`simulated nodes: expected a non-negative integer count, got ${opts.count}`);
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? (() => {});
  // Kubelets and informers are stopped through stop(), not each through `signal`: a thousand
  // listeners on one AbortSignal is what Node warns about as a leak.
  const lifetime = new AbortController();

  let podInformer: Informer<PodObject>;
  let nodeInformer: Informer<NodeObject>;
  const own: (Informer<PodObject> | Informer<NodeObject>)[] = [];
  if (opts.informers) {
    podInformer = opts.informers.forResource<PodObject>(PODS, { [POD_NODE_NAME_INDEX]: podNodeNameIndex });
    nodeInformer = opts.informers.forResource<NodeObject>(NODES);
  } else {
    // Every pod, not `spec.nodeName!=`: a field selector makes the API server decode each pod event
    // (and its previous version) to match it, on its own thread; the pods of this thread's other
    // informers (scheduler, controllers) are the same events, parsed here once per revision for
    // all of them. The source routes bound pods only.
    podInformer = new Informer<PodObject>({ client: opts.client, resource: PODS, indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndex }, clock, log });
    nodeInformer = new Informer<NodeObject>({ client: opts.client, resource: NODES, clock, log });
    own.push(podInformer, nodeInformer);
  }
  const source = new InformerKubeletSource(podInformer, nodeInformer);
  const heartbeats = new HeartbeatScheduler({ clock, periodMs: opts.leaseRenewIntervalMs ?? NODE_LEASE_RENEW_INTERVAL_MS, slots: HEARTBEAT_SLOTS, concurrency: Math.max(HEARTBEAT_CONCURRENCY, Math.ceil(opts.count / HEARTBEAT_SLOTS)) });

  const prefix = opts.namePrefix ?? 'sim-';
  const first = opts.firstIndex ?? 0;
  const ipBase = parseIPv4(SIMULATED_NODE_IP_BASE)!;
  const runtimes = new Map<string, SimulatedRuntime>();
  const kubelets: Kubelet[] = [];
  for (let i = first; i < first + opts.count; i++) {
    const nodeName = `${prefix}${i}`;
    const runtime = new SimulatedRuntime({ clock, restore: opts.restore?.get(nodeName) });
    runtimes.set(nodeName, runtime);
    kubelets.push(
      new Kubelet({
        client: opts.client,
        runtime,
        nodeName,
        clock,
        capacity: opts.capacity ?? DEFAULT_SIMULATED_CAPACITY,
        labels: { ...(opts.labels ?? {}), [SIMULATED_NODE_LABEL]: 'true' },
        podCIDR: opts.podCIDR?.(i),
        nodeIP: formatIPv4(ipBase + i),
        machine: SIMULATED_MACHINE,
        kubeletPort: 0,
        log,
        source,
        heartbeats,
        leaseRenewIntervalMs: opts.leaseRenewIntervalMs,
        recorder: opts.recordEvents === false ? null : undefined,
        assumeImagesPresent: true,
      }),
    );
  }

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      lifetime.abort();
      await heartbeats.stop();
      await Promise.all(kubelets.map((k) => k.stop()));
      await Promise.all(own.map((i) => i.stop()));
      await Promise.all([...runtimes.values()].map((r) => r.close()));
    })());
  if (signal?.aborted) void stop();
  else signal?.addEventListener('abort', () => void stop(), { once: true });

  for (const inf of own) inf.start(lifetime.signal);
  heartbeats.start(lifetime.signal);
  let next = 0;
  const lane = async () => {
    while (next < kubelets.length && !lifetime.signal.aborted) await kubelets[next++]!.start();
  };
  await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, kubelets.length) }, lane));
  log(`simulated nodes: ${kubelets.length} registered (${prefix}${first}..${prefix}${first + opts.count - 1})`);
  return { kubelets, runtimes, stop };
}

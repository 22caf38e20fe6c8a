// The node lifecycle controller ("nodelifecycle"), with its taint-based eviction part. Wiring only:
// - node events and node Lease renewals (kube-node-lease) queue the node's name; a periodic
//   monitor pass (every nodeMonitorPeriodMs) notices silent kubelets, recomputes zone states and
//   queues every node; reconcile.ts does the node's writes;
// - changes of a node's NoExecute taints queue the keys of its pods, and pod changes on a tainted
//   node queue the pod; taint-eviction.ts decides and schedules evictions (the queue's delayed
//   adds are the timers).
import { errorMessage, runWorker } from '../work-loop.js';
import type { Informer } from '../../client/informer.js';
import type { TimerHandle } from '../../client/clock.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller.js';
import { readyStatus } from './node-health.js';
import {
  LEASES,
  NODES,
  NODE_LEASE_NAMESPACE,
  NodeLifecycleReconciler,
  PODS,
  type LeaseObject,
  type NodeLifecycleSettings,
  type NodeObject,
  type PodObject,
} from './reconcile.js';
import { TaintEvictionReconciler, podKey } from './taint-eviction.js';
import { noExecuteTaints } from './taints.js';

export const NODE_LIFECYCLE_CONTROLLER_NAME = 'nodelifecycle';
/** Event source components, as Kubernetes reports them. */
export const NODE_CONTROLLER_COMPONENT = 'node-controller';
export const TAINT_EVICTION_COMPONENT = 'taint-eviction-controller';
/** Index of the pods cache by spec.nodeName. */
export const PODS_BY_NODE_INDEX = 'nodelifecycle/nodeName';

export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 50_000;
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
export const DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS = 60_000;
export const DEFAULT_EVICTION_RATE = 0.1;
export const DEFAULT_SECONDARY_EVICTION_RATE = 0.01;
export const DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD = 50;
export const DEFAULT_UNHEALTHY_ZONE_THRESHOLD = 0.55;
const NODE_WORKERS = 4;
const EVICTION_WORKERS = 4;

export interface NodeLifecycleOptions {
  /** --node-monitor-grace-period: silence after which a node is Unknown; default 50 s */
  readonly nodeMonitorGracePeriodMs?: number;
  /** --node-monitor-period: how often node health is checked; default 5 s */
  readonly nodeMonitorPeriodMs?: number;
  /** --node-startup-grace-period: the same, for a node that never posted a Ready condition; default 60 s */
  readonly nodeStartupGracePeriodMs?: number;
  /** --node-eviction-rate: nodes per second that get a NoExecute taint in a healthy zone; default 0.1 */
  readonly evictionRate?: number;
  /** --secondary-node-eviction-rate: the same in a partially disrupted large zone; default 0.01 */
  readonly secondaryEvictionRate?: number;
  /** --large-cluster-size-threshold; default 50 */
  readonly largeClusterSizeThreshold?: number;
  /** --unhealthy-zone-threshold; default 0.55 */
  readonly unhealthyZoneThreshold?: number;
}

/** The factory for a node lifecycle controller with these options. */
export function createNodeLifecycleController(opts: NodeLifecycleOptions = {}): ControllerFactory {
  const settings: NodeLifecycleSettings = {
    gracePeriodMs: opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
    startupGracePeriodMs: opts.nodeStartupGracePeriodMs ?? DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS,
    evictionRate: opts.evictionRate ?? DEFAULT_EVICTION_RATE,
    secondaryEvictionRate: opts.secondaryEvictionRate ?? DEFAULT_SECONDARY_EVICTION_RATE,
    largeClusterSizeThreshold: opts.largeClusterSizeThreshold ?? DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD,
    unhealthyZoneThreshold: opts.unhealthyZoneThreshold ?? DEFAULT_UNHEALTHY_ZONE_THRESHOLD,
  };
  const period = Math.max(1, opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS);
  return (deps: ControllerDeps): Controller => ({
    name: NODE_LIFECYCLE_CONTROLLER_NAME,
    start(signal: AbortSignal): void {
      const log = (line: string) => deps.log(`${NODE_LIFECYCLE_CONTROLLER_NAME}: ${line}`);
      const nodes = deps.informers.forResource<NodeObject>(NODES);
      const leases = deps.informers.forResource<LeaseObject>(LEASES);
      const pods = deps.informers.forResource<PodObject>(PODS);
      ensureIndex(pods, PODS_BY_NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
      const podsOnNode = (name: string) => pods.indexer.byIndex(PODS_BY_NODE_INDEX, name);

      const nodeQueue = new WorkQueue({ clock: deps.clock });
      const podQueue = new WorkQueue({ clock: deps.clock });
      const nodeReconciler = new NodeLifecycleReconciler({
        client: deps.client,
        nodes: nodes.lister,
        leases: leases.lister,
        podsOnNode,
        recorder: deps.recorder(NODE_CONTROLLER_COMPONENT),
        clock: deps.clock,
        settings,
        log,
      });
      const eviction = new TaintEvictionReconciler({
        client: deps.client,
        pods: pods.lister,
        nodes: nodes.lister,
        recorder: deps.recorder(TAINT_EVICTION_COMPONENT),
        clock: deps.clock,
        log,
      });

      const queuePodsOf = (nodeName: string) => {
        for (const p of podsOnNode(nodeName)) podQueue.add(podKey(p));
      };
      const noExecuteOf = (n: NodeObject) => JSON.stringify(noExecuteTaints(n.spec?.taints));
      const onPod = (p: PodObject) => {
        const key = podKey(p);
        const nodeName = p.spec?.nodeName;
        const node = nodeName ? nodes.lister.get(undefined, nodeName) : undefined;
        if (eviction.isScheduled(key) || (node && noExecuteTaints(node.spec?.taints).length > 0)) podQueue.add(key);
        // A Ready pod on a node that is not Ready: the node's reconcile marks it.
        const podReady = p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
        const nodeReady = node ? readyStatus(node) : undefined;
        if (node && podReady === 'True' && nodeReady !== undefined && nodeReady !== 'True') nodeQueue.add(nodeName!);
      };
      const removers = [
        nodes.addEventHandler({
          onAdd: (n) => {
            nodeQueue.add(n.metadata?.name ?? '');
            if (noExecuteTaints(n.spec?.taints).length) queuePodsOf(n.metadata?.name ?? '');
          },
          onUpdate: (old, n) => {
            nodeQueue.add(n.metadata?.name ?? '');
            if (old === n || noExecuteOf(old) !== noExecuteOf(n)) queuePodsOf(n.metadata?.name ?? '');
          },
          onDelete: (n) => {
            nodeQueue.add(n.metadata?.name ?? '');
            queuePodsOf(n.metadata?.name ?? '');
          },
        }),
        leases.addEventHandler({
          onAdd: (l) => {
            if (l.metadata?.namespace === NODE_LEASE_NAMESPACE) nodeQueue.add(l.metadata.name ?? '');
          },
          onUpdate: (_o, l) => {
            if (l.metadata?.namespace === NODE_LEASE_NAMESPACE) nodeQueue.add(l.metadata.name ?? '');
          },
        }),
        pods.addEventHandler({
          onAdd: onPod,
          onUpdate: (_o, p) => onPod(p),
          onDelete: (p) => {
            if (eviction.isScheduled(podKey(p))) podQueue.add(podKey(p));
          },
        }),
      ];

      let timer: TimerHandle | undefined;
      signal.addEventListener(
        'abort',
        () => {
          timer?.cancel();
          nodeQueue.shutDown();
          podQueue.shutDown();
          for (const remove of removers) remove();
        },
        { once: true },
      );

      void (async () => {
        const synced = await Promise.all([nodes, leases, pods].map((i) => i.waitForSync(signal)));
        if (!synced.every(Boolean) || signal.aborted) return;
        const tick = () => {
          try {
            for (const name of nodeReconciler.monitor()) nodeQueue.add(name);
          } catch (e) {
            log(`monitor pass failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          }
          if (!signal.aborted) timer = deps.clock.setTimeout(tick, period);
        };
        tick();
        for (let i = 0; i < NODE_WORKERS; i++) void work(nodeQueue, (k) => nodeReconciler.reconcile(k), (k, e) => log(`node ${k}: ${e}`));
        for (let i = 0; i < EVICTION_WORKERS; i++) void work(podQueue, (k) => eviction.reconcile(k), (k, e) => log(`eviction of pod ${k}: ${e}`));
      })();
    },
  });
}

/**
 * One worker: reconcile keys until the queue shuts down. A reconcile that returns a delay is
 * looked at again after it; one that throws is retried with backoff.
 */
function work(queue: WorkQueue, reconcile: (key: string) => Promise<number | undefined>, fail: (key: string, message: string) => void): Promise<void> {
  return runWorker(queue, reconcile, (key, e, retries) => fail(key, `${errorMessage(e)} (retry ${retries + 1})`));
}

/** Adds an index to a shared informer's cache unless a controller started earlier in this process already did. */
function ensureIndex(informer: Informer<PodObject>, name: string, fn: (o: PodObject) => readonly string[]): void {
  try {
    informer.indexer.indexValues(name);
  } catch {
    informer.indexer.addIndexers({ [name]: fn });
  }
}


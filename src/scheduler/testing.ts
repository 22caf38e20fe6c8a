// Test helpers: builders of Node and Pod objects (only the fields the scheduler reads, with
// short defaults) and runners that drive one plugin's extension points over a snapshot.
import type { Affinity, Container, Node, Pod, Taint, Toleration, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Plugin } from './framework.js';
import { CycleState, PreFilterResult, SUCCESS, Status, isFilterPlugin, isPreFilterPlugin, isPreScorePlugin, isScorePlugin } from './framework.js';
import { podInfoOf } from './pod-info.js';
import type { Snapshot } from './snapshot.js';

export interface NodeOptions {
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** status.allocatable; default cpu 4, memory 8Gi, pods 110 */
  allocatable?: Record<string, string>;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, o: NodeOptions = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: o.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' }, images: o.images },
  };
}

export interface PodOptions {
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  /** requests of the single container (ignored when `containers` is given) */
  requests?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  /** host ports of the single container */
  hostPorts?: { hostPort: number; protocol?: string; hostIP?: string }[];
  priority?: number;
  ownerReferences?: OwnerReference[];
  schedulerName?: string;
  schedulingGates?: string[];
  deletionTimestamp?: string;
  phase?: string;
  creationTimestamp?: string;
  image?: string;
}

export function makePod(name: string, o: PodOptions = {}): Pod {
  const namespace = o.namespace ?? 'default';
  const container: Container = {
    name: 'c',
    image: o.image ?? 'registry.example/app:1',
    resources: o.requests ? { requests: o.requests } : undefined,
    ports: o.hostPorts?.map((p) => ({ containerPort: p.hostPort, hostPort: p.hostPort, protocol: p.protocol, hostIP: p.hostIP })),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: o.uid ?? `uid-${namespace}-${name}`,
      labels: o.labels,
      ownerReferences: o.ownerReferences,
      deletionTimestamp: o.deletionTimestamp,
      creationTimestamp: o.creationTimestamp,
    },
    spec: {
      nodeName: o.nodeName,
      containers: o.containers ?? [container],
      initContainers: o.initContainers,
      overhead: o.overhead,
      nodeSelector: o.nodeSelector,
      affinity: o.affinity,
      tolerations: o.tolerations,
      topologySpreadConstraints: o.topologySpreadConstraints,
      priority: o.priority,
      schedulerName: o.schedulerName ?? 'default-scheduler',
      schedulingGates: o.schedulingGates?.map((n) => ({ name: n })),
    },
    status: { phase: o.phase ?? 'Pending' },
  };
}

/** Runs a plugin's PreFilter (if any) then Filter on every node: node name → status. */
export function runFilter(plugin: Plugin, pod: Pod, snapshot: Snapshot): Map<string, Status> {
  const state = new CycleState();
  const info = podInfoOf(pod);
  const out = new Map<string, Status>();
  if (isPreFilterPlugin(plugin)) {
    const r = plugin.preFilter(state, info, snapshot);
    if (r instanceof PreFilterResult) {
      for (const n of snapshot.nodes) if (!r.nodeNames.has(n.name)) out.set(n.name, new Status('UnschedulableAndUnresolvable', ['filtered out by PreFilter']));
    } else if (r.code === 'Skip') {
      for (const n of snapshot.nodes) out.set(n.name, SUCCESS);
      return out;
    } else if (r.code !== 'Success') {
      for (const n of snapshot.nodes) out.set(n.name, r);
      return out;
    }
  }
  if (!isFilterPlugin(plugin)) throw new Error(`${plugin.name} is not a Filter plugin`);
  for (const n of snapshot.nodes) if (!out.has(n.name)) out.set(n.name, plugin.filter(state, info, n));
  return out;
}

/** The reasons of runFilter's statuses ([] for success), by node name. */
export function filterReasons(plugin: Plugin, pod: Pod, snapshot: Snapshot): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [n, s] of runFilter(plugin, pod, snapshot)) out[n] = s.isSuccess() ? [] : [...s.reasons];
  return out;
}

/** Runs PreScore, Score and NormalizeScore over `nodes` (default all): node name → final score; 'skip' if PreScore skipped. */
export function runScore(plugin: Plugin, pod: Pod, snapshot: Snapshot, nodes: readonly string[] = snapshot.nodes.map((n) => n.name)): Record<string, number> | 'skip' {
  if (!isScorePlugin(plugin)) throw new Error(`${plugin.name} is not a Score plugin`);
  const state = new CycleState();
  const info = podInfoOf(pod);
  const infos = nodes.map((n) => snapshot.get(n)!);
  if (isPreScorePlugin(plugin)) {
    const st = plugin.preScore(state, info, infos, snapshot);
    if (st.code === 'Skip') return 'skip';
    if (st.code !== 'Success') throw new Error(`PreScore: ${st.message()}`);
  }
  const scores = Float64Array.from(infos.map((n, i) => plugin.score(state, info, n, i)));
  if (plugin.normalizeScore) plugin.normalizeScore(state, info, infos, scores);
  return Object.fromEntries(nodes.map((n, i) => [n, scores[i]!]));
}

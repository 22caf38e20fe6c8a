// The scheduling framework's contracts, modelled on kube-scheduler's: a tiny `Plugin { name }`,
// one interface per extension point, `Status` values instead of exceptions, a per-cycle
// `CycleState`, and a registry mapping plugin names to factories.
//
// Plugins are pure with respect to the cluster: they read a Snapshot (and the CycleState they
// wrote themselves) and never mutate NodeInfos. Filter and Score are called once per node, so
// they must do O(1)-ish work per node; anything per pod belongs in PreFilter/PreScore.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Selector } from '../api/labels.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Snapshot } from './snapshot.js';

/** Highest score a Score plugin may return after normalization (framework.MaxNodeScore). */
export const MAX_NODE_SCORE = 100;

/**
 * Result codes, as kube-scheduler's: `Unschedulable` may be fixed by preemption or by other pods
 * going away; `UnschedulableAndUnresolvable` cannot be fixed by changes on that node's pods;
 * `Error` is a bug or bad input (the pod is retried after backoff); `Skip` from PreFilter/PreScore
 * means the plugin has nothing to do for this pod (its Filter/Score is then not called).
 */
export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip';

/** The outcome of one plugin call. Immutable; constants may be shared between calls. */
export class Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** the cause of an `Error` status */
  readonly error: Error | undefined;

  constructor(code: Code, reasons: readonly string[] = [], error?: Error) {
    this.code = code;
    this.reasons = Object.freeze([...reasons]);
    this.error = error;
    Object.freeze(this);
  }

  isSuccess(): boolean {
    return this.code === 'Success';
  }

  /** Unschedulable or UnschedulableAndUnresolvable */
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }

  /** The reasons joined as kube-scheduler's Status.Message() joins them. */
  message(): string {
    return this.reasons.join(', ');
  }
}

export const SUCCESS = new Status('Success');
export const SKIP = new Status('Skip');

export function unschedulable(...reasons: string[]): Status {
  return new Status('Unschedulable', reasons);
}

export function unresolvable(...reasons: string[]): Status {
  return new Status('UnschedulableAndUnresolvable', reasons);
}

export function errorStatus(e: unknown): Status {
  const err = e instanceof Error ? e : new Error(String(e));
  return new Status('Error', [err.message], err);
}

let lastStateKeyId = -1;

/**
 * Typed key of a CycleState entry; the phantom parameter ties a key to its value type. Keys are
 * module-level constants (each gets a slot, so reads are array accesses in per-node loops).
 */
export class StateKey<T> {
  declare private readonly phantom: T;
  readonly id = ++lastStateKeyId;
  constructor(readonly name: string) {}
}

/**
 * Data plugins share within one scheduling cycle of one pod (PreFilter → Filter, PreScore →
 * Score). Created per cycle and dropped at its end; values are owned by the plugin that wrote them.
 */
export class CycleState {
  private readonly slots: unknown[] = [];
  /** plugins whose PreFilter returned Skip: their Filter is not called in this cycle */
  readonly skipFilter = new Set<string>();
  /** plugins whose PreScore returned Skip: their Score is not called in this cycle */
  readonly skipScore = new Set<string>();

  read<T>(key: StateKey<T>): T | undefined {
    return this.slots[key.id] as T | undefined;
  }

  write<T>(key: StateKey<T>, value: T): void {
    while (this.slots.length < key.id) this.slots.push(undefined);
    this.slots[key.id] = value;
  }
}

/** What a cluster change is, for deciding which unschedulable pods it may help. */
export interface ClusterEvent {
  readonly resource: 'Node' | 'AssignedPod' | 'UnscheduledPod';
  readonly action: 'Add' | 'Update' | 'Delete';
}

export interface Plugin {
  readonly name: string;
  /** cluster events that may make a pod this plugin rejected schedulable (EnqueueExtensions) */
  readonly events?: readonly ClusterEvent[];
}

/** PreFilter may narrow the nodes Filter looks at (e.g. node affinity to named nodes). */
export class PreFilterResult {
  constructor(readonly nodeNames: ReadonlySet<string>) {}
}

export interface PreFilterPlugin extends Plugin {
  /** Computes per-pod data into `state`; Skip when the pod needs nothing from this plugin. */
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Status | PreFilterResult;
}

export interface FilterPlugin extends Plugin {
  /** Whether `pod` may run on `node`: SUCCESS, or a rejection with a reason. Called per node. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

/** Why the Filter phase found no node: statuses of rejected nodes and the plugins that rejected them. */
export interface Diagnosis {
  readonly nodeToStatus: ReadonlyMap<string, Status>;
  readonly unschedulablePlugins: ReadonlySet<string>;
  /** set when a PreFilter plugin rejected the pod for every node */
  readonly preFilterMessage?: string;
}

export interface PostFilterPlugin extends Plugin {
  /** Runs when no node fits (preemption lives here); may nominate a node. */
  postFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot, diagnosis: Diagnosis): { status: Status; nominatedNodeName?: string };
}

export interface PreScorePlugin extends Plugin {
  /** Computes per-pod data for Score over the feasible `nodes`; Skip when the plugin has no opinion. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Status;
}

export interface ScorePlugin extends Plugin {
  /**
   * Rank of `node` for `pod` (an integer). `index` is the node's position in the `nodes` that
   * PreScore received, so PreScore may compute per-node values in bulk. Must not fail: anything
   * that can fail belongs in PreScore. Without normalizeScore the result must already be in
   * [0, MAX_NODE_SCORE].
   */
  score(state: CycleState, pod: PodInfo, node: NodeInfo, index: number): number;
  /** Rewrites `scores` (aligned with `nodes`) in place into [0, MAX_NODE_SCORE]. */
  normalizeScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: Float64Array): Status;
}

export interface ReservePlugin extends Plugin {
  /** Called after the pod is assumed on `nodeName`; a rejection undoes the assumption. */
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  /** Undoes reserve; must be idempotent. */
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface BindPlugin extends Plugin {
  /** Binds the pod; Skip hands the pod to the next Bind plugin. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export function isPreFilterPlugin(p: Plugin): p is PreFilterPlugin {
  return typeof (p as Partial<PreFilterPlugin>).preFilter === 'function';
}
export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as Partial<FilterPlugin>).filter === 'function';
}
export function isPostFilterPlugin(p: Plugin): p is PostFilterPlugin {
  return typeof (p as Partial<PostFilterPlugin>).postFilter === 'function';
}
export function isPreScorePlugin(p: Plugin): p is PreScorePlugin {
  return typeof (p as Partial<PreScorePlugin>).preScore === 'function';
}
export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as Partial<ScorePlugin>).score === 'function';
}
export function isReservePlugin(p: Plugin): p is ReservePlugin {
  return typeof (p as Partial<ReservePlugin>).reserve === 'function';
}
export function isBindPlugin(p: Plugin): p is BindPlugin {
  return typeof (p as Partial<BindPlugin>).bind === 'function';
}

/**
 * What the scheduler knows about the cluster beyond nodes and pods, for the few plugins that
 * need it. Both members are optional: without them namespaceSelector terms see namespaces as
 * unlabelled and default spreading falls back to pods of the same controller (see README).
 */
export interface ClusterSource {
  /** labels of a namespace (for namespaceSelector in pod affinity terms); undefined when unknown */
  namespaceLabels?(namespace: string): Readonly<Record<string, string>> | undefined;
  /**
   * The selector of the Services, ReplicationControllers, ReplicaSets and StatefulSets that
   * select `pod`, ANDed (kube-scheduler's DefaultSelector); undefined when none selects it.
   */
  defaultSpreadSelector?(pod: Pod): Selector | undefined;
}

/** What a plugin factory receives. */
export interface FrameworkHandle {
  readonly cluster: ClusterSource;
}

/** Builds a plugin; `args` are plugin-specific (validated by the factory, which throws on bad args). */
export type PluginFactory = (handle: FrameworkHandle, args: unknown) => Plugin;

/** Plugin name → factory. */
export type Registry = ReadonlyMap<string, PluginFactory>;

/**
 * kube-scheduler's DefaultNormalizeScore: scales scores so the highest becomes `max`
 * (integer arithmetic); with `reverse`, a high raw score becomes a low final score.
 */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: Float64Array): void {
  let highest = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > highest) highest = scores[i]!;
  if (highest === 0) {
    if (reverse) scores.fill(max);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((max * scores[i]!) / highest);
    scores[i] = reverse ? max - s : s;
  }
}

export const NODE_ADD: ClusterEvent = { resource: 'Node', action: 'Add' };
/** a node's labels, taints, allocatable, unschedulable flag or images changed */
export const NODE_UPDATE: ClusterEvent = { resource: 'Node', action: 'Update' };
export const NODE_DELETE: ClusterEvent = { resource: 'Node', action: 'Delete' };
export const ASSIGNED_POD_ADD: ClusterEvent = { resource: 'AssignedPod', action: 'Add' };
export const ASSIGNED_POD_UPDATE: ClusterEvent = { resource: 'AssignedPod', action: 'Update' };
export const ASSIGNED_POD_DELETE: ClusterEvent = { resource: 'AssignedPod', action: 'Delete' };

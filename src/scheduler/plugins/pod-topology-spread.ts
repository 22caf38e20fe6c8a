// PodTopologySpread: spreads matching pods across topology domains (nodes, zones, ...).
// Filter enforces `whenUnsatisfiable: DoNotSchedule` constraints: placing the pod must keep
// `pods in this domain + self - fewest pods in any eligible domain <= maxSkew`. Score favours
// domains with fewer matching pods for `ScheduleAnyway` constraints and, for pods with no
// constraints at all, for the system defaults (hostname maxSkew 3, zone maxSkew 5) over the pods
// of the same workload.
//
// Per-node counts come from NodeInfo.countPods (memoized per node until its pods change), so a
// cycle costs O(nodes), not O(pods).
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { Selector } from '../../api/labels.js';
import { labelSelectorFromObject, nothing, selectorFromRequirements } from '../../api/labels.js';
import type { CycleState, FilterPlugin, FrameworkHandle, PluginFactory, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework.js';
import {
  ASSIGNED_POD_ADD,
  ASSIGNED_POD_DELETE,
  ASSIGNED_POD_UPDATE,
  MAX_NODE_SCORE,
  NODE_ADD,
  NODE_DELETE,
  NODE_UPDATE,
  SKIP,
  StateKey,
  SUCCESS,
  Status,
  errorStatus,
  unresolvable,
  unschedulable,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { RequiredNodeAffinity } from '../node-selector.js';
import type { PodInfo } from '../pod-info.js';
import { LABEL_HOSTNAME, LABEL_ZONE } from '../snapshot.js';
import type { Snapshot } from '../snapshot.js';
import { findUntoleratedTaint, isDoNotScheduleTaint } from '../tolerations.js';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const REJECT_SKEW = unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
const REJECT_LABEL = unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);

/** kube-scheduler's system default constraints (applied, soft, to pods that declare none). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = Object.freeze([
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
]);

/** Controllers whose pods are spread by default when no ClusterSource selector is wired. */
const SPREAD_OWNER_KINDS = new Set(['ReplicaSet', 'ReplicationController', 'StatefulSet']);

/** A constraint compiled for one pod. */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: string;
  readonly nodeTaintsPolicy: string;
  /** which existing pods count (same namespace, not terminating, selected) */
  readonly counts: (p: PodInfo) => boolean;
  /** identifies `counts` for NodeInfo.countPods */
  readonly countKey: string;
  /** when set: the same count as `node.countPods(countKey, counts)`, from an index of the snapshot */
  readonly countOn?: (node: NodeInfo, snapshot: Snapshot) => number;
  /** the incoming pod is selected too */
  readonly selfMatch: boolean;
}

const COUNTS_NOTHING = (): boolean => false;

/** The pods on `node` that constraint `c` counts. */
function countOn(c: SpreadConstraint, node: NodeInfo, snapshot: Snapshot): number {
  return c.countOn ? c.countOn(node, snapshot) : node.countPods(c.countKey, c.counts);
}

const NO_NODES: ReadonlyMap<NodeInfo, number> = new Map();

/** A constraint over pods selected by `selector` in the pod's namespace. */
function selectorConstraint(pod: PodInfo, c: TopologySpreadConstraint, selector: Selector): SpreadConstraint {
  const ns = pod.namespace;
  // As kube-scheduler counts: an empty selector (`{}`) counts no existing pod.
  const countsNone = selector.empty || selector.requirements.length === 0;
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    minDomains: c.minDomains ?? 1,
    nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
    nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
    counts: countsNone ? COUNTS_NOTHING : (p) => p.namespace === ns && !p.terminating && selector.matches(p.labels),
    countKey: countsNone ? 'pts\u0000none' : `pts\u0000${ns}\u0000${selector.toString()}`,
    selfMatch: selector.matches(pod.labels),
  };
}

/** The constraint's label selector with matchLabelKeys merged in as `key in (value)`. */
function constraintSelector(pod: PodInfo, c: TopologySpreadConstraint): Selector {
  const base = c.labelSelector == null ? nothing() : labelSelectorFromObject(c.labelSelector);
  const extra = (c.matchLabelKeys ?? []).filter((k) => k in pod.labels).map((k) => ({ key: k, operator: 'In' as const, values: [pod.labels[k]!] }));
  return extra.length ? selectorFromRequirements([...base.requirements, ...extra]) : base;
}

/** The pod's own constraints with the given whenUnsatisfiable. Throws on an invalid selector. */
export function podConstraints(pod: PodInfo, when: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  return (pod.pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === when).map((c) => selectorConstraint(pod, c, constraintSelector(pod, c)));
}

export interface PodTopologySpreadArgs {
  /** constraints (without labelSelector) for pods that declare none; default the system defaults */
  readonly defaultConstraints?: readonly TopologySpreadConstraint[];
  /** 'System' (default): SYSTEM_DEFAULT_CONSTRAINTS; 'List': defaultConstraints */
  readonly defaultingType?: 'System' | 'List';
}

function parseArgs(args: unknown): { defaults: readonly TopologySpreadConstraint[]; systemDefaulted: boolean } {
  if (args === undefined || args === null) return { defaults: SYSTEM_DEFAULT_CONSTRAINTS, systemDefaulted: true };
  const a = args as PodTopologySpreadArgs;
  const type = a.defaultingType ?? 'System';
  if (type !== 'System' && type !== 'List') throw new Error(`${POD_TOPOLOGY_SPREAD} args: defaultingType must be System or List, got ${JSON.stringify(type)}`);
  if (type === 'System') {
    if (a.defaultConstraints?.length) throw new Error(`${POD_TOPOLOGY_SPREAD} args: defaultConstraints must be empty when defaultingType is System`);
    return { defaults: SYSTEM_DEFAULT_CONSTRAINTS, systemDefaulted: true };
  }
  const defaults = a.defaultConstraints ?? [];
  for (const c of defaults) {
    if (c.labelSelector != null) throw new Error(`${POD_TOPOLOGY_SPREAD} args: defaultConstraints must not set labelSelector`);
    if (!(c.maxSkew > 0) || !c.topologyKey) throw new Error(`${POD_TOPOLOGY_SPREAD} args: invalid default constraint ${JSON.stringify(c)}`);
  }
  return { defaults, systemDefaulted: false };
}

function hasAllKeys(node: NodeInfo, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (node.labels[c.topologyKey] === undefined) return false;
  return true;
}

/** nodeAffinityPolicy / nodeTaintsPolicy: whether the node's domain counts for this pod. */
function includesNode(c: SpreadConstraint, pod: PodInfo, node: NodeInfo, required: RequiredNodeAffinity): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !required.matches(node.name, node.labels)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && node.taints.length && findUntoleratedTaint(node.taints, pod.pod.spec?.tolerations, isDoNotScheduleTaint)) return false;
  return true;
}

export interface FilterState {
  readonly constraints: readonly SpreadConstraint[];
  /** per constraint: domain value → matching pods */
  readonly matchNum: readonly Map<string, number>[];
  /** per constraint: the global minimum (0 when fewer domains than minDomains) */
  readonly minMatch: readonly number[];
}

interface ScoreState {
  /** per feasible node (PreScore's order): the raw score */
  readonly raw: Float64Array;
  /** per feasible node: 1 when it lacks a required topology key (score 0) */
  readonly ignored: Uint8Array;
}

const PRE_FILTER = new StateKey<FilterState>(`PreFilter${POD_TOPOLOGY_SPREAD}`);
const PRE_SCORE = new StateKey<ScoreState>(`PreScore${POD_TOPOLOGY_SPREAD}`);

/** Whether the inclusion policies admit every node for this pod, so cluster-wide counts apply. */
function includesAllNodes(c: SpreadConstraint, required: RequiredNodeAffinity): boolean {
  return (c.nodeAffinityPolicy !== 'Honor' || required.empty) && c.nodeTaintsPolicy !== 'Honor';
}

interface DomainScope {
  readonly pod: PodInfo;
  readonly snapshot: Snapshot;
  readonly required: RequiredNodeAffinity;
  /** only nodes carrying all these keys count */
  readonly requiredKeys: readonly string[];
  /** update only the domains already in the map (Score reads no others) */
  readonly onlyKnown: boolean;
}

/**
 * Adds to `into` the matching pods per domain of constraint `c`, over the nodes that carry the
 * required keys and that the inclusion policies admit: from the cluster-wide index when the
 * policies admit every node, else node by node.
 */
function countDomains(c: SpreadConstraint, into: Map<string, number>, scope: DomainScope): void {
  const { pod, snapshot, required, requiredKeys, onlyKnown } = scope;
  if (includesAllNodes(c, required)) {
    const counts = snapshot.domainCounts.get({ countKey: c.countKey, counts: c.counts, topologyKey: c.topologyKey, requiredKeys }, snapshot.nodes);
    if (onlyKnown) for (const v of into.keys()) into.set(v, counts.get(v) ?? 0);
    else for (const [v, n] of counts) into.set(v, n);
    return;
  }
  for (const node of snapshot.nodes) {
    const v = node.labels[c.topologyKey];
    if (v === undefined || !requiredKeys.every((k) => node.labels[k] !== undefined)) continue;
    const have = into.get(v);
    if ((onlyKnown && have === undefined) || !includesNode(c, pod, node, required)) continue;
    into.set(v, (have ?? 0) + countOn(c, node, snapshot));
  }
}

/** Counts matching pods per domain over every eligible node (PreFilter), as kube-scheduler does. */
export function filterState(pod: PodInfo, constraints: readonly SpreadConstraint[], snapshot: Snapshot): FilterState {
  const required = new RequiredNodeAffinity(pod.pod);
  const scope: DomainScope = { pod, snapshot, required, requiredKeys: constraints.map((c) => c.topologyKey), onlyKnown: false };
  const matchNum = constraints.map((c) => {
    const m = new Map<string, number>();
    countDomains(c, m, scope);
    return m;
  });
  const minMatch = constraints.map((c, i) => {
    const m = matchNum[i]!;
    if (m.size < c.minDomains || m.size === 0) return 0;
    let min = Infinity;
    for (const n of m.values()) if (n < min) min = n;
    return min;
  });
  return { constraints, matchNum, minMatch };
}

/** Whether placing the pod on `node` keeps every hard constraint's skew within maxSkew. */
export function fits(s: FilterState, node: NodeInfo): Status {
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    const v = node.labels[c.topologyKey];
    if (v === undefined) return REJECT_LABEL;
    const skew = (s.matchNum[i]!.get(v) ?? 0) + (c.selfMatch ? 1 : 0) - s.minMatch[i]!;
    if (skew > c.maxSkew) return REJECT_SKEW;
  }
  return SUCCESS;
}

/** kube-scheduler's weight of a topology with `size` domains. */
function topologyNormalizingWeight(size: number): number {
  return Math.log(size + 2);
}

class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = POD_TOPOLOGY_SPREAD;
  readonly events = [ASSIGNED_POD_ADD, ASSIGNED_POD_UPDATE, ASSIGNED_POD_DELETE, NODE_ADD, NODE_UPDATE, NODE_DELETE];

  constructor(
    private readonly handle: FrameworkHandle,
    private readonly defaults: readonly TopologySpreadConstraint[],
    private readonly systemDefaulted: boolean,
  ) {}

  /** Soft constraints for scoring: the pod's own, or the defaults over the pod's workload. */
  private scoringConstraints(pod: PodInfo): SpreadConstraint[] {
    if ((pod.pod.spec?.topologySpreadConstraints ?? []).length > 0) return podConstraints(pod, 'ScheduleAnyway');
    return this.defaultConstraints(pod, 'ScheduleAnyway');
  }

  private defaultConstraints(pod: PodInfo, when: string): SpreadConstraint[] {
    const defaults = this.defaults.filter((c) => c.whenUnsatisfiable === when);
    if (defaults.length === 0) return [];
    const source = this.handle.cluster.defaultSpreadSelector;
    if (source) {
      const selector = source.call(this.handle.cluster, pod.pod);
      if (!selector || selector.empty || selector.requirements.length === 0) return [];
      return defaults.map((c) => selectorConstraint(pod, c, selector));
    }
    // Without listers: the pods of the same controller (ReplicaSet, StatefulSet, ...).
    const owner = pod.controllerRef;
    if (!owner || !SPREAD_OWNER_KINDS.has(owner.kind)) return [];
    const ns = pod.namespace;
    // the controller's pods by node, looked up once per cycle (constraints are built per cycle)
    let controlled: ReadonlyMap<NodeInfo, number> | undefined;
    return defaults.map((c) => ({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
      counts: (p: PodInfo) => p.namespace === ns && !p.terminating && p.controllerRef?.uid === owner.uid,
      countKey: `pts-owner\u0000${owner.uid}`,
      countOn: (node: NodeInfo, snapshot: Snapshot) => (controlled ??= snapshot.controlledPods(ns, owner.uid) ?? NO_NODES).get(node) ?? 0,
      selfMatch: true,
    }));
  }

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Status {
    let constraints: SpreadConstraint[];
    try {
      constraints = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0 ? podConstraints(pod, 'DoNotSchedule') : this.defaultConstraints(pod, 'DoNotSchedule');
    } catch (e) {
      return errorStatus(e);
    }
    if (constraints.length === 0) return SKIP;
    state.write(PRE_FILTER, filterState(pod, constraints, snapshot));
    return SUCCESS;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read(PRE_FILTER);
    return s ? fits(s, node) : SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    let constraints: SpreadConstraint[];
    try {
      constraints = this.scoringConstraints(pod);
    } catch (e) {
      return errorStatus(e);
    }
    if (constraints.length === 0 || nodes.length === 0) return SKIP;
    // Only the pod's own or configured constraints require every key: nodes without a zone
    // label still get hostname spreading from the system defaults.
    const requireAll = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0 || !this.systemDefaulted;
    const n = nodes.length;
    const ignored = new Uint8Array(n);
    let ignoredCount = 0;
    const values = constraints.map(() => new Array<string | undefined>(n));
    const pairCounts = constraints.map(() => new Map<string, number>());
    /** some feasible node carries a non-hostname key, so domain counts are needed */
    let labelled = false;
    for (let j = 0; j < n; j++) {
      const node = nodes[j]!;
      if (requireAll && !hasAllKeys(node, constraints)) {
        ignored[j] = 1;
        ignoredCount++;
        continue;
      }
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        const v = node.labels[c.topologyKey];
        values[i]![j] = v;
        if (c.topologyKey === LABEL_HOSTNAME) continue;
        if (v !== undefined) labelled = true;
        if (!pairCounts[i]!.has(v ?? '')) pairCounts[i]!.set(v ?? '', 0);
      }
    }
    const weights = constraints.map((c, i) => topologyNormalizingWeight(c.topologyKey === LABEL_HOSTNAME ? n - ignoredCount : pairCounts[i]!.size));
    if (labelled) {
      const scope: DomainScope = {
        pod,
        snapshot,
        required: new RequiredNodeAffinity(pod.pod),
        requiredKeys: requireAll ? constraints.map((c) => c.topologyKey) : [],
        onlyKnown: true,
      };
      constraints.forEach((c, i) => {
        if (c.topologyKey !== LABEL_HOSTNAME) countDomains(c, pairCounts[i]!, scope);
      });
    }
    // Each node's raw score: matching pods in its domain times the topology's weight, plus maxSkew - 1.
    const raw = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      if (ignored[j]) continue;
      let score = 0;
      for (let i = 0; i < constraints.length; i++) {
        const v = values[i]![j];
        if (v === undefined) continue;
        const c = constraints[i]!;
        const count = c.topologyKey === LABEL_HOSTNAME ? countOn(c, nodes[j]!, snapshot) : (pairCounts[i]!.get(v) ?? 0);
        score += count * weights[i]! + (c.maxSkew - 1);
      }
      raw[j] = Math.round(score);
    }
    state.write(PRE_SCORE, { raw, ignored });
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, _node: NodeInfo, index: number): number {
    return state.read(PRE_SCORE)?.raw[index] ?? 0;
  }

  normalizeScore(state: CycleState, _pod: PodInfo, _nodes: readonly NodeInfo[], scores: Float64Array): Status {
    const s = state.read(PRE_SCORE);
    if (!s) return SUCCESS;
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored[i]) continue;
      if (scores[i]! < min) min = scores[i]!;
      if (scores[i]! > max) max = scores[i]!;
    }
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored[i]) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
    }
    return SUCCESS;
  }
}

/** args: PodTopologySpreadArgs */
export const newPodTopologySpread: PluginFactory = (handle, args) => {
  const { defaults, systemDefaulted } = parseArgs(args);
  return new PodTopologySpread(handle, defaults, systemDefaulted);
};

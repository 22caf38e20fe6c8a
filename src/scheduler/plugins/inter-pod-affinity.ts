// InterPodAffinity: pod affinity and anti-affinity over topology domains.
// Filter: the pod's required affinity terms need a matching pod in the node's domain (or, for the
// first pod of a group that matches its own terms, no matching pod anywhere); its required
// anti-affinity terms need none; and no existing pod's required anti-affinity may select it in
// the node's domain. Score: the incoming pod's preferred terms, plus existing pods' preferred
// terms and required affinity (weight hardPodAffinityWeight) that select the incoming pod.
import type { CycleState, FilterPlugin, FrameworkHandle, PluginFactory, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework.js';
import {
  ASSIGNED_POD_ADD,
  ASSIGNED_POD_DELETE,
  ASSIGNED_POD_UPDATE,
  MAX_NODE_SCORE,
  NODE_ADD,
  NODE_UPDATE,
  SKIP,
  StateKey,
  SUCCESS,
  Status,
  unresolvable,
  unschedulable,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { AffinityTerm, AffinityTerms, NamespaceLabels, PodInfo } from '../pod-info.js';
import { usesNamespaceLabels } from '../pod-info.js';
import type { Snapshot } from '../snapshot.js';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

const REJECT_AFFINITY = unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
const REJECT_ANTI_AFFINITY = unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
const REJECT_EXISTING_ANTI_AFFINITY = unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);

/** topology key → domain value → count (or score) */
export type TopologyCounts = Map<string, Map<string, number>>;

/** Adds `n` to the node's domain of `topologyKey`, if the node has that label. */
function add(m: TopologyCounts, node: NodeInfo, topologyKey: string, n: number): void {
  const v = node.labels[topologyKey];
  if (v !== undefined && n !== 0) addValue(m, topologyKey, v, n);
}

function get(m: TopologyCounts, topologyKey: string, value: string): number {
  return m.get(topologyKey)?.get(value) ?? 0;
}

interface Selection {
  readonly snapshot: Snapshot;
  /** pods selected by all of these terms count */
  readonly terms: readonly AffinityTerm[];
  readonly topologyKey: string;
  /** added per selected pod (negative for anti-affinity scores) */
  readonly weight: number;
  readonly nsLabels: NamespaceLabels | undefined;
}

/**
 * Adds, for each domain of `topologyKey`, `weight` times the number of pods that all of `terms`
 * select: from the cluster-wide index when no term reads namespace labels, else node by node.
 */
function addSelected(into: TopologyCounts, sel: Selection): void {
  const { snapshot, terms, topologyKey, weight, nsLabels } = sel;
  const match = (p: PodInfo): boolean => terms.every((t) => t.matches(p, nsLabels));
  if (!terms.some(usesNamespaceLabels)) {
    const countKey = terms.length === 1 ? terms[0]!.key : terms.map((t) => t.key).join('&');
    const counts = snapshot.domainCounts.get({ countKey, counts: match, topologyKey }, snapshot.nodes);
    for (const [v, n] of counts) if (n !== 0) addValue(into, topologyKey, v, weight * n);
    return;
  }
  for (const node of snapshot.nodes) {
    let n = 0;
    for (const p of node.pods.values()) if (match(p)) n++;
    add(into, node, topologyKey, weight * n);
  }
}

function addValue(m: TopologyCounts, topologyKey: string, v: string, n: number): void {
  let values = m.get(topologyKey);
  if (!values) m.set(topologyKey, (values = new Map()));
  const sum = (values.get(v) ?? 0) + n;
  if (sum === 0) values.delete(v);
  else values.set(v, sum);
  if (values.size === 0) m.delete(topologyKey);
}

interface ExistingTermsQuery {
  /** the node's pods whose terms to read */
  pods: readonly PodInfo[];
  /** names the kind of incoming pod (its signature) and what `collect` gathers */
  readonly memoKey: string;
  /** pushes [topology key, weight] for each of the existing pod's terms that selects the incoming pod */
  readonly collect: (existing: PodInfo, out: [string, number][]) => void;
}

/**
 * What existing pods' terms on `node` say about the incoming pod, memoized per node under
 * `q.memoKey` unless some term on the node reads namespace labels.
 */
function existingTerms(node: NodeInfo, q: ExistingTermsQuery): readonly [string, number][] {
  const compute = (): [string, number][] => {
    const out: [string, number][] = [];
    for (const existing of q.pods) q.collect(existing, out);
    return out;
  };
  return node.podsWithNamespaceSelectors === 0 ? node.memo(q.memoKey, compute) : compute();
}

export interface FilterState {
  readonly terms: AffinityTerms;
  /** domains where an existing pod's required anti-affinity selects the incoming pod */
  readonly existingAntiAffinity: TopologyCounts;
  /** domains holding pods that match all of the incoming pod's required affinity terms */
  readonly affinity: TopologyCounts;
  /** domains holding pods that match one of the incoming pod's required anti-affinity terms */
  readonly antiAffinity: TopologyCounts;
  /** the incoming pod matches all of its own required affinity terms */
  readonly selfMatch: boolean;
}

/** PreFilter's counts over the cluster. */
export function filterState(pod: PodInfo, snapshot: Snapshot, nsLabels: NamespaceLabels | undefined): FilterState {
  const terms = pod.affinityTerms;
  const existingAntiAffinity: TopologyCounts = new Map();
  const opts: ExistingTermsQuery = {
    pods: [],
    memoKey: `ipa-required-anti\u0000${pod.signature}`,
    collect: (existing: PodInfo, out: [string, number][]) => {
      for (const t of existing.affinityTerms.requiredAntiAffinity) if (t.matches(pod, nsLabels)) out.push([t.topologyKey, 1]);
    },
  };
  for (const node of snapshot.nodesWithRequiredAntiAffinityPods()) {
    opts.pods = node.podsWithRequiredAntiAffinity;
    for (const [key, n] of existingTerms(node, opts)) add(existingAntiAffinity, node, key, n);
  }
  const affinity: TopologyCounts = new Map();
  const antiAffinity: TopologyCounts = new Map();
  if (terms.requiredAffinity.length) {
    for (const key of new Set(terms.requiredAffinity.map((t) => t.topologyKey))) {
      // Each term adds the count of pods matching all terms under its own key.
      const times = terms.requiredAffinity.filter((t) => t.topologyKey === key).length;
      addSelected(affinity, { snapshot, terms: terms.requiredAffinity, topologyKey: key, weight: times, nsLabels });
    }
  }
  for (const t of terms.requiredAntiAffinity) addSelected(antiAffinity, { snapshot, terms: [t], topologyKey: t.topologyKey, weight: 1, nsLabels });
  const selfMatch = terms.requiredAffinity.every((t) => t.matches(pod, nsLabels));
  return { terms, existingAntiAffinity, affinity, antiAffinity, selfMatch };
}

/** Filter's verdict for one node. */
export function fits(s: FilterState, node: NodeInfo): Status {
  let podsExist = true;
  for (const t of s.terms.requiredAffinity) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) return REJECT_AFFINITY;
    if (get(s.affinity, t.topologyKey, v) <= 0) podsExist = false;
  }
  // The first pod of a group with affinity to itself may go anywhere with the keys.
  if (!podsExist && !(s.affinity.size === 0 && s.selfMatch)) return REJECT_AFFINITY;
  if (s.antiAffinity.size > 0) {
    for (const t of s.terms.requiredAntiAffinity) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined && get(s.antiAffinity, t.topologyKey, v) > 0) return REJECT_ANTI_AFFINITY;
    }
  }
  for (const [key, values] of s.existingAntiAffinity) {
    const v = node.labels[key];
    if (v !== undefined && (values.get(v) ?? 0) > 0) return REJECT_EXISTING_ANTI_AFFINITY;
  }
  return SUCCESS;
}

const PRE_FILTER = new StateKey<FilterState>(`PreFilter${INTER_POD_AFFINITY}`);
const PRE_SCORE = new StateKey<TopologyCounts>(`PreScore${INTER_POD_AFFINITY}`);

export interface InterPodAffinityArgs {
  /** weight of existing pods' required affinity terms that select the incoming pod (0..100, default 1) */
  readonly hardPodAffinityWeight?: number;
  /** score only the incoming pod's preferred terms */
  readonly ignorePreferredTermsOfExistingPods?: boolean;
}

function parseArgs(args: unknown): Required<InterPodAffinityArgs> {
  const a = (args ?? {}) as InterPodAffinityArgs;
  const w = a.hardPodAffinityWeight ?? 1;
  if (!Number.isInteger(w) || w < 0 || w > 100) throw new Error(`${INTER_POD_AFFINITY} args: hardPodAffinityWeight must be an integer in 0..100, got ${JSON.stringify(w)}`);
  return { hardPodAffinityWeight: w, ignorePreferredTermsOfExistingPods: a.ignorePreferredTermsOfExistingPods === true };
}

class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = INTER_POD_AFFINITY;
  readonly events = [ASSIGNED_POD_ADD, ASSIGNED_POD_UPDATE, ASSIGNED_POD_DELETE, NODE_ADD, NODE_UPDATE];

  constructor(
    private readonly handle: FrameworkHandle,
    private readonly args: Required<InterPodAffinityArgs>,
  ) {}

  private get nsLabels(): NamespaceLabels | undefined {
    const c = this.handle.cluster;
    return c.namespaceLabels ? (ns) => c.namespaceLabels!(ns) : undefined;
  }

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Status {
    const terms = pod.affinityTerms;
    if (terms.error) return unresolvable(`parsing pod: ${terms.error}`);
    if (terms.requiredAffinity.length === 0 && terms.requiredAntiAffinity.length === 0 && snapshot.nodesWithRequiredAntiAffinityPods().length === 0) return SKIP;
    const s = filterState(pod, snapshot, this.nsLabels);
    if (s.existingAntiAffinity.size === 0 && terms.requiredAffinity.length === 0 && terms.requiredAntiAffinity.length === 0) return SKIP;
    state.write(PRE_FILTER, s);
    return SUCCESS;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read(PRE_FILTER);
    return s ? fits(s, node) : SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    if (pod.affinityTerms.error) return SKIP;
    const terms = pod.affinityTerms;
    const hasOwn = terms.preferredAffinity.length > 0 || terms.preferredAntiAffinity.length > 0;
    if (this.args.ignorePreferredTermsOfExistingPods && !hasOwn) return SKIP;
    if (!hasOwn && snapshot.nodesWithAffinityPods().length === 0) return SKIP;
    const nsLabels = this.nsLabels;
    const scores: TopologyCounts = new Map();
    for (const { term, weight } of terms.preferredAffinity) addSelected(scores, { snapshot, terms: [term], topologyKey: term.topologyKey, weight, nsLabels });
    for (const { term, weight } of terms.preferredAntiAffinity) addSelected(scores, { snapshot, terms: [term], topologyKey: term.topologyKey, weight: -weight, nsLabels });
    if (!this.args.ignorePreferredTermsOfExistingPods) {
      const hard = this.args.hardPodAffinityWeight;
      const opts: ExistingTermsQuery = {
        pods: [],
        memoKey: `ipa-score\u0000${hard}\u0000${pod.signature}`,
        collect: (existing: PodInfo, out: [string, number][]) => {
          const et = existing.affinityTerms;
          if (hard > 0) for (const t of et.requiredAffinity) if (t.matches(pod, nsLabels)) out.push([t.topologyKey, hard]);
          for (const { term, weight } of et.preferredAffinity) if (term.matches(pod, nsLabels)) out.push([term.topologyKey, weight]);
          for (const { term, weight } of et.preferredAntiAffinity) if (term.matches(pod, nsLabels)) out.push([term.topologyKey, -weight]);
        },
      };
      for (const node of snapshot.nodesWithAffinityPods()) {
        opts.pods = node.podsWithAffinity;
        for (const [key, n] of existingTerms(node, opts)) add(scores, node, key, n);
      }
    }
    if (scores.size === 0) return SKIP;
    state.write(PRE_SCORE, scores);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read(PRE_SCORE);
    if (!s) return 0;
    let score = 0;
    for (const [key, values] of s) {
      const v = node.labels[key];
      if (v !== undefined) score += values.get(v) ?? 0;
    }
    return score;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, _nodes: readonly NodeInfo[], scores: Float64Array): Status {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / diff)) : 0; // float order as kube-scheduler's
    return SUCCESS;
  }
}

/** args: InterPodAffinityArgs */
export const newInterPodAffinity: PluginFactory = (handle, args) => new InterPodAffinity(handle, parseArgs(args));

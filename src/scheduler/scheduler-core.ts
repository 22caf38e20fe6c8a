// One scheduling decision, as kube-scheduler's schedulePod makes it: PreFilter → Filter over
// the nodes (starting where the previous search stopped, until enough feasible nodes are found)
// → PreScore → Score → NormalizeScore → weighted sum → the highest total, ties broken at random.
// Synchronous and pure except for the profile's round-robin start index.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Diagnosis } from './framework.js';
import { CycleState, MAX_NODE_SCORE, PreFilterResult, Status } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { PodInfo, podInfoOf } from './pod-info.js';
import type { Profile } from './profile.js';
import type { Snapshot } from './snapshot.js';

/** kube-scheduler's message when the cluster has no nodes. */
export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Below this many nodes every node is searched; above it the search stops after this many at least. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never drops below this. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

export interface ScheduleSuccess {
  readonly node: string;
  /** the cycle's state, for the Reserve and Bind plugins of the same pod */
  readonly state: CycleState;
  /** nodes Filter looked at */
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
}

export interface FitFailure {
  /** Kubernetes' wording, e.g. `0/3 nodes are available: 3 Insufficient cpu.` */
  readonly message: string;
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;
}

export type ScheduleResult = ScheduleSuccess | { readonly failure: FitFailure } | { readonly error: Error };

/**
 * How many feasible nodes to find before scoring (numFeasibleNodesToFind): all below 100
 * nodes; otherwise `percentage` of them (adaptive when 0: 50% minus 1% per 125 nodes, at least
 * 5%), and never fewer than 100.
 */
export function numFeasibleNodesToFind(percentage: number, numNodes: number): number {
  if (numNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return numNodes;
  let pct = percentage;
  if (pct === 0) pct = Math.max(50 - Math.trunc(numNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  const n = Math.trunc((numNodes * pct) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

/** Go's sort.Strings order (byte-wise; the same as code-unit order for these ASCII reasons). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * FitError.Error(): `0/N nodes are available: ` then the PreFilter message, or the reasons of
 * the rejected nodes counted and sorted as strings (`1 node(s) had untolerated taint {a: b}, 2
 * Insufficient memory`), each part ending in a period. Nodes a PreFilter result excluded count
 * under `options.absentReasons`. The preemption suffix kube-scheduler appends is not produced (skiff
 * does not preempt).
 */
export function fitErrorMessage(numAllNodes: number, diagnosis: Diagnosis, options: { readonly absentReasons?: readonly string[] } = {}): string {
  const absentReasons = options.absentReasons ?? [];
  let msg = `0/${numAllNodes} nodes are available:`;
  if (diagnosis.preFilterMessage) return `${msg} ${diagnosis.preFilterMessage}.`;
  const histogram = new Map<string, number>();
  for (const status of diagnosis.nodeToStatus.values()) for (const r of status.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const absent = numAllNodes - diagnosis.nodeToStatus.size;
  if (absent > 0) for (const r of absentReasons) histogram.set(r, (histogram.get(r) ?? 0) + absent);
  const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort(compareStrings);
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  return msg;
}

function failure(numAllNodes: number, diagnosis: Diagnosis, absentReasons: readonly string[] = []): { failure: FitFailure } {
  return { failure: { message: fitErrorMessage(numAllNodes, diagnosis, { absentReasons }), numAllNodes, diagnosis } };
}

/** Go's fmt of a sorted []string: `[A B]`. */
function goList(names: Iterable<string>): string {
  return `[${[...names].sort(compareStrings).join(' ')}]`;
}

// Score buffers reused across cycles (schedulePod is synchronous, so never shared).
let pluginScores = new Float64Array(256);
let totals = new Float64Array(256);

/**
 * Picks a node for `podOrInfo` among `snapshot`'s nodes using `profile`'s plugins. Never throws: a
 * plugin Error becomes `{ error }`; no fitting node becomes `{ failure }` with Kubernetes'
 * message. Advances `profile.nextStartNodeIndex`.
 */
export function schedulePod(podOrInfo: Pod | PodInfo, snapshot: Snapshot, profile: Profile): ScheduleResult {
  const pod = podOrInfo instanceof PodInfo ? podOrInfo : podInfoOf(podOrInfo);
  const all = snapshot.nodes;
  if (all.length === 0) {
    return { failure: { message: ERR_NO_NODES_AVAILABLE, numAllNodes: 0, diagnosis: { nodeToStatus: new Map(), unschedulablePlugins: new Set() } } };
  }
  const state = new CycleState();

  // PreFilter
  let allowed: Set<string> | undefined;
  const narrowedBy: string[] = [];
  for (const p of profile.preFilter) {
    const r = p.preFilter(state, pod, snapshot);
    if (r instanceof PreFilterResult) {
      narrowedBy.push(p.name);
      allowed = allowed ? new Set([...allowed].filter((n) => r.nodeNames.has(n))) : new Set(r.nodeNames);
      continue;
    }
    if (r.code === 'Success') continue;
    if (r.code === 'Skip') {
      state.skipFilter.add(p.name);
      continue;
    }
    if (r.code === 'Error') return { error: r.error ?? new Error(r.message()) };
    return failure(all.length, { nodeToStatus: new Map(), unschedulablePlugins: new Set([p.name]), preFilterMessage: r.message() });
  }
  if (allowed && allowed.size === 0) {
    const msg = narrowedBy.length === 1 ? `node(s) didn't satisfy plugin ${narrowedBy[0]}` : `node(s) didn't satisfy plugin(s) ${goList(narrowedBy)} simultaneously`;
    return failure(all.length, { nodeToStatus: new Map(), unschedulablePlugins: new Set(narrowedBy), preFilterMessage: msg });
  }

  // Filter
  const nodes = allowed ? all.filter((n) => allowed.has(n.name)) : all;
  const filters = state.skipFilter.size ? profile.filter.filter((p) => !state.skipFilter.has(p.name)) : profile.filter;
  const toFind = numFeasibleNodesToFind(profile.percentageOfNodesToScore, nodes.length);
  const feasible: NodeInfo[] = [];
  const nodeToStatus = new Map<string, Status>();
  const unschedulablePlugins = new Set<string>(narrowedBy);
  const start = nodes.length ? profile.nextStartNodeIndex % nodes.length : 0;
  for (let i = 0; i < nodes.length && feasible.length < toFind; i++) {
    const node = nodes[(start + i) % nodes.length]!;
    let rejected: Status | undefined;
    for (let j = 0; j < filters.length; j++) {
      const st = filters[j]!.filter(state, pod, node);
      if (st.code === 'Success') continue;
      if (st.code === 'Error') return { error: st.error ?? new Error(st.message()) };
      rejected = st;
      unschedulablePlugins.add(filters[j]!.name);
      break;
    }
    if (rejected) nodeToStatus.set(node.name, rejected);
    else feasible.push(node);
  }
  profile.nextStartNodeIndex = (start + feasible.length + nodeToStatus.size) % all.length;
  if (feasible.length === 0) {
    const absent = allowed ? [`node(s) didn't satisfy plugin(s) ${goList(narrowedBy)}`] : [];
    return failure(all.length, { nodeToStatus, unschedulablePlugins }, absent);
  }
  const evaluatedNodes = feasible.length + nodeToStatus.size;
  if (feasible.length === 1) return { node: feasible[0]!.name, state, evaluatedNodes, feasibleNodes: 1 };

  // PreScore
  for (const p of profile.preScore) {
    const st = p.preScore(state, pod, feasible, snapshot);
    if (st.code === 'Skip') state.skipScore.add(p.name);
    else if (st.code !== 'Success') return { error: st.error ?? new Error(`${p.name} PreScore: ${st.message()}`) };
  }

  // Score, normalize, weigh
  const n = feasible.length;
  if (totals.length < n) {
    totals = new Float64Array(n * 2);
    pluginScores = new Float64Array(n * 2);
  }
  const total = totals.subarray(0, n);
  const scores = pluginScores.subarray(0, n);
  total.fill(0);
  for (const { plugin, weight } of profile.score) {
    if (state.skipScore.has(plugin.name)) continue;
    for (let i = 0; i < n; i++) scores[i] = plugin.score(state, pod, feasible[i]!, i);
    if (plugin.normalizeScore) {
      const st = plugin.normalizeScore(state, pod, feasible, scores);
      if (st.code !== 'Success') return { error: st.error ?? new Error(`${plugin.name} NormalizeScore: ${st.message()}`) };
    }
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      if (s < 0 || s > MAX_NODE_SCORE) return { error: new Error(`plugin "${plugin.name}" returns an invalid score ${s}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`) };
      total[i] += s * weight;
    }
  }
  return { node: feasible[selectHost(total, profile.random)]!.name, state, evaluatedNodes, feasibleNodes: n };
}

/** The index of a highest total; each of several equal highest totals is equally likely. */
export function selectHost(totals: Float64Array, random: () => number): number {
  let max = -Infinity;
  let ties = 0;
  for (let i = 0; i < totals.length; i++) {
    if (totals[i]! > max) {
      max = totals[i]!;
      ties = 1;
    } else if (totals[i] === max) ties++;
  }
  let pick = ties > 1 ? Math.floor(random() * ties) : 0;
  for (let i = 0; i < totals.length; i++) if (totals[i] === max && pick-- === 0) return i;
  return 0;
}

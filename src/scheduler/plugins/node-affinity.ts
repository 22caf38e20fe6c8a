// NodeAffinity: Filter enforces spec.nodeSelector and required node affinity; PreFilter narrows
// the search to named nodes when every required term lists `metadata.name`s; Score adds up the
// weights of the preferred terms a node matches.
import type { CycleState, FilterPlugin, PluginFactory, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status } from '../framework.js';
import { MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, PreFilterResult, SKIP, StateKey, SUCCESS, defaultNormalizeScore, unresolvable } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { PreferredNodeAffinity, RequiredNodeAffinity, nodeNamesFromAffinity } from '../node-selector.js';
import type { PodInfo } from '../pod-info.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
/** PreFilter: the terms name nodes, but no node satisfies all of them. */
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const REJECTED = unresolvable(ERR_REASON_POD);
const PRE_FILTER = new StateKey<RequiredNodeAffinity>(`PreFilter${NODE_AFFINITY}`);
const PRE_SCORE = new StateKey<PreferredNodeAffinity>(`PreScore${NODE_AFFINITY}`);

/** Whether the node satisfies the pod's nodeSelector and required node affinity. */
export function fits(required: RequiredNodeAffinity, node: NodeInfo): boolean {
  return required.matches(node.name, node.labels);
}

class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_AFFINITY;
  readonly events = [NODE_ADD, NODE_UPDATE];

  preFilter(state: CycleState, pod: PodInfo): Status | PreFilterResult {
    const required = new RequiredNodeAffinity(pod.pod);
    if (required.empty) return SKIP;
    state.write(PRE_FILTER, required);
    const names = nodeNamesFromAffinity(pod.pod);
    if (names === undefined) return SUCCESS;
    if (names.size === 0) return unresolvable(ERR_REASON_CONFLICT);
    return new PreFilterResult(names);
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const required = state.read(PRE_FILTER) ?? new RequiredNodeAffinity(pod.pod);
    return fits(required, node) ? SUCCESS : REJECTED;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const preferred = new PreferredNodeAffinity(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    if (preferred.empty) return SKIP;
    state.write(PRE_SCORE, preferred);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    return state.read(PRE_SCORE)?.score(node.name, node.labels) ?? 0;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, _nodes: readonly NodeInfo[], scores: Float64Array): Status {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
    return SUCCESS;
  }
}

export const newNodeAffinity: PluginFactory = () => new NodeAffinity();

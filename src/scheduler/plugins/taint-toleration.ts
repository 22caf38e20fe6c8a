// TaintToleration: Filter rejects nodes with a NoSchedule/NoExecute taint the pod does not
// tolerate; Score prefers nodes with fewer untolerated PreferNoSchedule taints.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { CycleState, FilterPlugin, PluginFactory, PreScorePlugin, ScorePlugin, Status } from '../framework.js';
import { MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, StateKey, SUCCESS, defaultNormalizeScore, unresolvable } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { findUntoleratedTaint, isDoNotScheduleTaint, tolerationsTolerateTaint } from '../tolerations.js';

export const TAINT_TOLERATION = 'TaintToleration';

/** Kubernetes' reason: `node(s) had untolerated taint {key: value}`. */
export function errReasonUntoleratedTaint(t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

/** The first NoSchedule/NoExecute taint of the node that the tolerations do not tolerate. */
export function fits(tolerations: readonly Toleration[] | undefined, node: NodeInfo): Taint | undefined {
  if (node.taints.length === 0) return undefined;
  return findUntoleratedTaint(node.taints, tolerations, isDoNotScheduleTaint);
}

/** How many PreferNoSchedule taints of the node are not tolerated (lower is better). */
export function countIntolerablePreferNoSchedule(taints: readonly Taint[], tolerations: readonly Toleration[]): number {
  let n = 0;
  for (const t of taints) if (t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, t)) n++;
  return n;
}

const PRE_SCORE = new StateKey<readonly Toleration[]>(`PreScore${TAINT_TOLERATION}`);
const NO_TOLERATIONS: readonly Toleration[] = [];

class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = TAINT_TOLERATION;
  readonly events = [NODE_ADD, NODE_UPDATE];

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const taint = fits(pod.pod.spec?.tolerations, node);
    return taint ? unresolvable(errReasonUntoleratedTaint(taint)) : SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const prefer = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(PRE_SCORE, prefer);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    if (node.taints.length === 0) return 0;
    return countIntolerablePreferNoSchedule(node.taints, state.read(PRE_SCORE) ?? NO_TOLERATIONS);
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, _nodes: readonly NodeInfo[], scores: Float64Array): Status {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
    return SUCCESS;
  }
}

export const newTaintToleration: PluginFactory = () => new TaintToleration();

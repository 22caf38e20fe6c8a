// NodeUnschedulable: keeps pods off cordoned nodes (spec.unschedulable) unless they tolerate
// the node.kubernetes.io/unschedulable:NoSchedule taint.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { CycleState, FilterPlugin, PluginFactory, Status } from '../framework.js';
import { NODE_ADD, NODE_UPDATE, SUCCESS, unresolvable } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint } from '../tolerations.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const REJECTED = unresolvable(ERR_REASON_UNSCHEDULABLE);
const UNSCHEDULABLE_TAINT = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

/** Whether `pod` may run on `node` as far as cordoning goes. */
export function fits(pod: Pod, node: NodeInfo): boolean {
  return !node.unschedulable || tolerationsTolerateTaint(pod.spec?.tolerations, UNSCHEDULABLE_TAINT);
}

class NodeUnschedulable implements FilterPlugin {
  readonly name = NODE_UNSCHEDULABLE;
  readonly events = [NODE_ADD, NODE_UPDATE];

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fits(pod.pod, node) ? SUCCESS : REJECTED;
  }
}

export const newNodeUnschedulable: PluginFactory = () => new NodeUnschedulable();

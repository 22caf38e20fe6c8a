// NodeName: a pod that names its node (spec.nodeName) fits only that node.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { CycleState, FilterPlugin, PluginFactory, Status } from '../framework.js';
import { NODE_ADD, SUCCESS, unresolvable } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

const REJECTED = unresolvable(ERR_REASON_NODE_NAME);

export function fits(pod: Pod, node: NodeInfo): boolean {
  const want = pod.spec?.nodeName;
  return !want || want === node.name;
}

class NodeName implements FilterPlugin {
  readonly name = NODE_NAME;
  readonly events = [NODE_ADD];

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fits(pod.pod, node) ? SUCCESS : REJECTED;
  }
}

export const newNodeName: PluginFactory = () => new NodeName();

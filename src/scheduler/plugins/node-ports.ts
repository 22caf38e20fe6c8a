// NodePorts: a pod asking for a host port fits only nodes where no pod holds that port
// (same protocol and port, and the same address or either side bound to 0.0.0.0).
import type { CycleState, FilterPlugin, PluginFactory, PreFilterPlugin, Status } from '../framework.js';
import { ASSIGNED_POD_DELETE, NODE_ADD, SKIP, SUCCESS, unschedulable } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { HostPort, PodInfo } from '../pod-info.js';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const REJECTED = unschedulable(ERR_REASON_NODE_PORTS);

export function fits(wanted: readonly HostPort[], node: NodeInfo): boolean {
  if (node.usedPorts.size === 0) return true;
  for (const p of wanted) if (node.usedPorts.conflicts(p.ip, p.protocol, p.port)) return false;
  return true;
}

class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = NODE_PORTS;
  readonly events = [ASSIGNED_POD_DELETE, NODE_ADD];

  preFilter(_state: CycleState, pod: PodInfo): Status {
    return pod.hostPorts.length === 0 ? SKIP : SUCCESS;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fits(pod.hostPorts, node) ? SUCCESS : REJECTED;
  }
}

export const newNodePorts: PluginFactory = () => new NodePorts();

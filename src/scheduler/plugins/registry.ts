// The in-tree registry: every plugin skiff's scheduler ships, by name.
import type { PluginFactory, Registry } from '../framework.js';
import { IMAGE_LOCALITY, newImageLocality } from './image-locality.js';
import { INTER_POD_AFFINITY, newInterPodAffinity } from './inter-pod-affinity.js';
import { NODE_AFFINITY, newNodeAffinity } from './node-affinity.js';
import { NODE_NAME, newNodeName } from './node-name.js';
import { NODE_PORTS, newNodePorts } from './node-ports.js';
import { NODE_RESOURCES_BALANCED_ALLOCATION, newNodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';
import { NODE_RESOURCES_FIT, newNodeResourcesFit } from './node-resources-fit.js';
import { NODE_RESOURCES_LEAST_ALLOCATED, newNodeResourcesLeastAllocated } from './node-resources-least-allocated.js';
import { NODE_UNSCHEDULABLE, newNodeUnschedulable } from './node-unschedulable.js';
import { POD_TOPOLOGY_SPREAD, newPodTopologySpread } from './pod-topology-spread.js';
import { TAINT_TOLERATION, newTaintToleration } from './taint-toleration.js';

export const IN_TREE_REGISTRY: Registry = new Map<string, PluginFactory>([
  [NODE_UNSCHEDULABLE, newNodeUnschedulable],
  [NODE_NAME, newNodeName],
  [TAINT_TOLERATION, newTaintToleration],
  [NODE_AFFINITY, newNodeAffinity],
  [NODE_PORTS, newNodePorts],
  [NODE_RESOURCES_FIT, newNodeResourcesFit],
  [POD_TOPOLOGY_SPREAD, newPodTopologySpread],
  [INTER_POD_AFFINITY, newInterPodAffinity],
  [NODE_RESOURCES_LEAST_ALLOCATED, newNodeResourcesLeastAllocated],
  [NODE_RESOURCES_BALANCED_ALLOCATION, newNodeResourcesBalancedAllocation],
  [IMAGE_LOCALITY, newImageLocality],
]);

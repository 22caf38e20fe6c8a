// NodeResourcesLeastAllocated: prefers nodes with more room left, per resource
// `(allocatable - requested) * 100 / allocatable`, weighted average over the configured
// resources (cpu and memory, weight 1 each, by default). Requests use the non-zero view so pods
// without requests still spread. This is NodeResourcesFit's default LeastAllocated strategy,
// kept as its own Score plugin.
import type { CycleState, PluginFactory, PreScorePlugin, ScorePlugin, Status } from '../framework.js';
import { MAX_NODE_SCORE, StateKey, SUCCESS } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import type { CompiledResource, ResourceSpec } from './resource-allocation.js';
import { AmountReader, amountOf, parseResourceSpecs } from './resource-allocation.js';

export const NODE_RESOURCES_LEAST_ALLOCATED = 'NodeResourcesLeastAllocated';

/** Score of one resource: the unrequested share of capacity, 0..100 (integer). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** The weighted average of leastRequestedScore over resources with a non-zero allocatable. */
export function leastAllocatedScore(requested: readonly number[], allocatable: readonly number[], specs: readonly ResourceSpec[]): number {
  let total = 0;
  let weights = 0;
  for (let i = 0; i < specs.length; i++) {
    if (allocatable[i] === 0) continue;
    total += leastRequestedScore(requested[i]!, allocatable[i]!) * specs[i]!.weight;
    weights += specs[i]!.weight;
  }
  return weights === 0 ? 0 : Math.trunc(total / weights);
}

const PRE_SCORE = new StateKey<readonly number[]>(`PreScore${NODE_RESOURCES_LEAST_ALLOCATED}`);

class NodeResourcesLeastAllocated implements PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_LEAST_ALLOCATED;
  private readonly reader: AmountReader;

  constructor(private readonly specs: readonly CompiledResource[]) {
    this.reader = new AmountReader(specs, false);
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    state.write(PRE_SCORE, this.specs.map((s) => amountOf(pod.nonZeroRequests, s)));
    return SUCCESS;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const podAmounts = state.read(PRE_SCORE) ?? this.specs.map((s) => amountOf(pod.nonZeroRequests, s));
    this.reader.read(node, podAmounts);
    return leastAllocatedScore(this.reader.requested, this.reader.allocatable, this.specs);
  }
}

/** args: `{ resources?: [{ name, weight }] }` (default cpu and memory, weight 1) */
export const newNodeResourcesLeastAllocated: PluginFactory = (_handle, args) =>
  new NodeResourcesLeastAllocated(parseResourceSpecs(NODE_RESOURCES_LEAST_ALLOCATED, args));

// NodeResourcesBalancedAllocation: prefers nodes whose resources would be used evenly after
// placing the pod: 100 * (1 - standard deviation of the requested/allocatable fractions).
// Uses real requests; best-effort pods (no requests) are not scored, so they do not pile up.
import type { CycleState, PluginFactory, PreScorePlugin, ScorePlugin, Status } from '../framework.js';
import { MAX_NODE_SCORE, SKIP, StateKey, SUCCESS } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import type { CompiledResource } from './resource-allocation.js';
import { AmountReader, amountOf, parseResourceSpecs } from './resource-allocation.js';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

/** requested/allocatable capped at 1 */
function fraction(requested: number, allocatable: number): number {
  const f = requested / allocatable;
  return f > 1 ? 1 : f;
}

/** 100 * (1 - std) of the fractions (each capped at 1) of resources with a non-zero allocatable. */
export function balancedScore(requested: readonly number[], allocatable: readonly number[]): number {
  let n = 0;
  let sum = 0;
  let first = 0;
  let second = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = fraction(requested[i]!, allocatable[i]!);
    if (n === 0) first = f;
    else if (n === 1) second = f;
    sum += f;
    n++;
  }
  let std = 0;
  if (n === 2) std = Math.abs((first - second) / 2);
  else if (n > 2) {
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const d = fraction(requested[i]!, allocatable[i]!) - mean;
      sq += d * d;
    }
    std = Math.sqrt(sq / n);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

const PRE_SCORE = new StateKey<readonly number[]>(`PreScore${NODE_RESOURCES_BALANCED_ALLOCATION}`);

class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_BALANCED_ALLOCATION;
  private readonly reader: AmountReader;

  constructor(private readonly specs: readonly CompiledResource[]) {
    this.reader = new AmountReader(specs, true);
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const amounts = this.specs.map((s) => amountOf(pod.requests, s));
    if (amounts.every((a) => a === 0)) return SKIP;
    state.write(PRE_SCORE, amounts);
    return SUCCESS;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const podAmounts = state.read(PRE_SCORE) ?? this.specs.map((s) => amountOf(pod.requests, s));
    this.reader.read(node, podAmounts);
    return balancedScore(this.reader.requested, this.reader.allocatable);
  }
}

/** args: `{ resources?: [{ name, weight }] }` (default cpu and memory; weights are not used) */
export const newNodeResourcesBalancedAllocation: PluginFactory = (_handle, args) =>
  new NodeResourcesBalancedAllocation(parseResourceSpecs(NODE_RESOURCES_BALANCED_ALLOCATION, args));

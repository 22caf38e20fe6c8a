// What the resource-allocation scorers (NodeResourcesLeastAllocated,
// NodeResourcesBalancedAllocation) share: the resources they weigh, compiled so that reading a
// node's amounts costs no string work in the per-node Score loop.
import type { NodeInfo } from '../node-info.js';
import type { Resources } from '../resources.js';
import { CPU, EPHEMERAL_STORAGE, MEMORY, isScalarResourceName } from '../resources.js';

export interface ResourceSpec {
  readonly name: string;
  readonly weight: number;
}

export const DEFAULT_RESOURCES: readonly ResourceSpec[] = Object.freeze([
  { name: CPU, weight: 1 },
  { name: MEMORY, weight: 1 },
]);

const KIND_CPU = 0;
const KIND_MEMORY = 1;
const KIND_EPHEMERAL = 2;
const KIND_SCALAR = 3;
/** a native resource the scorers do not know: always [0, 0], so it is left out */
const KIND_OTHER = 4;

export interface CompiledResource extends ResourceSpec {
  readonly kind: number;
}

/** `{ resources?: [{ name, weight }] }`; throws Error naming the plugin on bad args. */
export function parseResourceSpecs(plugin: string, args: unknown): readonly CompiledResource[] {
  let specs: readonly ResourceSpec[] = DEFAULT_RESOURCES;
  const resources = args === undefined || args === null ? undefined : (args as { resources?: unknown }).resources;
  if (resources !== undefined) {
    const ok =
      Array.isArray(resources) &&
      resources.every((r: unknown) => {
        const s = r as Partial<ResourceSpec> | null;
        return typeof s === 'object' && s !== null && typeof s.name === 'string' && Number.isInteger(s.weight) && s.weight! >= 1 && s.weight! <= 100;
      });
    if (!ok) throw new Error(`${plugin} args: resources must be [{name, weight 1..100}], got ${JSON.stringify(resources)}`);
    specs = resources as ResourceSpec[];
  }
  return specs.map((s) => ({ name: s.name, weight: s.weight, kind: kindOf(s.name) }));
}

function kindOf(name: string): number {
  if (name === CPU) return KIND_CPU;
  if (name === MEMORY) return KIND_MEMORY;
  if (name === EPHEMERAL_STORAGE) return KIND_EPHEMERAL;
  return isScalarResourceName(name) ? KIND_SCALAR : KIND_OTHER;
}

/** The amount of `r` in `res` (cpu in milli-cores, others in units). */
export function amountOf(res: Resources, r: CompiledResource): number {
  switch (r.kind) {
    case KIND_CPU:
      return res.milliCPU;
    case KIND_MEMORY:
      return res.memory;
    case KIND_EPHEMERAL:
      return res.ephemeralStorage;
    case KIND_SCALAR:
      return res.scalar?.get(r.name) ?? 0;
    default:
      return 0;
  }
}

/**
 * Reads a node's amounts of the scored resources into reusable buffers (no allocation in the
 * per-node Score loop): `allocatable[i]`, and `requested[i]`, the node's requests plus the pod's.
 */
export class AmountReader {
  readonly allocatable: number[];
  readonly requested: number[];
  /**
   * the scored resources are exactly cpu then memory (the default): read straight from the node,
   * without the per-resource loop (Score runs once per feasible node, hundreds of times per pod)
   */
  private readonly cpuThenMemory: boolean;

  /** `useRequested` picks the real requests over the non-zero view for cpu and memory. */
  constructor(
    readonly resources: readonly CompiledResource[],
    private readonly useRequested: boolean,
  ) {
    this.allocatable = new Array<number>(resources.length).fill(0);
    this.requested = new Array<number>(resources.length).fill(0);
    this.cpuThenMemory = resources.length === 2 && resources[0]!.kind === KIND_CPU && resources[1]!.kind === KIND_MEMORY;
  }

  /** A scalar resource the pod does not request reads [0, 0], so it is left out of the score. */
  read(node: NodeInfo, podAmounts: readonly number[]): void {
    const nodeRequested = this.useRequested ? node.requested : node.nonZeroRequested;
    if (this.cpuThenMemory) {
      this.allocatable[0] = node.allocatable.milliCPU;
      this.requested[0] = nodeRequested.milliCPU + podAmounts[0]!;
      this.allocatable[1] = node.allocatable.memory;
      this.requested[1] = nodeRequested.memory + podAmounts[1]!;
      return;
    }
    for (let i = 0; i < this.resources.length; i++) {
      const r = this.resources[i]!;
      const pod = podAmounts[i]!;
      let alloc = 0;
      let req = 0;
      switch (r.kind) {
        case KIND_CPU:
          alloc = node.allocatable.milliCPU;
          req = nodeRequested.milliCPU + pod;
          break;
        case KIND_MEMORY:
          alloc = node.allocatable.memory;
          req = nodeRequested.memory + pod;
          break;
        case KIND_EPHEMERAL:
          alloc = node.allocatable.ephemeralStorage;
          req = node.requested.ephemeralStorage + pod;
          break;
        case KIND_SCALAR:
          if (pod !== 0) {
            alloc = node.allocatable.scalar?.get(r.name) ?? 0;
            req = (node.requested.scalar?.get(r.name) ?? 0) + pod;
          }
          break;
      }
      this.allocatable[i] = alloc;
      this.requested[i] = req;
    }
  }
}

// NodeResourcesFit: a pod fits a node when its requests (init-container max rule and overhead
// included) fit in allocatable minus what the node's pods already request, and the node has
// room for one more pod. Reasons are Kubernetes' (`Insufficient cpu`, `Too many pods`, ...).
import type { CycleState, FilterPlugin, PluginFactory } from '../framework.js';
import { ASSIGNED_POD_DELETE, ASSIGNED_POD_UPDATE, NODE_ADD, NODE_UPDATE, SUCCESS, Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import type { Resources } from '../resources.js';
import { CPU, EPHEMERAL_STORAGE, MEMORY, PODS } from '../resources.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';

/** Kubernetes' reason for a resource: `Insufficient cpu`, `Insufficient nvidia.com/gpu`. */
export function errReasonInsufficient(resource: string): string {
  return `Insufficient ${resource}`;
}

export interface InsufficientResource {
  readonly resourceName: string;
  readonly reason: string;
  readonly requested: number;
  readonly used: number;
  readonly capacity: number;
  /** the request exceeds the node's whole allocatable: no eviction on the node can help */
  readonly unresolvable: boolean;
}

const FITS: readonly InsufficientResource[] = Object.freeze([]);

function insufficient(resourceName: string, amounts: { readonly requested: number; readonly used: number; readonly capacity: number }): InsufficientResource {
  const { requested, used, capacity } = amounts;
  return { resourceName, reason: errReasonInsufficient(resourceName), requested, used, capacity, unresolvable: requested > capacity };
}

/**
 * What the node lacks for a pod requesting `req`, in Kubernetes' order (pods, cpu, memory,
 * ephemeral-storage, then scalar resources); empty when it fits. `ignored` resources (extended
 * resources managed elsewhere) are not checked.
 */
export function fits(req: Resources, node: NodeInfo, ignored?: ReadonlySet<string>): readonly InsufficientResource[] {
  const alloc = node.allocatable;
  const used = node.requested;
  const tooMany = node.pods.size + 1 > node.allowedPods;
  const zero = req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar === undefined;
  // Fast path: the common case allocates nothing.
  if (!tooMany && (zero || (req.milliCPU <= alloc.milliCPU - used.milliCPU && req.memory <= alloc.memory - used.memory &&
    req.ephemeralStorage <= alloc.ephemeralStorage - used.ephemeralStorage && scalarsFit(req, node, ignored)))) {
    return FITS;
  }
  const out: InsufficientResource[] = [];
  if (tooMany) out.push({ resourceName: PODS, reason: ERR_REASON_TOO_MANY_PODS, requested: 1, used: node.pods.size, capacity: node.allowedPods, unresolvable: false });
  if (zero) return out;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) out.push(insufficient(CPU, { requested: req.milliCPU, used: used.milliCPU, capacity: alloc.milliCPU }));
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) out.push(insufficient(MEMORY, { requested: req.memory, used: used.memory, capacity: alloc.memory }));
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    out.push(insufficient(EPHEMERAL_STORAGE, { requested: req.ephemeralStorage, used: used.ephemeralStorage, capacity: alloc.ephemeralStorage }));
  }
  for (const [name, q] of req.scalar ?? []) {
    if (q === 0 || ignored?.has(name)) continue;
    const have = alloc.scalar?.get(name) ?? 0;
    const taken = used.scalar?.get(name) ?? 0;
    if (q > have - taken) out.push(insufficient(name, { requested: q, used: taken, capacity: have }));
  }
  return out;
}

function scalarsFit(req: Resources, node: NodeInfo, ignored: ReadonlySet<string> | undefined): boolean {
  if (!req.scalar) return true;
  for (const [name, q] of req.scalar) {
    if (q === 0 || ignored?.has(name)) continue;
    if (q > (node.allocatable.scalar?.get(name) ?? 0) - (node.requested.scalar?.get(name) ?? 0)) return false;
  }
  return true;
}

/** The Filter status for a list of shortfalls: Unresolvable when any request exceeds the node's size. */
export function statusFor(shortfalls: readonly InsufficientResource[]): Status {
  if (shortfalls.length === 0) return SUCCESS;
  const code = shortfalls.some((s) => s.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable';
  return new Status(code, shortfalls.map((s) => s.reason));
}

function parseArgs(args: unknown): ReadonlySet<string> | undefined {
  if (args === undefined || args === null) return undefined;
  if (typeof args !== 'object' || Array.isArray(args)) throw new Error(`${NODE_RESOURCES_FIT} args: expected an object, got ${JSON.stringify(args)}`);
  const ignored = (args as { ignoredResources?: unknown }).ignoredResources;
  if (ignored === undefined) return undefined;
  if (!Array.isArray(ignored) || !ignored.every((r) => typeof r === 'string')) {
    throw new Error(`${NODE_RESOURCES_FIT} args: ignoredResources must be an array of resource names, got ${JSON.stringify(ignored)}`);
  }
  return new Set(ignored as string[]);
}

class NodeResourcesFit implements FilterPlugin {
  readonly name = NODE_RESOURCES_FIT;
  readonly events = [ASSIGNED_POD_DELETE, ASSIGNED_POD_UPDATE, NODE_ADD, NODE_UPDATE];

  constructor(private readonly ignored: ReadonlySet<string> | undefined) {}

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const shortfalls = fits(pod.requests, node, this.ignored);
    return shortfalls.length === 0 ? SUCCESS : statusFor(shortfalls);
  }
}

/** args: `{ ignoredResources?: string[] }` */
export const newNodeResourcesFit: PluginFactory = (_handle, args) => new NodeResourcesFit(parseArgs(args));

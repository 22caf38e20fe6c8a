// Resource amounts as the scheduler counts them: plain numbers (cpu in milli-cores, memory and
// ephemeral-storage in bytes, extended resources in units), computed once per pod and per node
// so Filter and Score only compare numbers.
import type { Container, Pod, Node } from 'kubernetes-types/core/v1.js';
import { quantityToMilli, quantityToNumber } from '../api/quantity.js';

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** kube-scheduler's non-zero defaults for containers without requests (scoring only). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** A mutable bag of amounts; `scalar` holds extended resources, hugepages and attachable volumes. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** present only when some scalar resource is non-zero */
  scalar: Map<string, number> | undefined;
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: undefined };
}

/**
 * Whether a resource name is counted as a scalar resource (IsScalarResourceName): extended
 * resources (`example.com/foo`), `kubernetes.io/`-prefixed ones, hugepages and attachable volumes.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

/** MilliValue() of a quantity; bad syntax counts as 0 (validation rejects it before it reaches us). */
export function milliValue(v: string | number | undefined): number {
  if (v === undefined) return 0;
  try {
    return quantityToMilli(v); // parseQuantity keeps recently parsed texts
  } catch {
    return 0;
  }
}

/** Value() of a quantity (rounded up); bad syntax counts as 0. */
export function unitValue(v: string | number | undefined): number {
  if (v === undefined) return 0;
  try {
    return quantityToNumber(v);
  } catch {
    return 0;
  }
}

type ResourceList = Readonly<Record<string, string | number>> | undefined;

/** Adds a resource list (requests, overhead, allocatable) to `into`, times `sign`. */
export function addResourceList(into: Resources, list: ResourceList, sign = 1): void {
  if (!list) return;
  for (const name in list) {
    const q = list[name];
    switch (name) {
      case CPU:
        into.milliCPU += sign * milliValue(q);
        break;
      case MEMORY:
        into.memory += sign * unitValue(q);
        break;
      case EPHEMERAL_STORAGE:
        into.ephemeralStorage += sign * unitValue(q);
        break;
      default:
        if (isScalarResourceName(name)) addScalar(into, name, sign * unitValue(q));
    }
  }
}

export function addScalar(into: Resources, name: string, amount: number): void {
  if (amount === 0) return;
  into.scalar ??= new Map();
  const v = (into.scalar.get(name) ?? 0) + amount;
  if (v === 0) into.scalar.delete(name);
  else into.scalar.set(name, v);
  if (into.scalar.size === 0) into.scalar = undefined;
}

/** into += r * sign */
export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  if (r.scalar) for (const [name, v] of r.scalar) addScalar(into, name, sign * v);
}

/** into = max(into, r) per resource */
function maxResources(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  if (r.scalar) {
    for (const [name, v] of r.scalar) {
      const have = into.scalar?.get(name) ?? 0;
      if (v > have) addScalar(into, name, v - have);
    }
  }
}

function copyResources(r: Resources): Resources {
  return { milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, scalar: r.scalar && new Map(r.scalar) };
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = emptyResources();
  const req = c.resources?.requests;
  addResourceList(r, req);
  if (nonZero) {
    if (req?.[CPU] === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (req?.[MEMORY] === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * What a pod asks of a node (PodRequests): the sum of its containers plus restartable init
 * containers (sidecars), or the largest init container (plus the sidecars started before it),
 * whichever is larger, plus `spec.overhead`. With `nonZero`, a container without a cpu or
 * memory request counts as 100m / 200Mi (the scoring view, so empty pods still spread).
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const spec = pod.spec;
  const total = emptyResources();
  if (!spec) return total;
  for (const c of spec.containers ?? []) addResources(total, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initMax = emptyResources();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addResources(total, r);
      addResources(sidecars, r);
      maxResources(initMax, sidecars);
    } else {
      const during = copyResources(r);
      addResources(during, sidecars);
      maxResources(initMax, during);
    }
  }
  maxResources(total, initMax);
  addResourceList(total, spec.overhead as ResourceList);
  return total;
}

/** The node's `status.allocatable` (cpu, memory, ephemeral-storage, scalars) and its pod capacity. */
export function nodeAllocatable(node: Node): { resources: Resources; allowedPods: number } {
  const resources = emptyResources();
  const alloc = node.status?.allocatable as ResourceList;
  addResourceList(resources, alloc);
  return { resources, allowedPods: unitValue(alloc?.[PODS]) };
}

/** Whether every amount is zero (a BestEffort-like request). */
export function isZero(r: Resources): boolean {
  return r.milliCPU === 0 && r.memory === 0 && r.ephemeralStorage === 0 && r.scalar === undefined;
}

// NodeInfo: one node and the pods the scheduler counts on it, with aggregates kept up to date
// incrementally (requested resources, host ports, pods with affinity) so a plugin's per-node
// work never scans the cluster. Owned and mutated only by the scheduler cache; plugins read it.
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import type { PodInfo } from './pod-info.js';
import type { Resources } from './resources.js';
import { addResources, emptyResources, nodeAllocatable } from './resources.js';

type Labels = Readonly<Record<string, string>>;

const NO_LABELS: Labels = Object.freeze({});
const NO_TAINTS: readonly Taint[] = Object.freeze([]);

/** Cached per-selector counts per node; dropped when the node's pods change, and bounded. */
const MAX_MEMO_ENTRIES = 64;

let lastGeneration = 0;
function nextGeneration(): number {
  return ++lastGeneration;
}

/** Host ports in use on a node: `protocol/port` → address → number of pods using it. */
export class HostPortUsage {
  private readonly byPort = new Map<string, Map<string, number>>();

  add(ip: string, protocol: string, port: number, sign: 1 | -1): void {
    const k = `${protocol}/${port}`;
    let ips = this.byPort.get(k);
    if (!ips) {
      if (sign < 0) return;
      ips = new Map();
      this.byPort.set(k, ips);
    }
    const n = (ips.get(ip) ?? 0) + sign;
    if (n > 0) ips.set(ip, n);
    else ips.delete(ip);
    if (ips.size === 0) this.byPort.delete(k);
  }

  /** Whether binding `ip:port/protocol` conflicts: "0.0.0.0" conflicts with every address. */
  conflicts(ip: string, protocol: string, port: number): boolean {
    const ips = this.byPort.get(`${protocol}/${port}`);
    if (!ips) return false;
    if (ip === '0.0.0.0') return ips.size > 0;
    return ips.has(ip) || ips.has('0.0.0.0');
  }

  get size(): number {
    return this.byPort.size;
  }
}

export class NodeInfo {
  readonly name: string;
  /** undefined once the node is deleted while pods still reference it */
  node: Node | undefined;
  labels: Labels = NO_LABELS;
  taints: readonly Taint[] = NO_TAINTS;
  unschedulable = false;
  allocatable: Resources = emptyResources();
  /** allocatable `pods` */
  allowedPods = 0;
  /** sum of the pods' requests */
  readonly requested: Resources = emptyResources();
  /** sum of the pods' requests with non-zero cpu/memory defaults (for scoring) */
  readonly nonZeroRequested: Resources = emptyResources();
  /** pods by PodInfo.key, including assumed pods */
  readonly pods = new Map<string, PodInfo>();
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];
  /** how many pods here have affinity terms whose matching reads namespace labels */
  podsWithNamespaceSelectors = 0;
  readonly usedPorts = new HostPortUsage();
  /** image name (as listed in status.images) → size in bytes */
  imageSizes: ReadonlyMap<string, number> = new Map();
  /** bumped on every change to the node or its pods */
  generation = nextGeneration();
  private memoGeneration = -1;
  private readonly memoValues = new Map<string, unknown>();
  private lastCountKey = '';
  private lastCount = 0;
  private lastCountGeneration = -1;

  constructor(name: string) {
    this.name = name;
  }

  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata?.labels ?? NO_LABELS;
    this.taints = node.spec?.taints ?? NO_TAINTS;
    this.unschedulable = node.spec?.unschedulable === true;
    const { resources, allowedPods } = nodeAllocatable(node);
    this.allocatable = resources;
    this.allowedPods = allowedPods;
    const images = new Map<string, number>();
    for (const img of node.status?.images ?? []) for (const n of img.names ?? []) images.set(n, img.sizeBytes ?? 0);
    this.imageSizes = images;
    this.generation = nextGeneration();
  }

  removeNode(): void {
    this.node = undefined;
    this.generation = nextGeneration();
  }

  /** Adds a pod; the caller guarantees it is not already present. */
  addPod(p: PodInfo): void {
    this.pods.set(p.key, p);
    if (p.hasAffinity) this.podsWithAffinity.push(p);
    if (p.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.push(p);
    if (p.hasAffinity && p.affinityTerms.usesNamespaceLabels) this.podsWithNamespaceSelectors++;
    this.account(p, 1);
  }

  /** Removes the pod with `key`; returns it, or undefined when absent. */
  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    if (p.hasAffinity) removeFrom(this.podsWithAffinity, p);
    if (p.hasRequiredAntiAffinity) removeFrom(this.podsWithRequiredAntiAffinity, p);
    if (p.hasAffinity && p.affinityTerms.usesNamespaceLabels) this.podsWithNamespaceSelectors--;
    this.account(p, -1);
    return p;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    addResources(this.requested, p.requests, sign);
    addResources(this.nonZeroRequested, p.nonZeroRequests, sign);
    for (const hp of p.hostPorts) this.usedPorts.add(hp.ip, hp.protocol, hp.port, sign);
    this.generation = nextGeneration();
  }

  /**
   * A value derived from this node's pods, computed once and reused until they change. `key`
   * must identify `compute` exactly (including everything it reads besides this node's pods).
   * This makes repeated per-node questions (how many pods match a selector, what existing pods'
   * affinity terms say about a kind of pod) O(1) per node instead of O(pods). Bounded.
   */
  memo<T>(key: string, compute: (node: NodeInfo) => T): T {
    this.freshMemo();
    const hit = this.memoValues.get(key);
    if (hit !== undefined || this.memoValues.has(key)) return hit as T;
    const v = compute(this);
    this.remember(key, v);
    return v;
  }

  /** How many pods on this node satisfy `match` (memoized under `key`, see memo). */
  countPods(key: string, match: (p: PodInfo) => boolean): number {
    // One-entry fast path: consecutive cycles for pods of one workload ask the same question.
    if (this.lastCountGeneration === this.generation && this.lastCountKey === key) return this.lastCount;
    this.freshMemo();
    let n = this.memoValues.get(key) as number | undefined;
    if (n === undefined) {
      n = 0;
      for (const p of this.pods.values()) if (match(p)) n++;
      this.remember(key, n);
    }
    this.lastCountKey = key;
    this.lastCount = n;
    this.lastCountGeneration = this.generation;
    return n;
  }

  private freshMemo(): void {
    if (this.memoGeneration !== this.generation) {
      this.memoValues.clear();
      this.memoGeneration = this.generation;
    }
  }

  private remember(key: string, v: unknown): void {
    if (this.memoValues.size >= MAX_MEMO_ENTRIES) this.memoValues.clear();
    this.memoValues.set(key, v);
  }
}

function removeFrom(list: PodInfo[], p: PodInfo): void {
  const i = list.indexOf(p);
  if (i < 0) return;
  list[i] = list[list.length - 1]!;
  list.pop();
}

// The scheduler's view of the cluster: NodeInfos by name, listed zone by zone in round-robin
// order (as kube-scheduler's node tree lists them, so a partial search visits every zone),
// plus the indexes plugins need (nodes hosting pods with affinity, image spread).
//
// A Snapshot is live: the cache mutates it between scheduling cycles. A cycle runs
// synchronously, so within one cycle it is consistent; callers must not keep NodeInfos across
// cycles and must never mutate them (only the cache does).
import type { Node } from 'kubernetes-types/core/v1.js';
import { DomainCounts } from './domain-counts.js';
import { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';
const LABEL_ZONE_BETA = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_REGION_BETA = 'failure-domain.beta.kubernetes.io/region';

/** kube-scheduler's zone key of a node: region and zone, empty when unlabelled. */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = l[LABEL_REGION] ?? l[LABEL_REGION_BETA] ?? '';
  const zone = l[LABEL_ZONE] ?? l[LABEL_ZONE_BETA] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export class Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  /** zone key → nodes (with a Node object) in the order they were added */
  private readonly zones = new Map<string, NodeInfo[]>();
  private readonly zoneOf = new Map<string, string>();
  private readonly imageNodes = new Map<string, number>();
  private listMemo: NodeInfo[] | undefined;
  private withAffinityMemo: NodeInfo[] | undefined;
  private withAntiAffinityMemo: NodeInfo[] | undefined;
  /** per-domain pod counts for topology plugins; see DomainCounts */
  readonly domainCounts = new DomainCounts();
  /** non-terminating pods per (namespace NUL controller uid), by node; see controlledPods */
  private readonly controlled = new Map<string, Map<NodeInfo, number>>();

  /** Nodes (only those with a Node object), interleaved across zones. */
  get nodes(): readonly NodeInfo[] {
    return (this.listMemo ??= this.interleave());
  }

  get numNodes(): number {
    return this.nodes.length;
  }

  /** The NodeInfo of a node that exists, or undefined. */
  get(name: string): NodeInfo | undefined {
    const n = this.infos.get(name);
    return n?.node ? n : undefined;
  }

  /** Nodes hosting at least one pod with pod affinity or anti-affinity. */
  nodesWithAffinityPods(): readonly NodeInfo[] {
    return (this.withAffinityMemo ??= this.nodes.filter((n) => n.podsWithAffinity.length > 0));
  }

  /** Nodes hosting at least one pod with required pod anti-affinity. */
  nodesWithRequiredAntiAffinityPods(): readonly NodeInfo[] {
    return (this.withAntiAffinityMemo ??= this.nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0));
  }

  /**
   * Where the non-terminating pods in `namespace` whose controller has `uid` are: node → how many
   * (undefined when none). Kept with the pods, so default topology spreading asks one map per
   * pod instead of every feasible node's pods. Live: read it within one scheduling cycle.
   */
  controlledPods(namespace: string, uid: string): ReadonlyMap<NodeInfo, number> | undefined {
    return this.controlled.get(`${namespace}\u0000${uid}`);
  }

  /** On how many nodes an image (by a name listed in node status) is present. */
  imageNumNodes(name: string): number {
    return this.imageNodes.get(name) ?? 0;
  }

  // ---- mutation: the scheduler cache only ---------------------------------------------------

  /** Adds or replaces a node object. */
  setNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    const info = this.nodeInfo(name);
    const existed = info.node !== undefined;
    const oldLabels = info.labels;
    if (existed) this.countImages(info, -1);
    info.setNode(node);
    this.countImages(info, 1);
    const zone = zoneKey(node);
    const was = this.zoneOf.get(name);
    if (was !== zone) {
      if (was !== undefined) this.leaveZone(info, was);
      let members = this.zones.get(zone);
      if (!members) this.zones.set(zone, (members = []));
      members.push(info);
      this.zoneOf.set(name, zone);
    }
    if (!existed || was !== zone) this.invalidate();
    else if (!sameLabels(oldLabels, info.labels)) this.domainCounts.invalidate();
    return info;
  }

  /** Removes a node object; its NodeInfo stays while pods still reference it. */
  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info?.node) return;
    this.countImages(info, -1);
    info.removeNode();
    const zone = this.zoneOf.get(name);
    if (zone !== undefined) this.leaveZone(info, zone);
    this.zoneOf.delete(name);
    if (info.pods.size === 0) this.infos.delete(name);
    this.invalidate();
  }

  addPod(p: PodInfo, nodeName: string): void {
    const info = this.nodeInfo(nodeName);
    info.addPod(p);
    this.countControlled(info, p, 1);
    this.domainCounts.podChanged(info, p, 1);
    if (p.hasAffinity) this.withAffinityMemo = undefined;
    if (p.hasRequiredAntiAffinity) this.withAntiAffinityMemo = undefined;
  }

  removePod(key: string, nodeName: string): PodInfo | undefined {
    const info = this.infos.get(nodeName);
    const p = info?.removePod(key);
    if (!info || !p) return undefined;
    this.countControlled(info, p, -1);
    this.domainCounts.podChanged(info, p, -1);
    if (p.hasAffinity) this.withAffinityMemo = undefined;
    if (p.hasRequiredAntiAffinity) this.withAntiAffinityMemo = undefined;
    if (!info.node && info.pods.size === 0) this.infos.delete(nodeName);
    return p;
  }

  private countControlled(info: NodeInfo, p: PodInfo, sign: 1 | -1): void {
    const ref = p.controllerRef;
    if (!ref || p.terminating) return;
    const key = `${p.namespace}\u0000${ref.uid}`;
    let byNode = this.controlled.get(key);
    if (!byNode) this.controlled.set(key, (byNode = new Map()));
    const n = (byNode.get(info) ?? 0) + sign;
    if (n > 0) byNode.set(info, n);
    else if (byNode.delete(info) && byNode.size === 0) this.controlled.delete(key);
  }

  private nodeInfo(name: string): NodeInfo {
    let info = this.infos.get(name);
    if (!info) this.infos.set(name, (info = new NodeInfo(name)));
    return info;
  }

  private leaveZone(info: NodeInfo, zone: string): void {
    const members = this.zones.get(zone);
    if (!members) return;
    const i = members.indexOf(info);
    if (i >= 0) members.splice(i, 1);
    if (members.length === 0) this.zones.delete(zone);
  }

  private countImages(info: NodeInfo, sign: 1 | -1): void {
    for (const name of info.imageSizes.keys()) {
      const n = (this.imageNodes.get(name) ?? 0) + sign;
      if (n > 0) this.imageNodes.set(name, n);
      else this.imageNodes.delete(name);
    }
  }

  private invalidate(): void {
    this.domainCounts.invalidate();
    this.listMemo = undefined;
    this.withAffinityMemo = undefined;
    this.withAntiAffinityMemo = undefined;
  }

  private interleave(): NodeInfo[] {
    const groups = [...this.zones.values()];
    const out: NodeInfo[] = [];
    for (let i = 0; ; i++) {
      let any = false;
      for (const g of groups) {
        if (i < g.length) {
          out.push(g[i]!);
          any = true;
        }
      }
      if (!any) return out;
    }
  }
}

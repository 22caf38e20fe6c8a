// Cluster-wide counts of matching pods per topology domain (e.g. per zone), kept up to date
// incrementally as pods come and go, so PodTopologySpread and InterPodAffinity do not sum over
// every node in every cycle. Entries are created on first use (O(nodes), through the per-node
// memo) and dropped when node labels change or when too many are kept.
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';

export interface DomainCountSpec {
  /** identifies `counts` exactly (the same key NodeInfo.countPods takes) */
  readonly countKey: string;
  readonly counts: (p: PodInfo) => boolean;
  readonly topologyKey: string;
  /** a node counts only when it carries all these label keys (besides topologyKey) */
  readonly requiredKeys?: readonly string[];
}

const MAX_ENTRIES = 32;

interface Entry {
  readonly spec: DomainCountSpec;
  readonly domains: Map<string, number>;
}

function eligible(node: NodeInfo, spec: DomainCountSpec): boolean {
  if (!node.node || node.labels[spec.topologyKey] === undefined) return false;
  for (const k of spec.requiredKeys ?? []) if (node.labels[k] === undefined) return false;
  return true;
}

export class DomainCounts {
  private readonly entries = new Map<string, Entry>();

  /**
   * Domain value → pods matching `spec.counts` on eligible nodes; every domain of an eligible
   * node is present, with 0 when it holds no matching pod. The map is owned by the index: read
   * it within the cycle, never mutate or keep it.
   */
  get(spec: DomainCountSpec, nodes: readonly NodeInfo[]): ReadonlyMap<string, number> {
    const key = `${spec.countKey}\u0000${spec.topologyKey}\u0000${(spec.requiredKeys ?? []).join(',')}`;
    const hit = this.entries.get(key);
    if (hit) return hit.domains;
    const domains = new Map<string, number>();
    for (const node of nodes) {
      if (!eligible(node, spec)) continue;
      const v = node.labels[spec.topologyKey]!;
      domains.set(v, (domains.get(v) ?? 0) + node.countPods(spec.countKey, spec.counts));
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { spec, domains });
    return domains;
  }

  /** A pod was added to (sign 1) or removed from (sign -1) `node`. */
  podChanged(node: NodeInfo, p: PodInfo, sign: 1 | -1): void {
    for (const { spec, domains } of this.entries.values()) {
      if (!eligible(node, spec) || !spec.counts(p)) continue;
      const v = node.labels[spec.topologyKey]!;
      domains.set(v, (domains.get(v) ?? 0) + sign);
    }
  }

  /** Node labels or the node set changed: every entry is rebuilt on next use. */
  invalidate(): void {
    this.entries.clear();
  }
}

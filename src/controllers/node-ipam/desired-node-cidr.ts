// What the node IPAM controller reads from and writes to a Node: its pod CIDRs, and the patch
// that assigns one. Pure functions.
import type { Node } from 'kubernetes-types/core/v1.js';

/** The node's pod CIDRs (spec.podCIDRs, or the older single spec.podCIDR); empty when it has none. */
export function nodePodCidrs(node: Node): string[] {
  const many = node.spec?.podCIDRs?.filter((c) => c !== '') ?? [];
  if (many.length) return many;
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

/**
 * The merge patch that gives the node `cidr` as spec.podCIDR and spec.podCIDRs. It names the
 * node's uid, so it cannot land on a newer node of the same name.
 */
export function podCidrPatch(node: Node, cidr: string): { metadata: { uid?: string }; spec: { podCIDR: string; podCIDRs: string[] } } {
  return { metadata: { ...(node.metadata?.uid ? { uid: node.metadata.uid } : {}) }, spec: { podCIDR: cidr, podCIDRs: [cidr] } };
}

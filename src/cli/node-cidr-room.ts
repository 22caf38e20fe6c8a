// Whether the cluster CIDR has a pod CIDR for every node `skiff server` itself starts. The node
// IPAM controller cuts --cluster-cidr into subnets of --node-cidr-mask-size (10.42.0.0/16 into
// /24s: 256); a node it finds no subnet for gets a CIDRNotAvailable event and stays NotReady
// (its kubelet cannot give pods an IP), as in Kubernetes. `--simulated-nodes 1000` on the
// defaults would leave 745 nodes so, so the server says it at start, with the flags to change.
import { CidrSet } from '../controllers/node-ipam/cidr-set.js';

/**
 * A warning when `nodes` pod CIDRs do not fit into `clusterCIDR` cut into /`maskSize` subnets;
 * undefined when they fit (or the CIDR flags are invalid, which the IPAM controller reports).
 */
export function nodeCidrShortage(clusterCIDR: string, maskSize: number, nodes: number, what: string): string | undefined {
  let room: number;
  try {
    room = new CidrSet(clusterCIDR, maskSize).size;
  } catch {
    return undefined;
  }
  if (nodes <= room) return undefined;
  return (
    `skiff: ${what} need ${nodes} pod CIDRs, but --cluster-cidr ${clusterCIDR} cut into /${maskSize}s (--node-cidr-mask-size) ` +
    `has ${room}: ${nodes - room} nodes will stay NotReady (CIDRNotAvailable). Give a larger --cluster-cidr ` +
    `or a larger --node-cidr-mask-size (fewer pod IPs per node).`
  );
}

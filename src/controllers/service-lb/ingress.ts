// Pure decisions of the built-in load balancer ("servicelb"): which ingress addresses a
// LoadBalancer Service gets. Without a pool, every Ready node's InternalIP (as k3s' ServiceLB
// does: the Service is served on the nodes' own addresses). With `--lb-pool CIDR`, one address per
// Service from the pool: the one it already has, else spec.loadBalancerIP when free and inside
// the pool, else the lowest free address (network and broadcast addresses are never given).
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { formatIPv4, parseIPv4 } from '../../api/ipv4.js';

export interface Pool {
  readonly first: number;
  readonly last: number;
}

const ipToInt = parseIPv4;
const intToIp = formatIPv4;

/** Parses `a.b.c.d/len`; throws a message naming the CIDR when it is not one. */
export function parsePool(cidr: string): Pool {
  const [ip, lenText] = cidr.split('/');
  const base = ipToInt(ip ?? '');
  const len = Number(lenText);
  if (base === undefined || !Number.isInteger(len) || len < 8 || len > 32) throw new Error(`invalid load balancer pool "${cidr}": expected an IPv4 CIDR such as 192.168.100.0/28`);
  const size = 2 ** (32 - len);
  const network = base - (base % size);
  // /31 and /32 pools have no network or broadcast address to skip
  return size <= 2 ? { first: network, last: network + size - 1 } : { first: network + 1, last: network + size - 2 };
}

export function inPool(pool: Pool, ip: string): boolean {
  const n = ipToInt(ip);
  return n !== undefined && n >= pool.first && n <= pool.last;
}

export function isLoadBalancer(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

/** The InternalIPs of Ready, schedulable-or-not nodes, sorted. */
export function nodeIngressIPs(nodes: readonly Node[]): string[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || n.metadata?.deletionTimestamp) continue;
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip) ips.add(ip);
  }
  return [...ips].sort((a, b) => (ipToInt(a) ?? 0) - (ipToInt(b) ?? 0));
}

/** The current ingress IPs of a Service's status. */
export function currentIngress(svc: Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
}

/**
 * The pool address for `svc`, given the addresses other Services hold; undefined when the pool is
 * exhausted or the requested loadBalancerIP is taken or outside the pool.
 */
export function poolAddress(svc: Service, pool: Pool, taken: ReadonlySet<string>): string | { error: string } {
  const have = currentIngress(svc).find((ip) => inPool(pool, ip) && !taken.has(ip));
  const wanted = svc.spec?.loadBalancerIP;
  if (wanted) {
    if (have === wanted) return have;
    if (!inPool(pool, wanted)) return { error: `requested loadBalancerIP ${wanted} is not in the pool ${intToIp(pool.first)}-${intToIp(pool.last)}` };
    if (taken.has(wanted)) return { error: `requested loadBalancerIP ${wanted} is already allocated to another Service` };
    return wanted;
  }
  if (have) return have;
  for (let n = pool.first; n <= pool.last; n++) {
    const ip = intToIp(n);
    if (!taken.has(ip)) return ip;
  }
  return { error: `no addresses left in the load balancer pool ${intToIp(pool.first)}-${intToIp(pool.last)}` };
}

// The node podCIDR allocator's bookkeeping, as Kubernetes' cidrset: the cluster CIDR cut into
// equal subnets of the node mask size (10.42.0.0/16 with /24: 256 subnets), each free or used.
// Allocation scans round-robin from after the last allocated subnet, so a released subnet is
// not handed out again at once. IPv4 only. Pure data, no I/O.

/** Kubernetes refuses more than 2^16 subnets per cluster CIDR. */
export const MAX_SUBNET_BITS = 16;

export interface Ipv4Cidr {
  /** network address as an unsigned 32-bit number (host bits cleared) */
  readonly base: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n` (host bits are cleared, as Go's net.ParseCIDR does); undefined if it is not an IPv4 CIDR. */
export function parseIpv4Cidr(s: string): Ipv4Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = (((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0) & mask(prefix);
  return { base: addr >>> 0, prefix };
}

export function formatIpv4Cidr(c: Ipv4Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export class CidrSet {
  readonly cluster: Ipv4Cidr;
  readonly nodeMaskSize: number;
  /** number of subnets */
  readonly size: number;
  private readonly used: Uint8Array;
  private usedCount = 0;
  private next = 0;

  /** Throws Error (a configuration error, with what was expected and given) on a bad CIDR or mask size. */
  constructor(clusterCidr: string, nodeMaskSize: number) {
    const c = parseIpv4Cidr(clusterCidr);
    if (!c) throw new Error(`invalid cluster CIDR "${clusterCidr}": expected an IPv4 CIDR such as 10.42.0.0/16`);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < c.prefix || nodeMaskSize > 32) {
      throw new Error(`invalid node CIDR mask size ${nodeMaskSize}: must be between the cluster CIDR prefix (${c.prefix}) and 32`);
    }
    if (nodeMaskSize - c.prefix > MAX_SUBNET_BITS) {
      throw new Error(`invalid node CIDR mask size ${nodeMaskSize}: with cluster CIDR ${clusterCidr} it makes more than 2^${MAX_SUBNET_BITS} subnets`);
    }
    this.cluster = c;
    this.nodeMaskSize = nodeMaskSize;
    this.size = 2 ** (nodeMaskSize - c.prefix);
    this.used = new Uint8Array(this.size);
  }

  /** The next free subnet (marked used), or undefined when every subnet is taken. */
  allocateNext(): string | undefined {
    for (let i = 0; i < this.size; i++) {
      const idx = (this.next + i) % this.size;
      if (this.used[idx]) continue;
      this.mark(idx, true);
      this.next = (idx + 1) % this.size;
      return this.subnet(idx);
    }
    return undefined;
  }

  /** Marks every subnet overlapping `cidr` used. Throws Error when it is not an IPv4 CIDR inside the cluster CIDR. */
  occupy(cidr: string): void {
    for (const i of this.indices(cidr)) this.mark(i, true);
  }

  /** Marks every subnet overlapping `cidr` free. Throws as occupy does. */
  release(cidr: string): void {
    for (const i of this.indices(cidr)) this.mark(i, false);
  }

  /** Whether `cidr` is an IPv4 CIDR inside the cluster CIDR. */
  contains(cidr: string): boolean {
    const c = parseIpv4Cidr(cidr);
    return !!c && c.prefix >= this.cluster.prefix && (c.base & mask(this.cluster.prefix)) >>> 0 === this.cluster.base;
  }

  isUsed(cidr: string): boolean {
    return this.indices(cidr).some((i) => this.used[i] === 1);
  }

  usedSubnets(): number {
    return this.usedCount;
  }

  private indices(cidr: string): number[] {
    const c = parseIpv4Cidr(cidr);
    if (!c || !this.contains(cidr)) throw new Error(`CIDR ${cidr} is outside the cluster CIDR ${formatIpv4Cidr(this.cluster)}`);
    const shift = 32 - this.nodeMaskSize;
    const offset = (c.base - this.cluster.base) >>> 0;
    const first = Math.floor(offset / 2 ** shift);
    const count = c.prefix >= this.nodeMaskSize ? 1 : 2 ** (this.nodeMaskSize - c.prefix);
    return Array.from({ length: count }, (_, k) => first + k);
  }

  private subnet(idx: number): string {
    return formatIpv4Cidr({ base: (this.cluster.base + idx * 2 ** (32 - this.nodeMaskSize)) >>> 0, prefix: this.nodeMaskSize });
  }

  private mark(idx: number, used: boolean): void {
    if ((this.used[idx] === 1) === used) return;
    this.used[idx] = used ? 1 : 0;
    this.usedCount += used ? 1 : -1;
  }
}

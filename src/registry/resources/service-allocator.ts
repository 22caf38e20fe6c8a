// Cluster-wide pools Services draw from: ClusterIPs out of the service CIDR and NodePorts out
// of the node-port range, as Kubernetes' ipallocator and portallocator hand them out.
//
// - The network address and the broadcast address of the CIDR are never given.
// - Dynamic choices are random. As in Kubernetes (ServiceIPStaticSubrange,
//   ServiceNodePortStaticSubrange), they come from the upper part of the pool first, so the
//   lower part stays free for well-known requested values (10.43.0.1 for `kubernetes`,
//   10.43.0.10 for DNS) and is used only when the upper part is full.
// - The allocator is a plain in-memory set; `restore()` rebuilds it from the stored Services at
//   start-up. It holds no locks: callers run allocations synchronously (Node's single thread).
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { parseIPv4, parseIPv6 } from '../../api/validation/names.js';
import type { RegistryConfig } from '../strategy.js';

/** Why an allocation failed: the value is held, outside the pool, or the pool is exhausted. */
export type AllocationFailure = 'Allocated' | 'NotInRange' | 'Full';

/** Thrown by ServiceAllocator; `message` is Kubernetes' wording (`provided IP is already allocated`). */
export class AllocationError extends Error {
  constructor(
    readonly failure: AllocationFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AllocationError';
  }
}

export interface ServiceAllocatorOptions {
  /** random source in [0, 1); defaults to Math.random. Inject for deterministic tests. */
  readonly random?: () => number;
}

// ---- address arithmetic ----

export interface ParsedCIDR {
  readonly family: 'IPv4' | 'IPv6';
  readonly prefix: number;
}

/** Parses `a.b.c.d/n` or `x:y::/n` (as Go's net.ParseCIDR accepts them); undefined when malformed. */
export function parseCIDR(v: string): ParsedCIDR | undefined {
  const slash = v.indexOf('/');
  if (slash < 0) return undefined;
  const addr = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (parseIPv4(addr)) return prefix <= 32 ? { family: 'IPv4', prefix } : undefined;
  if (parseIPv6(addr)) return prefix <= 128 ? { family: 'IPv6', prefix } : undefined;
  return undefined;
}

/** The IPv4 address as an unsigned 32-bit number, or undefined if `v` is not a dotted quad. */
export function ipv4ToNumber(v: string): number | undefined {
  const o = parseIPv4(v);
  if (!o) return undefined;
  return ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;
}

export function numberToIPv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

interface IPv4Range {
  /** the network address as a number */
  readonly network: number;
  readonly prefix: number;
  /** canonical `10.43.0.0/16` */
  readonly cidr: string;
}

function parseIPv4Range(cidr: string): IPv4Range {
  const parsed = parseCIDR(cidr);
  const addr = ipv4ToNumber(cidr.slice(0, cidr.indexOf('/')));
  if (!parsed || parsed.family !== 'IPv4' || addr === undefined) {
    throw new Error(`service CIDR must be an IPv4 CIDR such as 10.43.0.0/16, got ${JSON.stringify(cidr)}`);
  }
  const mask = parsed.prefix === 0 ? 0 : (0xffffffff << (32 - parsed.prefix)) >>> 0;
  const network = (addr & mask) >>> 0;
  return { network, prefix: parsed.prefix, cidr: `${numberToIPv4(network)}/${parsed.prefix}` };
}

/** The n-th address of an IPv4 CIDR (n = 1 is the first usable one). */
function nthAddress(serviceCIDR: string, n: number): string {
  const r = parseIPv4Range(serviceCIDR);
  return numberToIPv4((r.network + n) >>> 0);
}

/** The ClusterIP Kubernetes gives the `kubernetes` Service: the first usable address (10.43.0.1). */
export function apiServerClusterIP(serviceCIDR: string): string {
  return nthAddress(serviceCIDR, 1);
}

/** The ClusterIP of the cluster DNS Service: the tenth address (10.43.0.10 for 10.43.0.0/16). */
export function kubeDnsClusterIP(serviceCIDR: string): string {
  return nthAddress(serviceCIDR, 10);
}

/**
 * Size of the static band at the start of a pool: min(max(lo, size/step), hi), 0 for tiny pools.
 * Dynamic allocation prefers offsets at or above it.
 */
function staticBand(size: number, lo: number, hi: number, step: number): number {
  if (size <= lo) return 0;
  return Math.min(Math.max(lo, Math.floor(size / step)), hi);
}

/** A pool of `size` slots (offsets 0..size-1) with random, upper-band-first choice. */
class Pool {
  private readonly used = new Set<number>();

  constructor(
    readonly size: number,
    private readonly band: number,
    private readonly random: () => number,
  ) {}

  has(offset: number): boolean {
    return this.used.has(offset);
  }

  /** Claims `offset`; false when already held. */
  claim(offset: number): boolean {
    if (this.used.has(offset)) return false;
    this.used.add(offset);
    return true;
  }

  release(offset: number): void {
    this.used.delete(offset);
  }

  get free(): number {
    return this.size - this.used.size;
  }

  /** A random free offset, claimed; undefined when the pool is full. */
  next(): number | undefined {
    if (this.used.size >= this.size) return undefined;
    return this.scan(this.band, this.size) ?? this.scan(0, this.band);
  }

  private scan(lo: number, hi: number): number | undefined {
    const n = hi - lo;
    if (n <= 0) return undefined;
    const start = Math.min(n - 1, Math.floor(this.random() * n));
    for (let i = 0; i < n; i++) {
      const off = lo + ((start + i) % n);
      if (!this.used.has(off)) {
        this.used.add(off);
        return off;
      }
    }
    return undefined;
  }
}

/**
 * Hands out ClusterIPs (IPv4) and NodePorts. Methods throw AllocationError when a request
 * cannot be met; they never throw anything else for well-formed input.
 */
export class ServiceAllocator {
  readonly serviceCIDR: string;
  readonly nodePortRange: readonly [number, number];
  private readonly firstIP: number;
  private readonly ips: Pool;
  private readonly ports: Pool;

  /** Throws Error (a configuration bug, not bad input) when the CIDR or port range is malformed. */
  constructor(config: Pick<RegistryConfig, 'serviceCIDR' | 'nodePortRange'>, opts: ServiceAllocatorOptions = {}) {
    const random = opts.random ?? Math.random;
    const range = parseIPv4Range(config.serviceCIDR);
    this.serviceCIDR = range.cidr;
    // Usable addresses: all but the network and the broadcast address.
    const size = Math.max(0, 2 ** (32 - range.prefix) - 2);
    this.firstIP = (range.network + 1) >>> 0;
    this.ips = new Pool(size, staticBand(size + 2, 16, 256, 16), random);

    const [lo, hi] = config.nodePortRange;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) {
      throw new Error(`node port range must be two port numbers LO <= HI, got ${JSON.stringify(config.nodePortRange)}`);
    }
    this.nodePortRange = [lo, hi];
    const portCount = hi - lo + 1;
    this.ports = new Pool(portCount, staticBand(portCount, 16, 128, 32), random);
  }

  // ---- ClusterIPs ----

  /** Claims `requested`, or a random free address when omitted. Returns the address. */
  allocateIP(requested?: string): string {
    if (requested === undefined) {
      const off = this.ips.next();
      if (off === undefined) throw new AllocationError('Full', 'range is full');
      return numberToIPv4((this.firstIP + off) >>> 0);
    }
    const off = this.ipOffset(requested);
    if (off === undefined) {
      throw new AllocationError('NotInRange', `provided IP is not in the valid range. The range of valid IPs is ${this.serviceCIDR}`);
    }
    if (!this.ips.claim(off)) throw new AllocationError('Allocated', 'provided IP is already allocated');
    return requested;
  }

  /** Gives `ip` back. Idempotent; addresses outside the range are ignored. */
  releaseIP(ip: string): void {
    const off = this.ipOffset(ip);
    if (off !== undefined) this.ips.release(off);
  }

  isIPAllocated(ip: string): boolean {
    const off = this.ipOffset(ip);
    return off !== undefined && this.ips.has(off);
  }

  /** True if `ip` is a usable address of the service CIDR (not the network or broadcast address). */
  ipInRange(ip: string): boolean {
    return this.ipOffset(ip) !== undefined;
  }

  get freeIPs(): number {
    return this.ips.free;
  }

  // ---- NodePorts ----

  /** Claims `requested`, or a random free port when omitted. Returns the port. */
  allocateNodePort(requested?: number): number {
    const [lo, hi] = this.nodePortRange;
    if (requested === undefined) {
      const off = this.ports.next();
      if (off === undefined) throw new AllocationError('Full', 'range is full');
      return lo + off;
    }
    if (!Number.isInteger(requested) || requested < lo || requested > hi) {
      throw new AllocationError('NotInRange', `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`);
    }
    if (!this.ports.claim(requested - lo)) throw new AllocationError('Allocated', 'provided port is already allocated');
    return requested;
  }

  /** Gives `port` back. Idempotent; ports outside the range are ignored. */
  releaseNodePort(port: number): void {
    const [lo, hi] = this.nodePortRange;
    if (Number.isInteger(port) && port >= lo && port <= hi) this.ports.release(port - lo);
  }

  isNodePortAllocated(port: number): boolean {
    const [lo, hi] = this.nodePortRange;
    return Number.isInteger(port) && port >= lo && port <= hi && this.ports.has(port - lo);
  }

  get freeNodePorts(): number {
    return this.ports.free;
  }

  // ---- start-up ----

  /**
   * Marks what the stored Services hold (their ClusterIPs, NodePorts and health-check node
   * ports). Values outside the current pools, and values two Services both claim, are
   * skipped: restore never throws.
   */
  restore(services: readonly KubeObject[]): void {
    for (const svc of services) {
      const held = heldBy(svc);
      for (const ip of held.ips) {
        const off = this.ipOffset(ip);
        if (off !== undefined) this.ips.claim(off);
      }
      for (const p of held.ports) {
        const [lo, hi] = this.nodePortRange;
        if (p >= lo && p <= hi) this.ports.claim(p - lo);
      }
    }
  }

  private ipOffset(ip: string): number | undefined {
    const n = ipv4ToNumber(ip);
    if (n === undefined) return undefined;
    const off = n - this.firstIP;
    return off >= 0 && off < this.ips.size ? off : undefined;
  }
}

/**
 * What a Service holds in the pools: its ClusterIPs (not for ExternalName), its node ports (NodePort
 * and LoadBalancer) and its health-check node port (LoadBalancer with externalTrafficPolicy Local).
 */
export interface Held {
  readonly ips: ReadonlySet<string>;
  readonly ports: ReadonlySet<number>;
}

/** Reads the allocations a (stored, validated) Service holds; tolerant of any shape. */
export function heldBy(svc: KubeObject | undefined): Held {
  const ips = new Set<string>();
  const ports = new Set<number>();
  const spec = svc && isObject(svc.spec) ? svc.spec : undefined;
  if (!spec || spec.type === 'ExternalName') return { ips, ports };
  const list = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP];
  for (const ip of list) {
    if (typeof ip === 'string' && ip !== '' && ip !== 'None') ips.add(ip);
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (external && Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (isObject(p) && typeof p.nodePort === 'number' && p.nodePort > 0) ports.add(p.nodePort);
    }
  }
  const hc = spec.healthCheckNodePort;
  if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' && typeof hc === 'number' && hc > 0) ports.add(hc);
  return { ips, ports };
}

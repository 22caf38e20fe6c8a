// Pod IPs from a node's pod CIDR, as a host-local IPAM plugin hands them out: sequentially from
// the first usable address, continuing after the last one given (so a freed IP is not reused at
// once), skipping the network address (.0), the gateway (.1, the node bridge's address) and the
// broadcast address. In memory only: the simulated runtime forgets everything on restart.
import { formatIPv4, parseIPv4 } from '../../api/ipv4.js';

export class PodIPAllocator {
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Set<number>();
  private cursor: number;

  /** Throws a TypeError for anything but an IPv4 CIDR with room for at least one pod (prefix ≤ 30). */
  constructor(readonly cidr: string) {
    const { network, prefix } = parseIPv4CIDR(cidr);
    if (prefix > 30) throw new TypeError(`pod CIDR ${cidr}: expected a prefix of at most /30, got /${prefix}`);
    const size = 2 ** (32 - prefix);
    this.first = network + 2;
    this.last = network + size - 2;
    this.cursor = this.first;
  }

  /** How many IPs are handed out. */
  get allocated(): number {
    return this.used.size;
  }

  /** How many IPs the CIDR holds for pods. */
  get capacity(): number {
    return this.last - this.first + 1;
  }

  /** The next free IP, or undefined when every one is taken. */
  allocate(): string | undefined {
    const n = this.capacity;
    for (let i = 0; i < n; i++) {
      const ip = this.cursor;
      this.cursor = ip >= this.last ? this.first : ip + 1;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return formatIPv4(ip);
      }
    }
    return undefined;
  }

  /** Marks an IP handed out (a restored sandbox's); false when it is outside the CIDR's pod range. */
  reserve(ip: string): boolean {
    const n = parseIPv4(ip);
    if (n === undefined || n < this.first || n > this.last) return false;
    this.used.add(n);
    return true;
  }

  /** Frees an IP; freeing one that is not handed out (or outside the CIDR) does nothing. */
  release(ip: string): void {
    const n = parseIPv4(ip);
    if (n !== undefined) this.used.delete(n);
  }

  has(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && this.used.has(n);
  }
}

/** `10.42.3.0/24` → network address as an unsigned 32-bit number and prefix length. Throws a TypeError when malformed. */
export function parseIPv4CIDR(cidr: string): { network: number; prefix: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  const addr = m ? parseIPv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(prefix >= 0 && prefix <= 32)) throw new TypeError(`expected an IPv4 CIDR such as 10.42.0.0/24, got "${cidr}"`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (addr & mask) >>> 0, prefix };
}

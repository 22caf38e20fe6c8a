// IPv4 arithmetic for a node's pod CIDR: addresses as unsigned 32-bit numbers, and the layout of a
// pod subnet (network address, gateway = first address, pod range, broadcast). Pure, no I/O.

import { formatIPv4, parseIPv4 } from '../api/ipv4.js';

export { formatIPv4, parseIPv4 };

/**
 * The layout of a pod subnet as the bridge plugin uses it: the network address and the broadcast
 * address are never handed out, the first address is the gateway (on the node bridge), pods get the
 * rest. Immutable.
 */
export class PodSubnet {
  readonly network: number;
  readonly prefixLength: number;
  readonly gateway: number;
  /** first and last pod address (inclusive) */
  readonly first: number;
  readonly last: number;
  readonly broadcast: number;

  /** Throws a TypeError for anything but an IPv4 CIDR with room for at least one pod (prefix ≤ 30). */
  constructor(readonly cidr: string) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
    const addr = m ? parseIPv4(m[1]!) : undefined;
    const prefix = m ? Number(m[2]) : NaN;
    if (addr === undefined || !(prefix >= 0 && prefix <= 32)) {
      throw new TypeError(`pod CIDR: expected an IPv4 CIDR such as 10.42.0.0/24, got "${cidr}"`);
    }
    if (prefix > 30) throw new TypeError(`pod CIDR ${cidr}: expected a prefix of at most /30 (gateway plus one pod), got /${prefix}`);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    this.network = (addr & mask) >>> 0;
    this.prefixLength = prefix;
    this.broadcast = (this.network + 2 ** (32 - prefix) - 1) >>> 0;
    this.gateway = this.network + 1;
    this.first = this.network + 2;
    this.last = this.broadcast - 1;
  }

  /** How many pod addresses the subnet holds. */
  get capacity(): number {
    return this.last - this.first + 1;
  }

  /** `10.42.0.0/24` as given, normalized to the network address. */
  get canonical(): string {
    return `${formatIPv4(this.network)}/${this.prefixLength}`;
  }

  /** Whether `ip` is an address a pod may get (not network, gateway or broadcast). */
  isPodAddress(ip: number): boolean {
    return ip >= this.first && ip <= this.last;
  }
}

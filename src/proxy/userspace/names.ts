// Names of what the userspace mode puts on the machine, derived from the tag alone so that
// `skiff killall` finds them without state: the dummy interface holding the virtual IPs, and the
// metric that marks its unreachable routes for the service CIDRs.
import { createHash } from 'node:crypto';

/** The dummy interface of `tag` (≤ 15 characters): `<tag>-vip` when that fits, else `skvip` + 8 hex of its SHA-256. */
export function vipInterfaceName(tag: string): string {
  if (/^[a-z0-9]{1,11}$/.test(tag)) return `${tag}-vip`;
  return `skvip${hash(tag).toString(16).padStart(8, '0').slice(0, 8)}`;
}

/** The metric of the tag's unreachable routes: 0x5c000000 + 24 bits of the tag's hash (no other route is likely to use it). */
export function routeMetric(tag: string): number {
  return 0x5c000000 + (hash(tag) & 0xffffff);
}

function hash(tag: string): number {
  return createHash('sha256').update(`skiff-userspace/${tag}`).digest().readUInt32BE(0);
}

// Chain names of the iptables mode, all derived from the backend's tag so that several skiff
// instances (one per data dir) keep apart and `skiff killall` finds them without any state.
// iptables limits chain names to 28 characters.
import { createHash } from 'node:crypto';

/** iptables' limit on chain names (XT_EXTENSION_MAXNAMELEN - 1). */
export const MAX_CHAIN_NAME = 28;

/**
 * The chain prefix of `tag`: the tag upper-cased when it is 1–10 letters and digits ('skiff' →
 * 'SKIFF'), else 'SK' + 8 base32 characters of its SHA-256 ('skiff-1a2b3c4d' → 'SKQ3…'). A prefix
 * never holds '-', so `PREFIX-` never begins another tag's chains.
 */
export function chainPrefix(tag: string): string {
  if (/^[a-z0-9]{1,10}$/i.test(tag)) return tag.toUpperCase();
  return 'SK' + base32(createHash('sha256').update(`skiff-iptables/${tag}`).digest()).slice(0, 8);
}

/** The fixed chains of one tag. */
export function fixedChains(prefix: string) {
  return {
    services: `${prefix}-SERVICES`, // nat (PREROUTING, OUTPUT) and filter (FORWARD, OUTPUT)
    nodePorts: `${prefix}-NODEPORTS`, // nat
    postrouting: `${prefix}-POSTROUTING`, // nat
    markMasq: `${prefix}-MARK-MASQ`, // nat
    external: `${prefix}-EXTERNAL`, // filter (INPUT, FORWARD)
    forward: `${prefix}-FORWARD`, // filter (FORWARD)
    firewall: `${prefix}-FIREWALL`, // filter (INPUT)
  } as const;
}

export type ChainKind = 'SVC' | 'SVL' | 'EXT' | 'SEP';

/**
 * A per-service (or per-endpoint) chain: `PREFIX-KIND-HASH`, the hash of `id` filling the name up
 * to 28 characters (16 characters at most, like kube-proxy's).
 */
export function hashedChain(prefix: string, kind: ChainKind, id: string): string {
  const room = Math.min(16, MAX_CHAIN_NAME - prefix.length - kind.length - 2);
  let h = hashCache.get(id);
  if (h === undefined) {
    h = base32(createHash('sha256').update(id).digest()).slice(0, 16);
    if (hashCache.size >= 200_000) hashCache.clear();
    hashCache.set(id, h);
  }
  return `${prefix}-${kind}-${h.slice(0, room)}`;
}

/** id → 16 base32 characters of its hash: every sync names the same chains again. */
const hashCache = new Map<string, string>();

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

// pod-template-hash: a short, stable name for a pod template (Kubernetes' ComputeHash). The
// template is serialized canonically (object keys sorted, null and undefined members dropped),
// hashed with 32-bit FNV-1a together with status.collisionCount (when set), and the hash's decimal
// digits are spelled in Kubernetes' "safe" alphabet, which has no vowels (so no words) and no
// look-alike characters: e.g. "7d4b9c8f5". Not bit-for-bit Kubernetes' value (that hashes Go's
// in-memory struct dump), but the same shape and the same stability: equal templates, equal hashes.
import type { PodTemplateSpec } from './objects.js';

/** Kubernetes' rand.SafeEncodeString alphabet. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV_OFFSET_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;

export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv1a(FNV_OFFSET_32, Buffer.from(canonicalJson(template ?? {}), 'utf8'));
  if (collisionCount !== undefined) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(collisionCount >>> 0);
    h = fnv1a(h, b);
  }
  return safeEncode(String(h));
}

function fnv1a(seed: number, bytes: Uint8Array): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME_32) >>> 0;
  }
  return h;
}

/** Each character replaced by the alphabet letter its code selects (rand.SafeEncodeString). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** JSON with object keys sorted and null/undefined members dropped: equal values, equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== null && x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

// The latest value of every live key, in key order: what both drivers answer get/list/count from
// at the latest revision, and the base that past-revision lists patch with the keys changed since.
// Stored KeyValue objects are shared with callers; they are readonly and never mutated here.
import { compareKeys, prefixEnd, rangeStart } from './key-order.js';
import type { KeyValue } from './store.js';

export interface KeyRange {
  readonly kvs: KeyValue[];
  /** true when the limit cut the range */
  readonly more: boolean;
  /** keys in the whole range (from the start key to the end of the prefix) */
  readonly count: number;
}

/** A change overlay: for each key, its KeyValue at some revision, or null if it did not exist then. */
export type KeyStates = ReadonlyMap<string, KeyValue | null>;

export class KeyIndex {
  readonly #values = new Map<string, KeyValue>();
  /**
   * The keys of #values, sorted by compareKeys — once #settle() has run. Writes never shift this
   * array (an insert into a sorted array costs O(n), so a run of creates would cost O(n²)):
   * new keys wait in #added and deleted ones stay until the next read merges and filters.
   */
  #keys: string[] = [];
  #added: string[] = [];
  #deletions = 0;

  /** Builds an index from kvs in any order; the last kv of a key wins. */
  static from(kvs: Iterable<KeyValue>): KeyIndex {
    const index = new KeyIndex();
    for (const kv of kvs) index.#values.set(kv.key, kv);
    index.#keys = [...index.#values.keys()].sort(compareKeys);
    return index;
  }

  get size(): number {
    return this.#values.size;
  }

  get(key: string): KeyValue | undefined {
    return this.#values.get(key);
  }

  set(kv: KeyValue): void {
    if (!this.#values.has(kv.key)) this.#added.push(kv.key);
    this.#values.set(kv.key, kv);
  }

  delete(key: string): void {
    if (this.#values.delete(key)) this.#deletions++;
  }

  /** Brings #keys up to date: merges the sorted new keys in and drops deleted ones. O(n + a log a). */
  #settle(): void {
    if (this.#added.length === 0 && this.#deletions === 0) return;
    const added = this.#added.sort(compareKeys);
    const old = this.#keys;
    const out: string[] = [];
    const push = (k: string) => {
      if (this.#values.has(k) && (out.length === 0 || out[out.length - 1] !== k)) out.push(k);
    };
    let i = 0;
    let j = 0;
    while (i < old.length && j < added.length) {
      if (compareKeys(old[i], added[j]) <= 0) push(old[i++]);
      else push(added[j++]);
    }
    while (i < old.length) push(old[i++]);
    while (j < added.length) push(added[j++]);
    this.#keys = out;
    this.#added = [];
    this.#deletions = 0;
  }

  /** Applies a batch of changes: a KeyValue sets the key, null deletes it. */
  apply(changes: KeyStates): void {
    for (const [key, kv] of changes) {
      if (kv === null) this.delete(key);
      else this.set(kv);
    }
  }

  count(prefix: string): number {
    const [lo, hi] = this.#bounds(prefix, undefined);
    return hi - lo;
  }

  /** Keys under prefix from startKey, at most limit of them (0/undefined = all). */
  range(prefix: string, startKey: string | undefined, limit: number | undefined): KeyRange {
    const [lo, hi] = this.#bounds(prefix, startKey);
    const count = hi - lo;
    const end = limit && limit < count ? lo + limit : hi;
    const kvs: KeyValue[] = [];
    for (let i = lo; i < end; i++) kvs.push(this.#values.get(this.#keys[i]) as KeyValue);
    return { kvs, more: end < hi, count };
  }

  /**
   * Like range, but as of an older revision: `past` holds, for every key changed since that
   * revision (at least those under prefix), its state at that revision. Keys absent from `past`
   * are taken from the index.
   */
  rangeAt(prefix: string, startKey: string | undefined, limit: number | undefined, past: KeyStates): KeyRange {
    const [lo, hi] = this.#bounds(prefix, startKey);
    const from = rangeStart(prefix, startKey);
    const unchanged: KeyValue[] = [];
    for (let i = lo; i < hi; i++) {
      const key = this.#keys[i];
      if (!past.has(key)) unchanged.push(this.#values.get(key) as KeyValue);
    }
    const restored: KeyValue[] = [];
    for (const kv of past.values()) {
      if (kv !== null && kv.key.startsWith(prefix) && compareKeys(kv.key, from) >= 0) restored.push(kv);
    }
    restored.sort((a, b) => compareKeys(a.key, b.key));
    const all = mergeSorted(unchanged, restored);
    const cut = limit && limit < all.length ? limit : all.length;
    return { kvs: all.slice(0, cut), more: cut < all.length, count: all.length };
  }

  /** [lo, hi): the positions in #keys of the keys under prefix that are >= startKey. */
  #bounds(prefix: string, startKey: string | undefined): [number, number] {
    this.#settle();
    const lo = this.#lowerBound(rangeStart(prefix, startKey));
    const end = prefixEnd(prefix);
    const hi = end === undefined ? this.#keys.length : this.#lowerBound(end);
    return [lo, Math.max(lo, hi)];
  }

  /** The first position whose key is >= key. */
  #lowerBound(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#keys[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function mergeSorted(a: KeyValue[], b: readonly KeyValue[]): KeyValue[] {
  if (b.length === 0) return a;
  const out: KeyValue[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (compareKeys(a[i].key, b[j].key) < 0) out.push(a[i++]);
    else out.push(b[j++]);
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

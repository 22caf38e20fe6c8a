// The informer's cache: objects by key (`namespace/name`), plus secondary indexes (index name →
// value → keys) kept up to date on every change. The default index is `namespace`.
//
// Ownership: objects in the cache are shared with every reader and must never be mutated —
// deepCopy (src/api/object.ts) before changing one. The Indexer stores what it is given.
import { objectKey, type KubeObject } from '../api/object.js';

/** The values an object is indexed under (none: not in the index). */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';

/** Indexes by metadata.namespace ("" for cluster-scoped objects). */
export function namespaceIndexFunc(obj: KubeObject): string[] {
  return [obj.metadata?.namespace ?? ''];
}

export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = {}, private readonly keyOf: (obj: T) => string = objectKey) {
    this.addIndexers({ [NAMESPACE_INDEX]: namespaceIndexFunc, ...indexers });
  }

  /** Adds indexes (existing items are indexed at once). Throws if a name is taken. */
  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexFuncs.has(name)) throw new Error(`indexer "${name}" already exists`);
      this.indexFuncs.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
    }
  }

  /** Inserts or replaces the object under its key; returns the object it replaced. */
  upsert(obj: T): T | undefined {
    const key = this.keyOf(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indices.get(name)!;
      const values = fn(obj);
      if (old) {
        const before = fn(old);
        // the common update (same namespace, same node): the key is already where it belongs;
        // deleting and re-adding it would churn sets of thousands of keys on every event
        if (sameValues(before, values)) continue;
        removeFromIndex(index, before, key);
      }
      addToIndex(index, values, key);
    }
    return old;
  }

  /** Removes the object with `key`; returns it (undefined when absent). */
  deleteKey(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    for (const [name, fn] of this.indexFuncs) removeFromIndex(this.indices.get(name)!, fn(old), key);
    return old;
  }

  /** Replaces the whole content with `objs`. */
  replace(objs: readonly T[]): void {
    this.items.clear();
    for (const index of this.indices.values()) index.clear();
    for (const o of objs) this.upsert(o);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** The object `namespace/name` (or `name` when namespace is empty). */
  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  keyFor(obj: T): string {
    return this.keyOf(obj);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Objects whose index function returned `value`. Throws if the index does not exist. */
  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  /** Keys of the objects whose index function returned `value`. Throws if the index does not exist. */
  indexKeys(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index "${indexName}" does not exist`);
    return [...(index.get(value) ?? [])];
  }

  /** Every value an index currently holds. */
  indexValues(indexName: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index "${indexName}" does not exist`);
    return [...index.keys()];
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addToIndex(index: Map<string, Set<string>>, values: readonly string[], key: string): void {
  for (const v of values) {
    let keys = index.get(v);
    if (!keys) index.set(v, (keys = new Set()));
    keys.add(key);
  }
}

function removeFromIndex(index: Map<string, Set<string>>, values: readonly string[], key: string): void {
  for (const v of values) {
    const keys = index.get(v);
    if (!keys) continue;
    keys.delete(key);
    if (keys.size === 0) index.delete(v);
  }
}

// How objects are laid out in the store, and how stored text becomes response bytes cheaply.
//
// Stored JSON always starts with apiVersion, kind, metadata (in that order), has managedFields
// last in metadata, and never contains metadata.resourceVersion: the revision is the store's
// modRevision. Because apiVersion and kind are plain strings, the first `"metadata":{` in the
// text is the top-level one, so a response body is made by splicing `"resourceVersion":"N"` in —
// no parse, no re-encode. A watch fan-out to many watchers therefore costs one string splice per
// event, not one JSON encode per watcher.
import type { KubeObject } from '../api/object.js';
import type { KeyValue } from '../storage/store.js';

const META = '"metadata":{';

/**
 * Serializes an object for the store (resourceVersion dropped, canonical key order: managedFields
 * last in metadata, as Kubernetes' ObjectMeta has it, which lets api/managed-fields-text.ts cut
 * them out of the text).
 */
export function encodeForStorage(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, managedFields, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: managedFields === undefined ? meta : { ...meta, managedFields }, ...rest });
}

/** The stored text with metadata.resourceVersion set to `revision`: valid JSON of the object as clients see it. */
export function withResourceVersion(stored: string, revision: number): string {
  const [head, member, tail] = withResourceVersionPieces(stored, revision);
  return member === undefined ? head : `${head}${member}${tail}`;
}

/**
 * withResourceVersion's text in pieces that, written one after the other, make it: the stored
 * text's slices and the member between them, so a long response is written without a copy of
 * every object in it.
 */
export function withResourceVersionPieces(stored: string, revision: number): [string, string?, string?] {
  const i = stored.indexOf(META);
  if (i < 0) return [stored]; // not an object laid out by encodeForStorage; callers never store those
  const at = i + META.length;
  const sep = stored.charCodeAt(at) === 125 /* } */ ? '' : ',';
  return [stored.slice(0, at), `"resourceVersion":"${revision}"${sep}`, stored.slice(at)];
}

/** Parsed objects of recent key-values, so a watch event fanned out to many filtered watchers is parsed once. Bounded: the store keeps every current kv alive, and a parse costs several times the text's size. */
const PARSED_CACHE_SIZE = 512;
const parsed = new Map<KeyValue, KubeObject>();

/**
 * The object a key-value holds, with resourceVersion = modRevision. Recently parsed objects
 * are shared: callers must copy (structuredClone) before mutating.
 */
export function decodeShared(kv: KeyValue): KubeObject {
  let o = parsed.get(kv);
  if (!o) {
    o = JSON.parse(kv.value) as KubeObject;
    o.metadata = { ...(o.metadata ?? {}), resourceVersion: String(kv.modRevision) };
    if (parsed.size >= PARSED_CACHE_SIZE) parsed.delete(parsed.keys().next().value as KeyValue);
    parsed.set(kv, o);
  }
  return o;
}

/** A fresh, caller-owned copy of the object a key-value holds. */
export function decode(kv: KeyValue): KubeObject {
  const o = JSON.parse(kv.value) as KubeObject;
  o.metadata = { ...(o.metadata ?? {}), resourceVersion: String(kv.modRevision) };
  return o;
}

/**
 * A deep copy of a JSON value, as it would arrive over the wire (undefined members dropped).
 * The registry's copy of every object a caller hands in: cheaper than structuredClone for JSON.
 */
export function copyJSON<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

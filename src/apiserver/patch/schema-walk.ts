// How server-side apply reads the schema: which members are structs, which lists are atomic,
// sets or associative (by which keys), and how a list item is named in a field path.
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';
import { keyElement, valueElement, type PathElement } from './field-set.js';
import { isObject, type JsonObject } from './json-value.js';

export type ListInfo =
  | { readonly kind: 'atomic' }
  | { readonly kind: 'set' }
  | { readonly kind: 'map'; readonly keys: readonly string[] };

const ATOMIC: ListInfo = { kind: 'atomic' };
const SET: ListInfo = { kind: 'set' };

/**
 * Defaults of list-map key fields for schemas that do not carry `default` (the one that
 * matters: container and service ports are keyed by port and protocol, protocol defaults to
 * TCP, and manifests usually omit it).
 */
const KEY_FIELD_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

/** The schema of member `key` of a value described by `parent` (struct property or map value). */
export function memberSchema(parent: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (parent?.type === 'object') return parent.property?.(key);
  if (parent?.type === 'map') return parent.items;
  return undefined;
}

/**
 * How a list takes part in apply: x-kubernetes-list-type first; otherwise a patch strategy of
 * merge makes it associative by its patch merge key (or a set of primitives without one), as
 * Kubernetes derives it for built-in types; anything else, and lists of unknown schema, are atomic.
 */
export function listInfo(schema: SchemaNode | undefined): ListInfo {
  if (schema?.type !== 'array') return ATOMIC;
  let info = listInfos.get(schema);
  if (!info) listInfos.set(schema, (info = listInfoOf(schema)));
  return info;
}

/** listInfo of each schema node, worked out once (nodes are built once per definition and kept). */
const listInfos = new WeakMap<SchemaNode, ListInfo>();

function listInfoOf(schema: SchemaNode): ListInfo {
  if (schema.listType === 'map') {
    const keys = schema.listMapKeys?.length ? schema.listMapKeys : schema.patchMergeKey ? [schema.patchMergeKey] : [];
    return keys.length ? { kind: 'map', keys } : ATOMIC;
  }
  if (schema.listType === 'set') return SET;
  if (schema.listType === 'atomic') return ATOMIC;
  const strategies = (schema.patchStrategy ?? '').split(',').map((s) => s.trim());
  if (!strategies.includes('merge')) return ATOMIC;
  return schema.patchMergeKey ? { kind: 'map', keys: [schema.patchMergeKey] } : SET;
}

/** True for maps and structs marked x-kubernetes-map-type: atomic (owned and replaced whole). */
export const isAtomicMap = (schema: SchemaNode | undefined): boolean => schema?.mapType === 'atomic';

/** True when `schema` describes a struct, whose members are named fields. */
export const isStruct = (schema: SchemaNode | undefined): boolean => schema?.type === 'object';

/**
 * The path element of a list item: `k:{...}` with the key fields (their defaults filled in)
 * for associative lists, `v:...` otherwise.
 */
export function itemElement(item: unknown, info: ListInfo, itemSchema: SchemaNode | undefined): PathElement {
  if (info.kind !== 'map' || !isObject(item)) return valueElement(item);
  // The common case, key fields with scalar values (a name; a port and a protocol), is written
  // straight from the sorted key names: what keyElement would write, without a sorted copy.
  const names = sortedKeyNames(info.keys);
  let text = 'k:{';
  for (const name of names) {
    const v = item[name] ?? keyDefault(itemSchema, name);
    if (v === undefined || v === null) continue;
    if (typeof v === 'object') return keyElementOf(item, info.keys, itemSchema);
    text += `${text.length > 3 ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(v)}`;
  }
  return `${text}}`;
}

function keyElementOf(item: JsonObject, keys: readonly string[], itemSchema: SchemaNode | undefined): PathElement {
  const key: JsonObject = {};
  for (const name of keys) {
    const v = item[name] ?? keyDefault(itemSchema, name);
    if (v !== undefined && v !== null) key[name] = v;
  }
  return keyElement(key);
}

/** A list-map's key names in sorted order (as keyElement writes them), kept per key list. */
function sortedKeyNames(keys: readonly string[]): readonly string[] {
  if (keys.length < 2) return keys;
  let sorted = sortedKeys.get(keys);
  if (!sorted) sortedKeys.set(keys, (sorted = [...keys].sort()));
  return sorted;
}

const sortedKeys = new WeakMap<readonly string[], readonly string[]>();

function keyDefault(itemSchema: SchemaNode | undefined, name: string): unknown {
  const field = memberSchema(itemSchema, name);
  if (field && 'default' in field) {
    const d: unknown = field.default;
    if (d !== undefined) return d;
  }
  return KEY_FIELD_DEFAULTS[name];
}

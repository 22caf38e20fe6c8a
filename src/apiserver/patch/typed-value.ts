// Objects seen through their schema, as server-side apply needs them: the set of fields a value
// sets, the difference between two values as field sets, merging an applied configuration into
// a live object, and removing fields by path. Where the schema is unknown, maps are granular and
// lists atomic (structured-merge-diff's "deduced" type).
import { deepCopy } from '../../api/object.js';
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';
import { compareElements, fieldElement, FieldSet, type FieldPath, type PathElement } from './field-set.js';
import { deepEqual, isObject, type JsonObject } from './json-value.js';
import { isAtomicMap, isStruct, itemElement, listInfo, memberSchema, type ListInfo } from './schema-walk.js';

type Shape = 'leaf' | 'map' | 'list';

/** Scalars, nulls and atomic maps and lists are leaves; the rest is walked member by member. */
function shapeOf(v: unknown, schema: SchemaNode | undefined): Shape {
  if (Array.isArray(v)) return listInfo(schema).kind === 'atomic' ? 'leaf' : 'list';
  if (isObject(v)) return isAtomicMap(schema) ? 'leaf' : 'map';
  return 'leaf';
}

const hasOwn = (o: JsonObject, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The fields `value` sets: every leaf, every list item (as a member), never a granular map
 * itself (an empty one sets nothing).
 */
export function toFieldSet(value: unknown, schema: SchemaNode | undefined): FieldSet {
  const out: FieldPath[] = [];
  collect(value, schema, [], out);
  return new FieldSet(out);
}

function collect(v: unknown, schema: SchemaNode | undefined, path: FieldPath, out: FieldPath[]): void {
  const shape = shapeOf(v, schema);
  if (shape === 'map' && isObject(v)) {
    for (const [k, x] of Object.entries(v)) collect(x, memberSchema(schema, k), [...path, fieldElement(k)], out);
  } else if (shape === 'list' && Array.isArray(v)) {
    const info = listInfo(schema);
    for (const item of v) {
      const itemPath = [...path, itemElement(item, info, schema?.items)];
      out.push(itemPath);
      if (info.kind === 'map' && isObject(item)) {
        for (const [k, x] of Object.entries(item)) collect(x, memberSchema(schema?.items, k), [...itemPath, fieldElement(k)], out);
      }
    }
  } else if (path.length > 0) {
    out.push(path);
  }
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/**
 * What changed from `before` to `after`: leaves with a new value are modified; a subtree present
 * on one side only is added (or removed) together with its root and every path below it.
 */
export function compareValues(before: unknown, after: unknown, schema: SchemaNode | undefined): Comparison {
  const added: FieldPath[] = [];
  const modified: FieldPath[] = [];
  const removed: FieldPath[] = [];
  const walk = (a: unknown, b: unknown, s: SchemaNode | undefined, path: FieldPath): void => {
    if (a === undefined && b === undefined) return;
    if (a === undefined) return everything(b, s, path, added);
    if (b === undefined) return everything(a, s, path, removed);
    const sa = shapeOf(a, s);
    if (sa === 'map' && shapeOf(b, s) === 'map' && isObject(a) && isObject(b)) {
      if (Object.keys(a).length > 0 || Object.keys(b).length > 0) {
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
          walk(hasOwn(a, k) ? a[k] : undefined, hasOwn(b, k) ? b[k] : undefined, memberSchema(s, k), [...path, fieldElement(k)]);
        }
        return;
      }
    } else if (sa === 'list' && Array.isArray(a) && Array.isArray(b) && (a.length > 0 || b.length > 0)) {
      const info = listInfo(s);
      const ia = indexItems(a, info, s?.items);
      const ib = indexItems(b, info, s?.items);
      for (const el of new Set([...ia.keys(), ...ib.keys()])) {
        const x = ia.get(el);
        const y = ib.get(el);
        if (info.kind === 'set') {
          if (x === undefined) added.push([...path, el]);
          else if (y === undefined) removed.push([...path, el]);
        } else {
          walk(x, y, s?.items, [...path, el]);
        }
      }
      return;
    }
    if (path.length > 0 && !deepEqual(a, b)) modified.push(path);
  };
  walk(before, after, schema, []);
  return { added: new FieldSet(added), modified: new FieldSet(modified), removed: new FieldSet(removed) };
}

/** The path of `v` (when not the root) and every path below it. */
function everything(v: unknown, schema: SchemaNode | undefined, path: FieldPath, out: FieldPath[]): void {
  if (path.length > 0) out.push(path);
  const shape = shapeOf(v, schema);
  if (shape === 'map' && isObject(v)) {
    for (const [k, x] of Object.entries(v)) everything(x, memberSchema(schema, k), [...path, fieldElement(k)], out);
  } else if (shape === 'list' && Array.isArray(v)) {
    const info = listInfo(schema);
    for (const item of v) {
      const itemPath = [...path, itemElement(item, info, schema?.items)];
      if (info.kind === 'set') out.push(itemPath);
      else everything(item, schema?.items, itemPath, out);
    }
  }
}

/**
 * The FieldsV1 encoding of every path below `v` (what `everything` lists for `v` apart from `v`'s
 * own path), built directly: members in structured-merge-diff's order, `"."` first when
 * `withSelf`. Undefined when two items of a list have the same path element (the caller then
 * takes the general route through field sets, which merges them).
 */
export function encodeEverything(v: unknown, schema: SchemaNode | undefined, withSelf: boolean): JsonObject | undefined {
  const out: JsonObject = withSelf ? { '.': {} } : {};
  if (Array.isArray(v)) {
    const info = listInfo(schema);
    if (info.kind === 'atomic') return out;
    const itemSchema = schema?.items;
    const items = v.map((item) => ({ item, el: itemElement(item, info, itemSchema) }));
    if (items.length > 1) items.sort((a, b) => compareElements(a.el, b.el));
    for (let i = 0; i < items.length; i++) {
      const { item, el } = items[i]!;
      if (i > 0 && items[i - 1]!.el === el) return undefined;
      const below = info.kind !== 'set' ? encodeBelow(item, itemSchema) : {};
      if (below === undefined) return undefined;
      out[el] = below;
    }
  } else if (isObject(v) && !isAtomicMap(schema)) {
    const keys = Object.keys(v);
    if (keys.length > 1) keys.sort();
    for (const k of keys) {
      const below = encodeBelow(v[k], memberSchema(schema, k));
      if (below === undefined) return undefined;
      out[fieldElement(k)] = below;
    }
  }
  return out;
}

/** encodeEverything(x, s, true) when x is walked into and has members or items, else {} (its own path only). */
function encodeBelow(x: unknown, s: SchemaNode | undefined): JsonObject | undefined {
  if (Array.isArray(x)) return x.length > 0 && listInfo(s).kind !== 'atomic' ? encodeEverything(x, s, true) : {};
  if (isObject(x) && !isAtomicMap(s)) {
    for (const _ in x) return encodeEverything(x, s, true);
  }
  return {};
}

/** Items by path element; the first of duplicates wins. */
function indexItems(list: readonly unknown[], info: ListInfo, itemSchema: SchemaNode | undefined): Map<PathElement, unknown> {
  const m = new Map<PathElement, unknown>();
  for (const item of list) {
    const el = itemElement(item, info, itemSchema);
    if (!m.has(el)) m.set(el, item);
  }
  return m;
}

/**
 * `set` plus every struct field (a property of a schema `object`) that has a member below it:
 * owning `spec.strategy.type` also owns `spec.strategy`, as structured-merge-diff's
 * EnsureNamedFieldsAreMembers does. Map keys and list items are not added.
 */
export function withNamedFields(set: FieldSet, schema: SchemaNode | undefined): FieldSet {
  const extra: FieldPath[] = [];
  for (const path of set) {
    let s = schema;
    for (let i = 0; i < path.length - 1; i++) {
      const el = path[i] ?? '';
      if (el.startsWith('f:')) {
        if (isStruct(s)) extra.push(path.slice(0, i + 1));
        s = memberSchema(s, el.slice(2));
      } else {
        s = s?.items;
      }
    }
  }
  return extra.length ? set.union(new FieldSet(extra)) : set;
}

/** The value at `path` in `root` (shared, not copied), or undefined. */
export function valueAt(root: unknown, path: FieldPath, schema: SchemaNode | undefined): unknown {
  let v = root;
  let s = schema;
  for (const el of path) {
    if (el.startsWith('f:')) {
      const name = el.slice(2);
      if (!isObject(v) || !hasOwn(v, name)) return undefined;
      v = v[name];
      s = memberSchema(s, name);
    } else {
      if (!Array.isArray(v)) return undefined;
      v = v[itemIndex(v, el, s)];
      s = s?.items;
    }
  }
  return v;
}

function itemIndex(list: readonly unknown[], el: PathElement, schema: SchemaNode | undefined): number {
  if (el.startsWith('i:')) return Number(el.slice(2));
  const info = listInfo(schema);
  return list.findIndex((item) => itemElement(item, info, schema?.items) === el);
}

/** Removes the member or list item at `path` from `root` in place; absent paths are ignored. */
export function removeAt(root: unknown, path: FieldPath, schema: SchemaNode | undefined): void {
  const last = path[path.length - 1];
  if (last === undefined) return;
  const parentPath = path.slice(0, -1);
  const parent = valueAt(root, parentPath, schema);
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent)) return;
  const parentSchema = schemaAt(schema, parentPath);
  for (let i = parent.length - 1; i >= 0; i--) {
    const matches = last.startsWith('i:') ? i === Number(last.slice(2)) : itemElement(parent[i], listInfo(parentSchema), parentSchema?.items) === last;
    if (matches) parent.splice(i, 1);
  }
}

/** The schema at `path`. */
export function schemaAt(schema: SchemaNode | undefined, path: FieldPath): SchemaNode | undefined {
  let s = schema;
  for (const el of path) s = el.startsWith('f:') ? memberSchema(s, el.slice(2)) : s?.items;
  return s;
}

/**
 * Merges an applied configuration into `live` (which the caller owns; parts of it end up in
 * the result): granular maps merge member by member, associative lists and sets merge item by
 * item (live-only items keep their place, applied items keep their order), everything else is
 * replaced by the applied value.
 */
export function mergeApplied(live: unknown, applied: unknown, schema: SchemaNode | undefined): unknown {
  if (applied === undefined) return live;
  if (live === undefined) return deepCopy(applied);
  const shape = shapeOf(applied, schema);
  if (shape === 'map' && isObject(applied) && isObject(live)) {
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(hasOwn(live, k) ? live[k] : undefined, v, memberSchema(schema, k));
    return out;
  }
  if (shape === 'list' && Array.isArray(applied) && Array.isArray(live)) return mergeList(live, applied, listInfo(schema), schema?.items);
  return deepCopy(applied);
}

function mergeList(live: unknown[], applied: unknown[], info: ListInfo, itemSchema: SchemaNode | undefined): unknown[] {
  const liveEls = live.map((x) => itemElement(x, info, itemSchema));
  const appliedEls = applied.map((x) => itemElement(x, info, itemSchema));
  const liveByEl = new Map<PathElement, unknown>();
  live.forEach((x, i) => {
    const el = liveEls[i] ?? '';
    if (!liveByEl.has(el)) liveByEl.set(el, x);
  });
  const inApplied = new Set(appliedEls);
  const emitted = new Set<PathElement>();
  const out: unknown[] = [];
  const take = (el: PathElement, appliedItem: unknown): void => {
    if (emitted.has(el)) return;
    emitted.add(el);
    out.push(info.kind === 'map' ? mergeApplied(liveByEl.get(el), appliedItem, itemSchema) : deepCopy(appliedItem));
  };
  let i = 0;
  let j = 0;
  while (i < live.length || j < applied.length) {
    const le = liveEls[i];
    const ae = appliedEls[j];
    if (le !== undefined && ae !== undefined && le === ae) {
      take(ae, applied[j]);
      i++;
      j++;
    } else if (le !== undefined && !inApplied.has(le)) {
      out.push(live[i]);
      i++;
    } else if (le !== undefined && emitted.has(le)) {
      i++;
    } else if (ae !== undefined) {
      take(ae, applied[j]);
      j++;
    } else {
      i++;
    }
  }
  return out;
}

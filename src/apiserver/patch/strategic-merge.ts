// Kubernetes strategic merge patch (application/strategic-merge-patch+json), the server half:
// applying a patch that kubectl (or anyone) computed. The schema says, per field, whether a
// list merges by key (x-kubernetes-patch-strategy: merge + x-kubernetes-patch-merge-key), merges
// as a set of primitives (strategy merge, no key) or is replaced; maps merge unless their
// strategy is replace. Where the schema knows nothing, the patch behaves as a JSON merge patch.
//
// Directives understood (and never left in the result):
//   $patch: replace | delete            in a map: replace it with the patch / clear it
//   {$patch: replace} in a list         the list becomes the patch's other items
//   {name: x, $patch: delete} in a list remove the item with that merge key
//   $retainKeys: [a, b]                 drop every other key of the original map
//   $deleteFromPrimitiveList/<f>: [...] remove these values from the primitive list f
//   $setElementOrder/<f>: [...]         the order of the merged list f
// Items new to a merge list come before the live-only items unless $setElementOrder says
// otherwise, as in Kubernetes.
import { BadRequestError, type ApiError } from '../../api/errors.js';
import { deepCopy } from '../../api/object.js';
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';
import { deepEqual, goFormat, goJsonKind, isObject, type JsonObject } from './json-value.js';
import { patchNotApplicable, unclassifiedPatchError } from './patch-errors.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

// k8s.io/apimachinery/pkg/util/mergepatch errors the apiserver maps to 400 / 422
const ERR_BAD_JSON_DOC = 'invalid JSON document';
const ERR_BAD_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_BAD_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_BAD_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';
const ERR_NO_LIST_OF_LISTS = 'lists of lists are not supported';

type Kind = 'map' | 'list' | 'string' | 'number' | 'boolean' | 'null';

/**
 * Applies a decoded strategic merge patch to `doc` and returns the result; neither input is
 * modified. `schema` is the kind's root schema (undefined: JSON-merge-patch behaviour).
 * Throws, as the Kubernetes apiserver answers:
 * - 400 BadRequest: patch or document not a JSON object, malformed $retainKeys,
 *   $deleteFromPrimitiveList or $setElementOrder directives, patch keys outside $retainKeys;
 * - 422 Invalid (generic, detail in the cause): lists of lists;
 * - 500 with an empty reason: other inapplicable patches (a merge-list item without its merge
 *   key, an unknown `$patch` value, mixed element types, `$patch: merge` in a list).
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  if (patch === null) return deepCopy(doc);
  if (!isObject(patch)) {
    throw new BadRequestError(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  }
  if (!isObject(doc)) throw new BadRequestError(ERR_BAD_JSON_DOC);
  return mergeMap(deepCopy(doc), deepCopy(patch), schema);
}

// --- schema ----------------------------------------------------------------------------------

/** The schema of member `key` of a value described by `parent`. */
function memberSchema(parent: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (parent?.type === 'object') return parent.property?.(key);
  if (parent?.type === 'map') return parent.items;
  return undefined;
}

/** 'merge', 'replace' or '' (retainKeys is a client-side hint; `$retainKeys` itself is honoured always). */
function strategyOf(field: SchemaNode | undefined): string {
  const parts = (field?.patchStrategy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'retainKeys');
  return parts[0] ?? '';
}

// --- errors ----------------------------------------------------------------------------------

const unclassified = (message: string): ApiError => unclassifiedPatchError(message);
const noMergeKey = (m: unknown, key: string): ApiError => unclassified(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}
const badArgType = (expected: string, actual: unknown): ApiError =>
  unclassified(`expected a ${expected}, but received a ${goTypeName(actual)}`);

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isObject(v)) return 'map';
  if (typeof v === 'number') return 'number';
  return typeof v === 'boolean' ? 'boolean' : 'string';
}

const hasOwn = (o: JsonObject, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** `$deleteFromPrimitiveList/finalizers` → `finalizers`. */
function directiveTarget(key: string, prefix: string, error: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw new BadRequestError(error);
  return key.slice(slash + 1);
}

// --- maps ------------------------------------------------------------------------------------

/** Merges `patch` into `original`; both are owned by the caller and may be modified. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return mergeMap({}, patch, schema);
    }
    if (directive === 'delete') return {};
    throw unclassified(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);

  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deletions.push([directiveTarget(key, DELETE_FROM_PRIMITIVE_LIST, ERR_BAD_PRIMITIVE_LIST), value]);
    } else {
      mergeMember(original, key, value, schema, false);
    }
  }
  // after the additions, so an item both added and deleted ends up deleted
  for (const [key, value] of deletions) mergeMember(original, key, value, schema, true);
  return original;
}

function mergeMember(original: JsonObject, key: string, value: unknown, schema: SchemaNode | undefined, isDeleteList: boolean): void {
  const field = memberSchema(schema, key);
  if (value === null) {
    delete original[key];
    return;
  }
  const current = original[key];
  if (!hasOwn(original, key) || kindOf(current) !== kindOf(value)) {
    if (!isDeleteList) setMaterialized(original, key, value, field);
    return;
  }
  if (isObject(current) && isObject(value)) {
    original[key] = strategyOf(field) === 'replace' ? (materializeMap(value, field) ?? {}) : mergeMap(current, value, field);
  } else if (Array.isArray(current) && Array.isArray(value)) {
    original[key] = mergeList(current, value, field, isDeleteList);
  } else {
    original[key] = value;
  }
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw new BadRequestError(ERR_BAD_RETAIN_KEYS);
  const keep = new Set(list.filter((k): k is string => typeof k === 'string'));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(key)) throw new BadRequestError(ERR_BAD_RETAIN_KEYS);
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

// --- values new to the original --------------------------------------------------------------

/** A patch value with its directives applied against nothing and its nulls dropped. */
function materialize(value: unknown, schema: SchemaNode | undefined): unknown {
  if (isObject(value)) return materializeMap(value, schema);
  if (Array.isArray(value)) return materializeList(value, schema);
  return value;
}

/** undefined when the map only asks for its own deletion. */
function materializeMap(value: JsonObject, schema: SchemaNode | undefined): JsonObject | undefined {
  if (value[DIRECTIVE] === 'delete') return undefined;
  return mergeMap({}, value, schema);
}

function materializeList(list: readonly unknown[], schema: SchemaNode | undefined): unknown[] {
  const out: unknown[] = [];
  for (const item of list) {
    if (isObject(item) && hasOwn(item, DIRECTIVE) && (item[DIRECTIVE] === 'delete' || item[DIRECTIVE] === 'replace')) continue;
    const v = materialize(item, schema?.items);
    if (v !== undefined) out.push(v);
  }
  return out;
}

function setMaterialized(original: JsonObject, key: string, value: unknown, field: SchemaNode | undefined): void {
  const v = materialize(value, field);
  if (v === undefined) delete original[key];
  else original[key] = v;
}

// --- lists -----------------------------------------------------------------------------------

function mergeList(original: unknown[], patch: unknown[], field: SchemaNode | undefined, isDeleteList: boolean): unknown[] {
  if (strategyOf(field) === 'merge' || isDeleteList) return mergeSlice(original, patch, field, isDeleteList);
  return materializeList(patch, field);
}

function mergeSlice(original: unknown[], patch: unknown[], field: SchemaNode | undefined, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const mergeKey = field?.patchMergeKey ?? '';
  const kind = elementKind(original, patch);
  let merged: unknown[];
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((v) => !patch.some((d) => scalarEqual(v, d)));
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => scalarEqual(m, v))) merged.push(v);
  } else {
    if (!mergeKey) throw unclassified('cannot merge lists without merge key');
    const special = applySpecialElements(original as JsonObject[], patch as JsonObject[], mergeKey, field?.items);
    original = special.original;
    patch = special.patch;
    merged = mergeByKey(special.original, special.patch, mergeKey, field?.items);
  }
  const [patchItems, serverOnly] = partition(merged, patch, mergeKey, kind);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind);
}

/** The common kind of the elements of every list; lists of lists and mixed kinds are errors. */
function elementKind(...lists: readonly unknown[][]): Kind {
  let kind: Kind | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = kindOf(v);
      if (kind === undefined) {
        if (k === 'list') throw patchNotApplicable(ERR_NO_LIST_OF_LISTS);
        kind = k;
      } else if (k !== kind) {
        throw unclassified(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (kind === undefined) throw unclassified('no elements in any of the given slices');
  return kind;
}

const scalarEqual = (a: unknown, b: unknown): boolean => a === b || deepEqual(a, b);

/** Handles `$patch` items: delete removes by merge key, replace drops the original. */
function applySpecialElements(
  original: JsonObject[],
  patch: JsonObject[],
  mergeKey: string,
  itemSchema: SchemaNode | undefined,
): { original: JsonObject[]; patch: JsonObject[] } {
  const rest: JsonObject[] = [];
  let replace = false;
  for (const item of patch) {
    if (!hasOwn(item, DIRECTIVE)) {
      rest.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      original = original.filter((o) => !(hasOwn(o, mergeKey) && scalarEqual(o[mergeKey], item[mergeKey])));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw unclassified('merging lists cannot yet be specified in the patch');
    } else {
      throw unclassified(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(item)}`);
    }
  }
  if (replace) return { original: rest.map((item) => mergeMap({}, item, itemSchema)), patch: [] };
  return { original, patch: rest };
}

function mergeByKey(original: JsonObject[], patch: JsonObject[], mergeKey: string, itemSchema: SchemaNode | undefined): JsonObject[] {
  const out = [...original];
  for (const item of patch) {
    if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const at = out.findIndex((o) => hasOwn(o, mergeKey) && scalarEqual(o[mergeKey], item[mergeKey]));
    if (at >= 0) out[at] = mergeMap(out[at], item, itemSchema);
    else out.push(mergeMap({}, item, itemSchema));
  }
  return out;
}

/** Splits `list` into the items present in `by` (by merge key, or by value) and the rest. */
function partition(list: readonly unknown[], by: readonly unknown[], mergeKey: string, kind: Kind): [unknown[], unknown[]] {
  const present: unknown[] = [];
  const absent: unknown[] = [];
  for (const v of list) {
    if (kind === 'map') {
      if (!isObject(v)) throw badArgType('map[string]interface {}', v);
      if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    }
    (indexIn(by, v, mergeKey, kind) >= 0 ? present : absent).push(v);
  }
  return [present, absent];
}

function indexIn(list: readonly unknown[], item: unknown, mergeKey: string, kind: Kind): number {
  if (kind !== 'map') return list.findIndex((v) => scalarEqual(v, item));
  if (!isObject(item)) return -1;
  return list.findIndex((v) => isObject(v) && hasOwn(v, mergeKey) && scalarEqual(v[mergeKey], item[mergeKey]));
}

/**
 * Orders the patch items by `patchOrder` and the live-only items by `serverOrder`, then
 * interleaves them: a live-only item goes before a patch item when the live list had it first.
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Stable sort by position in `order`; items absent from it keep their relative order at the end. */
function sortByOrder(items: unknown[], order: readonly unknown[], mergeKey: string, kind: Kind): unknown[] {
  if (kind === 'map') {
    for (const v of [...items, ...order]) {
      if (!isObject(v)) throw badArgType('map[string]interface {}', v);
      if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    }
  }
  return items
    .map((v, at) => ({ v, at, rank: indexIn(order, v, mergeKey, kind) }))
    .sort((a, b) => (a.rank < 0 ? Infinity : a.rank) - (b.rank < 0 ? Infinity : b.rank) || a.at - b.at)
    .map((x) => x.v);
}

// --- $setElementOrder ------------------------------------------------------------------------

/** Merges every list named by a `$setElementOrder/<field>` directive, in that order, and removes both from `patch`. */
function applySetElementOrder(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    if (!Array.isArray(order)) throw badArgType('[]interface {}', order);
    const key = directiveTarget(directiveKey, SET_ELEMENT_ORDER, ERR_BAD_SET_ELEMENT_ORDER);
    const foundOriginal = hasOwn(original, key);
    const foundPatch = hasOwn(patch, key);
    if (!foundOriginal && !foundPatch) continue;
    const originalList = foundOriginal ? original[key] : [];
    const patchList = foundPatch ? patch[key] : [];
    if (!Array.isArray(originalList)) throw badArgType('[]interface {}', originalList);
    if (!Array.isArray(patchList)) throw badArgType('[]interface {}', patchList);
    const field = memberSchema(schema, key);
    const mergeKey = field?.patchMergeKey ?? '';
    checkOrderCoversPatch(patchList, order, mergeKey);

    const merged = foundPatch ? mergeList(originalList, patchList, field, false) : originalList;
    delete patch[key];
    if (originalList.length === 0 && patchList.length === 0) {
      original[key] = merged;
      continue;
    }
    const kind = elementKind(originalList, patchList);
    const [inOrder, serverOnly] = partition(merged, order, mergeKey, kind);
    original[key] = normalizeElementOrder(inOrder, serverOnly, order, originalList, mergeKey, kind);
  }
}

/** The patch list's items (deletions aside) must appear in the order list, in the same relative order. */
function checkOrderCoversPatch(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string): void {
  if (patchList.length === 0 || order.length === 0) return;
  let items = patchList;
  if (mergeKey) {
    for (const v of patchList) if (!isObject(v)) throw badArgType('map[string]interface {}', v);
    items = patchList.filter((v) => !(isObject(v) && v[DIRECTIVE] === 'delete'));
  }
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    const item = items[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (sameMergeKey(item, order[s], mergeKey)) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw unclassified(
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`,
    );
  }
}

function sameMergeKey(a: unknown, b: unknown, mergeKey: string): boolean {
  if (!mergeKey) return scalarEqual(a, b);
  if (!isObject(a)) throw badArgType('map[string]interface {}', a);
  if (!isObject(b)) throw badArgType('map[string]interface {}', b);
  if (!hasOwn(a, mergeKey)) throw noMergeKey(a, mergeKey);
  if (!hasOwn(b, mergeKey)) throw noMergeKey(b, mergeKey);
  return scalarEqual(a[mergeKey], b[mergeKey]);
}

// metadata.managedFields: who owns which fields. Every write records its changes here: an
// ordinary create, update or patch (operation Update, by updateManagedFields) or a server-side
// apply (operation Apply, by applyServerSide in apply.ts).
//
// A manager is identified, as in Kubernetes, by its name, operation, subresource and (for
// Update only) apiVersion: `kubectl` applying and `kubectl` updating are two managers.
import { rfc3339 } from '../../api/time.js';
import type { KubeObject, ManagedFieldsEntry } from '../../api/object.js';
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';
import { fieldElement, FieldSet, fromFieldsV1, toFieldsV1, type FieldPath } from './field-set.js';
import { deepEqual, isObject, type JsonObject } from './json-value.js';
import { compareValues, encodeEverything } from './typed-value.js';

export type ManagedOperation = 'Apply' | 'Update';

/** One decoded managedFields entry. */
export interface ManagerRecord {
  readonly manager: string;
  readonly operation: ManagedOperation;
  readonly apiVersion: string;
  readonly subresource?: string;
  /** RFC 3339, seconds precision */
  readonly time?: string;
  readonly set: FieldSet;
}

/** Records by manager identity (see managerIdentity). */
export type Managers = Map<string, ManagerRecord>;

/** Field paths given as member names, e.g. ['status'] or ['metadata', 'labels']. */
export type ResetFields = readonly (readonly string[])[];

/** The manager Kubernetes charges with fields found on an object that had no managedFields when first applied. */
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';

/** The longest manager name Kubernetes accepts. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * The manager name the apiserver uses when a request names none: the User-Agent up to its
 * first `/`, without unprintable characters, at most 128 bytes (`kubectl/v1.32.0 (linux/amd64)`
 * gives `kubectl`). kubectl itself always names one (`kubectl-client-side-apply`,
 * `kubectl-edit`, `kubectl-create`, `kubectl` for --server-side, ...); pass `fieldManager`
 * from the query when present, this otherwise.
 */
export function defaultFieldManager(userAgent: string): string {
  const prefix = userAgent.split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (/\p{C}/u.test(ch)) continue;
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/** The identity under which a manager's fields are kept (apiVersion counts for Update only). */
export function managerIdentity(r: { manager: string; operation: ManagedOperation; apiVersion: string; subresource?: string }): string {
  return JSON.stringify([r.manager, r.operation, r.operation === 'Update' ? r.apiVersion : '', r.subresource ?? '']);
}

/** `"kubectl"`, `"kubectl-client-side-apply" using apps/v1`, `"x" with subresource "status" using v1`. */
export function describeManager(r: ManagerRecord): string {
  let s = JSON.stringify(r.manager);
  if (r.subresource) s += ` with subresource ${JSON.stringify(r.subresource)}`;
  if (r.operation === 'Update') s += ` using ${r.apiVersion}`;
  return s;
}

/** Which fields the main resource and each subresource may not change, as Kubernetes' strategies reset them. */
export function defaultResetFields(subresource: string | undefined): ResetFields {
  if (!subresource) return [['status']];
  if (subresource === 'status') return [['spec']];
  return [];
}

/** Members of metadata never tracked (managedFields not even below it). */
const UNTRACKED_METADATA = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'];

/** Fields never tracked: identity, system metadata and managedFields itself. */
const UNTRACKED_METADATA_SET: ReadonlySet<string> = new Set(UNTRACKED_METADATA);
const UNTRACKED: readonly FieldPath[] = [['f:apiVersion'], ['f:kind'], ['f:metadata'], ...UNTRACKED_METADATA.map((n) => ['f:metadata', fieldElement(n)])];

const startsWith = (path: FieldPath, prefix: FieldPath): boolean => prefix.length <= path.length && prefix.every((el, i) => path[i] === el);

/** `set` without untracked fields and without anything under the reset fields. */
export function trackedFields(set: FieldSet, reset: ResetFields): FieldSet {
  const resetPaths = reset.map((names) => names.map(fieldElement));
  return set.filter((p) => {
    if (UNTRACKED.some((u) => startsWith(p, u) && (p.length === u.length || u[1] === 'f:managedFields'))) return false;
    return !resetPaths.some((r) => startsWith(p, r));
  });
}

// --- encoding --------------------------------------------------------------------------------

/**
 * Decodes metadata.managedFields; undefined when it is not a valid list of FieldsV1 entries.
 * `stored`: the list is a stored object's, which this server wrote itself (setManagedFields or
 * apply), so each entry's field set is decoded only when read (FieldSet.fromOwnFieldsV1).
 */
export function decodeManagedFields(raw: unknown, stored = false): Managers | undefined {
  const managers: Managers = new Map();
  if (raw === undefined || raw === null) return managers;
  if (!Array.isArray(raw)) return undefined;
  for (const e of raw) {
    if (!isObject(e)) return undefined;
    const { manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource } = e;
    if (operation !== 'Apply' && operation !== 'Update') return undefined;
    if (typeof apiVersion !== 'string' || apiVersion === '') return undefined;
    if (fieldsType !== 'FieldsV1') return undefined;
    if (manager !== undefined && typeof manager !== 'string') return undefined;
    if (time !== undefined && time !== null && typeof time !== 'string') return undefined;
    if (subresource !== undefined && typeof subresource !== 'string') return undefined;
    let set: FieldSet;
    try {
      set = fieldsV1 === undefined || fieldsV1 === null ? FieldSet.empty : stored && isObject(fieldsV1) ? FieldSet.fromOwnFieldsV1(fieldsV1) : fromFieldsV1(fieldsV1);
    } catch {
      return undefined;
    }
    const record: ManagerRecord = {
      manager: manager ?? '',
      operation,
      apiVersion,
      set,
      ...(typeof time === 'string' ? { time } : {}),
      ...(subresource ? { subresource } : {}),
    };
    managers.set(managerIdentity(record), record);
  }
  return managers;
}

/** The managedFields list, in Kubernetes' order: Apply before Update, then by time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...managers.values()]
    .filter((r) => !r.set.isEmpty())
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        seconds(p.time) - seconds(q.time) ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? '', q.subresource ?? ''),
    )
    .map((r) => ({
      manager: r.manager,
      operation: r.operation,
      apiVersion: r.apiVersion,
      ...(r.time ? { time: r.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(r.set),
      ...(r.subresource ? { subresource: r.subresource } : {}),
    }));
}

/** Writes the managers into obj.metadata.managedFields (removing it when none is left). */
export function setManagedFields(obj: KubeObject, managers: Managers): void {
  const entries = encodeManagedFields(managers);
  if (entries.length) (obj.metadata ??= {}).managedFields = entries;
  else if (obj.metadata) delete obj.metadata.managedFields;
}

/** Takes `changed` and `removed` fields away from every manager but `except`; drops managers left with nothing. */
export function releaseFields(managers: Managers, except: string, changed: FieldSet, removed: FieldSet): void {
  for (const [id, r] of managers) {
    if (id === except) continue;
    const set = r.set.difference(changed).difference(removed);
    if (set.isEmpty()) managers.delete(id);
    else if (set !== r.set) managers.set(id, { ...r, set });
  }
}

// --- Update ----------------------------------------------------------------------------------

export interface UpdateManagedFieldsOptions {
  /** the field manager (the request's fieldManager, or defaultFieldManager(User-Agent)) */
  readonly manager: string;
  readonly operation: 'Update';
  /** group/version of the request, e.g. `apps/v1` */
  readonly apiVersion: string;
  readonly now: Date;
  /** 'status', 'scale', ...; undefined for the main resource */
  readonly subresource?: string;
  /** the kind's schema; undefined treats lists as atomic */
  readonly schema?: SchemaNode;
  /** fields this request may not change and which are not tracked; default defaultResetFields(subresource) */
  readonly resetFields?: ResetFields;
}

/**
 * Records an ordinary write (create: oldObj undefined; update; non-apply patch) in
 * newObj.metadata.managedFields, mutating newObj: every field the write added or changed
 * becomes the manager's (taken from any other manager), removed fields leave every manager, and
 * the manager's entry gets time `now` when it gained fields. Other entries keep their time.
 *
 * As in Kubernetes, the starting point is newObj's own managedFields when the request set a
 * valid non-empty list (so clients may rewrite ownership; `[{}]` clears it), otherwise
 * oldObj's; for subresources always oldObj's. Calling it twice with the same objects gives the
 * same result.
 */
export function updateManagedFields(oldObj: KubeObject | undefined, newObj: KubeObject, opts: UpdateManagedFieldsOptions): void {
  const managers = startingManagers(oldObj, newObj, opts.subresource !== undefined && opts.subresource !== '');
  const reset = opts.resetFields ?? defaultResetFields(opts.subresource);
  const fieldsV1 = oldObj === undefined && managers.size === 0 && reset.every((p) => p.length === 1) ? createdFieldsV1(newObj, reset, opts.schema) : undefined;
  if (fieldsV1) {
    // A create without ownership in the request: the manager owns every tracked field. The same
    // result as the comparison below, without field sets (the common write, and the costly one).
    if (Object.keys(fieldsV1).length === 0) {
      if (newObj.metadata) delete newObj.metadata.managedFields;
      return;
    }
    const entry: ManagedFieldsEntry = {
      manager: opts.manager,
      operation: 'Update',
      apiVersion: opts.apiVersion,
      time: rfc3339(opts.now),
      fieldsType: 'FieldsV1',
      fieldsV1,
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    };
    (newObj.metadata ??= {}).managedFields = [entry];
    return;
  }
  const diff = compareValues(diffView(oldObj ?? {}, reset), diffView(newObj, reset), opts.schema);
  const changed = trackedFields(diff.added.union(diff.modified), reset);
  const removed = trackedFields(diff.removed, reset);
  const id = managerIdentity({ manager: opts.manager, operation: 'Update', apiVersion: opts.apiVersion, subresource: opts.subresource });
  releaseFields(managers, id, changed, removed);
  const own = managers.get(id);
  const kept = own ? own.set.difference(changed).difference(removed) : FieldSet.empty;
  if (!changed.isEmpty()) {
    managers.set(id, {
      manager: opts.manager,
      operation: 'Update',
      apiVersion: opts.apiVersion,
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
      time: rfc3339(opts.now),
      set: kept.union(changed),
    });
  } else if (own) {
    if (kept.isEmpty()) managers.delete(id);
    else managers.set(id, { ...own, set: kept });
  }
  setManagedFields(newObj, managers);
}

/**
 * What of an object can yield tracked fields: without its top-level reset members and without
 * metadata.managedFields (trackedFields drops everything under them anyway), so a status write
 * does not compare the whole spec, nor any write the managedFields lists. A shallow view.
 */
function diffView(obj: KubeObject, reset: ResetFields): KubeObject {
  const view: Record<string, unknown> = { ...obj };
  for (const path of reset) if (path.length === 1) delete view[path[0]!];
  if (isObject(view.metadata) && 'managedFields' in view.metadata) {
    const { managedFields: _untracked, ...meta } = view.metadata;
    view.metadata = meta;
  }
  return view as KubeObject;
}

/**
 * Every tracked field of `obj` as FieldsV1 (reset members, all of length 1, left out), or
 * undefined when the general route must decide (an untracked field that is not a scalar keeps
 * the paths below it; items with the same path element merge). Empty when nothing is tracked.
 */
function createdFieldsV1(obj: KubeObject, reset: ResetFields, schema: SchemaNode | undefined): JsonObject | undefined {
  const { apiVersion, kind, metadata, ...rest } = diffView(obj, reset) as Record<string, unknown>;
  if (!isScalar(apiVersion) || !isScalar(kind) || (metadata !== undefined && !isObject(metadata))) return undefined;
  const view: Record<string, unknown> = rest;
  if (metadata) {
    const tracked: Record<string, unknown> = {};
    for (const k of Object.keys(metadata)) {
      const v = metadata[k];
      if (!UNTRACKED_METADATA_SET.has(k)) tracked[k] = v;
      else if (!isScalar(v)) return undefined;
    }
    view.metadata = tracked;
  }
  const fields = encodeEverything(view, schema, false);
  const meta = fields?.['f:metadata'];
  if (isObject(meta)) {
    // metadata itself is not tracked, only what is below it (a copy without '.' rather than a
    // delete, which would leave the object in V8's slow dictionary mode for the encoding)
    const { '.': _self, ...below } = meta;
    if (Object.keys(below).length === 0) delete fields!['f:metadata'];
    else fields!['f:metadata'] = below;
  }
  return fields;
}

const isScalar = (v: unknown): boolean => typeof v !== 'object' || v === null;

function startingManagers(oldObj: KubeObject | undefined, newObj: KubeObject, subresource: boolean): Managers {
  const fromOld = (): Managers => decodeManagedFields(oldObj?.metadata?.managedFields, true) ?? new Map();
  if (subresource) return fromOld();
  const requested: unknown = newObj.metadata?.managedFields;
  if (Array.isArray(requested) && requested.length === 1 && deepEqual(requested[0], {})) return new Map();
  // A client that sends back the managedFields it read (the usual update) asks for the old ones.
  if (oldObj && deepEqual(requested, oldObj.metadata?.managedFields)) return fromOld();
  const decoded = decodeManagedFields(requested);
  return decoded && decoded.size > 0 ? decoded : fromOld();
}

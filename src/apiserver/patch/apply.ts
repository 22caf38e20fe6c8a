// Server-side apply (application/apply-patch+yaml): merge an applied configuration into the
// live object, give the applier ownership of exactly the fields it applied, remove the fields it
// applied last time and no longer does (unless another manager owns them), and refuse to change
// fields other managers own unless forced.
import { rfc3339 } from '../../api/time.js';
import { ApiError, BadRequestError } from '../../api/errors.js';
import { deepCopy, type KubeObject } from '../../api/object.js';
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';
import { pathString, type FieldPath, FieldSet } from './field-set.js';
import { deepEqual, goJsonKind, isObject, sortedJson, type JsonObject } from './json-value.js';
import {
  BEFORE_FIRST_APPLY_MANAGER,
  decodeManagedFields,
  defaultResetFields,
  describeManager,
  managerIdentity,
  releaseFields,
  setManagedFields,
  trackedFields,
  type ManagerRecord,
  type Managers,
  type ResetFields,
} from './managed-fields.js';
import { unclassifiedPatchError } from './patch-errors.js';
import { compareValues, mergeApplied, removeAt, toFieldSet, withNamedFields } from './typed-value.js';

/** The annotation client-side `kubectl apply` keeps its last applied manifest in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manager `kubectl apply --server-side` uses; applies under it may take over client-side-applied fields. */
export const KUBECTL_APPLY_MANAGER = 'kubectl';

export interface ApplyOptions {
  /** the fieldManager of the request (required for apply) */
  readonly manager: string;
  /** take fields from other managers instead of answering 409 */
  readonly force: boolean;
  /** the kind's schema; undefined treats every list as atomic */
  readonly schema: SchemaNode | undefined;
  readonly now: Date;
  /** group/version of the request; the applied object must declare the same */
  readonly apiVersion: string;
  /** the kind the applied object must declare; default live.kind */
  readonly kind?: string;
  /** 'status' etc.; undefined for the main resource */
  readonly subresource?: string;
  /** fields this request may not set and which are not tracked; default defaultResetFields(subresource) (status for the main resource) */
  readonly resetFields?: ResetFields;
}

interface Conflict {
  readonly owner: ManagerRecord;
  readonly path: FieldPath;
}

type Attempt = { readonly object: JsonObject; readonly managers: Managers } | { readonly conflicts: readonly Conflict[] };

/**
 * Applies `applied` (a decoded apply configuration) to `live` (undefined: the object is being
 * created) and returns the new object with metadata.managedFields updated; neither input is
 * modified. Null members of the configuration count as absent; fields under the reset fields
 * (status, for the main resource) are ignored.
 *
 * Throws 400 BadRequest when the configuration is not an object, declares another apiVersion
 * (`Incorrect version specified in apply patch. Specified patch version: X, expected: Y`) or
 * kind, or sets metadata.managedFields; 409 Conflict (reason Conflict, one cause of reason
 * FieldManagerConflict per field) when, without `force`, it would change a field another
 * manager owns — except that the manager `kubectl` may take over fields whose live value still
 * equals the last-applied-configuration annotation, as Kubernetes lets `kubectl apply
 * --server-side` take over from client-side apply. After an apply by `kubectl`, an existing
 * last-applied annotation is rewritten to the applied configuration.
 *
 * Simplifications: managers are not converted between API versions; Update managers are not
 * capped at 10.
 */
export function applyServerSide(live: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions): KubeObject {
  checkApplied(applied, live, opts);
  const reset = opts.resetFields ?? defaultResetFields(opts.subresource);
  const config = configuration(applied, reset);
  const liveObj: JsonObject = live ? deepCopy(live) : {};
  if (isObject(liveObj.metadata)) delete liveObj.metadata.managedFields;

  const managers = live ? decodeManagedFields(live.metadata?.managedFields, true) : new Map<string, ManagerRecord>();
  if (!managers) throw unclassifiedPatchError('failed to decode managed fields: metadata.managedFields is not a list of FieldsV1 entries');
  if (live && managers.size === 0) claimExistingFields(managers, liveObj, opts, reset);

  const applier = managerIdentity({ manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, subresource: opts.subresource });
  let outcome = attempt(liveObj, config, managers, applier, reset, opts, opts.force);
  if ('conflicts' in outcome && opts.manager === KUBECTL_APPLY_MANAGER) {
    const allowed = takeoverFromClientSideApply(liveObj, opts, reset);
    if (allowed) {
      const remaining = outcome.conflicts.filter((c) => !allowed.has(c.path));
      outcome = remaining.length === 0 ? attempt(liveObj, config, managers, applier, reset, opts, true) : { conflicts: remaining };
    }
  }
  if ('conflicts' in outcome) throw conflictError(outcome.conflicts);

  const result = outcome.object as KubeObject;
  setManagedFields(result, outcome.managers);
  if (opts.manager === KUBECTL_APPLY_MANAGER) refreshLastApplied(result, applied);
  return result;
}

function checkApplied(applied: unknown, live: KubeObject | undefined, opts: ApplyOptions): asserts applied is KubeObject {
  if (!isObject(applied)) {
    throw new BadRequestError(`error decoding YAML: json: cannot unmarshal ${goJsonKind(applied)} into Go value of type map[string]interface {}`);
  }
  const version = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
  if (version !== opts.apiVersion) {
    throw new BadRequestError(`Incorrect version specified in apply patch. Specified patch version: ${version}, expected: ${opts.apiVersion}`);
  }
  const kind = typeof applied.kind === 'string' ? applied.kind : '';
  if (kind === '') throw new BadRequestError(`Object 'Kind' is missing in '${JSON.stringify(applied)}'`);
  const expected = opts.kind ?? live?.kind;
  if (expected !== undefined && kind !== expected) {
    throw new BadRequestError(`Incorrect kind specified in apply patch. Specified patch kind: ${kind}, expected: ${expected}`);
  }
  const meta = applied.metadata;
  if (isObject(meta) && meta.managedFields !== undefined && meta.managedFields !== null) {
    throw new BadRequestError('metadata.managedFields must be nil');
  }
}

/** A copy of the configuration without nulls and without the reset fields. */
function configuration(applied: KubeObject, reset: ResetFields): JsonObject {
  const config = withoutNulls(applied) as JsonObject;
  for (const names of reset) {
    let parent: unknown = config;
    for (const name of names.slice(0, -1)) parent = isObject(parent) ? parent[name] : undefined;
    const last = names[names.length - 1];
    if (isObject(parent) && last !== undefined) delete parent[last];
  }
  return config;
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x);
    return out;
  }
  return v;
}

/** An object that never had managedFields: its fields so far belong to `before-first-apply`. */
function claimExistingFields(managers: Managers, liveObj: JsonObject, opts: ApplyOptions, reset: ResetFields): void {
  const diff = compareValues({}, liveObj, opts.schema);
  const set = trackedFields(diff.added.union(diff.modified), reset);
  if (set.isEmpty()) return;
  const record: ManagerRecord = { manager: BEFORE_FIRST_APPLY_MANAGER, operation: 'Update', apiVersion: opts.apiVersion, time: rfc3339(opts.now), set };
  managers.set(managerIdentity(record), record);
}

function attempt(
  liveObj: JsonObject,
  config: JsonObject,
  current: Managers,
  applier: string,
  reset: ResetFields,
  opts: ApplyOptions,
  force: boolean,
): Attempt {
  const managers: Managers = new Map(current);
  const schema = opts.schema;
  const merged = mergeApplied(deepCopy(liveObj), config, schema) as JsonObject;
  const previous = managers.get(applier);
  const everythingApplied = toFieldSet(config, schema);
  const appliedSet = trackedFields(everythingApplied, reset);
  let others = FieldSet.empty;
  for (const [id, r] of managers) if (id !== applier) others = others.union(r.set);
  // what the configuration names, untracked identity fields included, protects their parents
  if (previous && !previous.set.isEmpty()) prune(merged, previous.set, everythingApplied.union(others), schema);

  const diff = compareValues(liveObj, merged, schema);
  const changed = trackedFields(diff.added.union(diff.modified), reset);
  const removed = trackedFields(diff.removed, reset);
  const conflicts: Conflict[] = [];
  const owners = [...managers.entries()].filter(([id]) => id !== applier).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, owner] of owners) {
    for (const path of owner.set.intersection(changed).sorted()) conflicts.push({ owner, path });
  }
  if (conflicts.length > 0 && !force) return { conflicts };

  releaseFields(managers, applier, changed, removed);
  const objectChanged = !deepEqual(liveObj, merged);
  managers.set(applier, {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
    time: objectChanged || !previous?.time ? rfc3339(opts.now) : previous.time,
    set: appliedSet,
  });
  if (appliedSet.isEmpty()) managers.delete(applier);
  return { object: merged, managers };
}

/**
 * Removes from `merged` what the applier applied last time (`last`) and no one claims now
 * (`claimed`: the applied configuration and every other manager's fields). Removing a struct
 * field or list item removes what is below it; the object's identity (apiVersion, kind,
 * metadata) and the key fields of a list item that stays are never removed.
 */
function prune(merged: JsonObject, last: FieldSet, claimed: FieldSet, schema: SchemaNode | undefined): void {
  const candidates = withNamedFields(last, schema)
    .difference(withNamedFields(claimed, schema))
    .sorted()
    .sort((a, b) => a.length - b.length);
  const removed: FieldPath[] = [];
  for (const path of candidates) {
    if (path.length === 1 && IDENTITY.has(path[0] ?? '')) continue;
    if (removed.some((r) => r.every((el, i) => path[i] === el))) continue;
    if (isKeyOfListItem(path)) continue;
    removeAt(merged, path, schema);
    removed.push(path);
  }
}

const IDENTITY = new Set(['f:apiVersion', 'f:kind', 'f:metadata']);

/** `...containers.k:{"name":"web"}.f:name`: a key field of an associative list item. */
function isKeyOfListItem(path: FieldPath): boolean {
  const last = path[path.length - 1];
  const item = path[path.length - 2];
  if (!last?.startsWith('f:') || !item?.startsWith('k:')) return false;
  const key: unknown = JSON.parse(item.slice(2));
  return isObject(key) && Object.prototype.hasOwnProperty.call(key, last.slice(2));
}

/**
 * The fields `kubectl` may take over without --force-conflicts: those of the
 * last-applied-configuration annotation whose live value still equals the annotation's.
 */
function takeoverFromClientSideApply(liveObj: JsonObject, opts: ApplyOptions, reset: ResetFields): FieldSet | undefined {
  const meta = liveObj.metadata;
  const annotations = isObject(meta) ? meta.annotations : undefined;
  const text = isObject(annotations) ? annotations[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(lastApplied) || lastApplied.apiVersion !== opts.apiVersion) return undefined;
  const diff = compareValues(lastApplied, liveObj, opts.schema);
  return trackedFields(toFieldSet(lastApplied, opts.schema), reset)
    .difference(diff.modified)
    .difference(diff.added)
    .difference(diff.removed);
}

/** Keeps an existing last-applied annotation in step with what `kubectl` applied server-side. */
function refreshLastApplied(result: KubeObject, applied: KubeObject): void {
  const annotations = result.metadata?.annotations;
  if (!annotations || !annotations[LAST_APPLIED_ANNOTATION]) return;
  const copy: unknown = deepCopy(applied);
  if (isObject(copy) && isObject(copy.metadata) && isObject(copy.metadata.annotations)) {
    delete copy.metadata.annotations[LAST_APPLIED_ANNOTATION];
  }
  annotations[LAST_APPLIED_ANNOTATION] = `${sortedJson(copy)}\n`;
}

/** 409 in Kubernetes' wording: `Apply failed with 1 conflict: conflict with "x" using apps/v1: .spec.replicas`. */
function conflictError(conflicts: readonly Conflict[]): ApiError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.owner)}`,
    field: pathString(c.path),
  }));
  let message: string;
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(only.owner)}: ${pathString(only.path)}`;
  } else {
    const lines: string[] = [];
    let previous: ManagerRecord | undefined;
    for (const c of conflicts) {
      if (c.owner !== previous) lines.push(`conflicts with ${describeManager(c.owner)}:`);
      previous = c.owner;
      lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

// ObjectMeta validation every kind shares, as Kubernetes' apimachinery does it
// (ValidateObjectMetaAccessor / ValidateObjectMetaAccessorUpdate): field paths, error types
// and messages match, so `kubectl` shows the same `metadata.labels: Invalid value: ...` lines.
// Input comes from the wire, so everything is `unknown` until checked.
import type { FieldError } from '../field-errors.js';
import { forbidden, invalid, required, tooLong } from '../field-errors.js';
import { isObject } from '../object.js';
import { byteLength, isDNS1123Label, isQualifiedName, isValidLabelValue } from './names.js';

/** Total bytes of annotation keys and values an object may carry (256 KiB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/** Kubernetes' message for a field that may not change on update. */
export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';

export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

/** Owner kinds Kubernetes refuses (group/version/kind). */
const BANNED_OWNERS: ReadonlySet<string> = new Set(['/v1/Event']);

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });

/** Go's `%#v` of a []string, as Kubernetes prints it inside some messages. */
function goStringSlice(v: readonly string[]): string {
  return `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
}

/** A string map field (labels, annotations): type errors for anything else, reported at `field`. */
function stringMap(v: unknown, field: string, errs: FieldError[]): [string, string][] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) {
    errs.push(typeInvalid(field, v, 'must be a map of string keys to string values'));
    return [];
  }
  const out: [string, string][] = [];
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') errs.push(typeInvalid(`${field}[${k}]`, val, 'must be a string'));
    else out.push([k, val]);
  }
  return out;
}

/**
 * Labels at `field` (e.g. `metadata.labels`): keys are qualified names, values valid label
 * values. As in Kubernetes, every error is reported at `field` itself, with the bad key or value.
 */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of stringMap(labels, field, errs)) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(field, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(field, v, msg));
  }
  return errs;
}

/**
 * Annotations at `field`: keys are qualified names (case-insensitive), and keys plus values
 * together hold at most 256 KiB (`Too long: must have at most 262144 bytes`).
 */
export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of stringMap(annotations, field, errs)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(field, k, msg));
    total += byteLength(k) + byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(field, '', TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** Finalizer names at `field`: qualified names; `orphan` and `foregroundDeletion` exclude each other. */
export function validateFinalizers(finalizers: unknown, field: string): FieldError[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) return [typeInvalid(field, finalizers, 'must be an array of strings')];
  const errs: FieldError[] = [];
  const names: string[] = [];
  finalizers.forEach((f: unknown, i) => {
    if (typeof f !== 'string') {
      errs.push(typeInvalid(`${field}[${i}]`, f, 'must be a string'));
      return;
    }
    names.push(f);
    for (const msg of isQualifiedName(f)) errs.push(invalid(field, f, msg));
  });
  if (names.includes(FINALIZER_ORPHAN_DEPENDENTS) && names.includes(FINALIZER_DELETE_DEPENDENTS)) {
    errs.push(invalid(field, names, `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`));
  }
  return errs;
}

/** Splits an apiVersion as Go's ParseGroupVersion does; undefined when malformed (more than one '/'). */
function splitAPIVersion(apiVersion: string): { group: string; version: string } | undefined {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return undefined;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * ownerReferences at `field`: apiVersion (with a version), kind, name and uid must be set;
 * Events cannot own objects; at most one reference may be the controller. As in Kubernetes,
 * errors name `field.apiVersion` etc. without the list index.
 */
export function validateOwnerReferences(refs: unknown, field: string): FieldError[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [typeInvalid(field, refs, 'must be an array')];
  const errs: FieldError[] = [];
  let firstController = '';
  refs.forEach((ref: unknown, i) => {
    if (!isObject(ref)) {
      errs.push(typeInvalid(`${field}[${i}]`, ref, 'must be an object'));
      return;
    }
    const apiVersion = str(ref.apiVersion);
    const kind = str(ref.kind);
    const gv = splitAPIVersion(apiVersion) ?? { group: '', version: '' };
    if (gv.version === '') errs.push(invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (kind === '') errs.push(invalid(`${field}.kind`, kind, 'kind must not be empty'));
    if (str(ref.name) === '') errs.push(invalid(`${field}.name`, str(ref.name), 'name must not be empty'));
    if (str(ref.uid) === '') errs.push(invalid(`${field}.uid`, str(ref.uid), 'uid must not be empty'));
    if (BANNED_OWNERS.has(`${gv.group}/${gv.version}/${kind}`)) {
      errs.push(invalid(field, ref, `${gv.group}/${gv.version}, Kind=${kind} is disallowed from being an owner`));
    }
    if (ref.controller === true) {
      const current = `${kind}/${str(ref.name)}`;
      if (firstController !== '') {
        errs.push(invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else {
        firstController = current;
      }
    }
  });
  return errs;
}

/**
 * Kubernetes' prefix handling for generateName: a trailing '-' is allowed, because random
 * characters follow it. Reproduces Kubernetes' masking (drop two characters, append 'a').
 */
export function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export interface ObjectMetaOptions {
  /** true for namespaced kinds: metadata.namespace is required; false: it is forbidden. */
  readonly namespaced: boolean;
  /** Checks metadata.name (and generateName, with a trailing '-' allowed); returns messages. */
  readonly nameFn: (name: string) => string[];
}

/**
 * ObjectMeta on create (ValidateObjectMetaAccessor): name required (the registry generates it
 * from generateName before validating) and checked with nameFn; generateName checked with
 * nameFn; namespace required and a DNS-1123 label iff namespaced, Forbidden otherwise;
 * generation ≥ 0; labels, annotations, ownerReferences and finalizers.
 */
export function validateObjectMeta(meta: unknown, opts: ObjectMetaOptions, field = 'metadata'): FieldError[] {
  if (meta !== undefined && meta !== null && !isObject(meta)) return [typeInvalid(field, meta, 'must be an object')];
  const m: Record<string, unknown> = isObject(meta) ? meta : {};
  const errs: FieldError[] = [];

  const generateName = m.generateName;
  if (generateName !== undefined && generateName !== null && typeof generateName !== 'string') {
    errs.push(typeInvalid(`${field}.generateName`, generateName, 'must be a string'));
  } else if (typeof generateName === 'string' && generateName !== '') {
    for (const msg of opts.nameFn(maskTrailingDash(generateName))) errs.push(invalid(`${field}.generateName`, generateName, msg));
  }

  const name = m.name;
  if (name !== undefined && name !== null && typeof name !== 'string') {
    errs.push(typeInvalid(`${field}.name`, name, 'must be a string'));
  } else if (typeof name !== 'string' || name === '') {
    errs.push(required(`${field}.name`, 'name or generateName is required'));
  } else {
    for (const msg of opts.nameFn(name)) errs.push(invalid(`${field}.name`, name, msg));
  }

  const namespace = m.namespace;
  if (namespace !== undefined && namespace !== null && typeof namespace !== 'string') {
    errs.push(typeInvalid(`${field}.namespace`, namespace, 'must be a string'));
  } else if (opts.namespaced) {
    if (typeof namespace !== 'string' || namespace === '') errs.push(required(`${field}.namespace`));
    else for (const msg of isDNS1123Label(namespace)) errs.push(invalid(`${field}.namespace`, namespace, msg));
  } else if (typeof namespace === 'string' && namespace !== '') {
    errs.push(forbidden(`${field}.namespace`, 'not allowed on this type'));
  }

  const generation = m.generation;
  if (generation !== undefined && generation !== null) {
    if (typeof generation !== 'number' || !Number.isInteger(generation)) errs.push(typeInvalid(`${field}.generation`, generation, 'must be an integer'));
    else if (generation < 0) errs.push(invalid(`${field}.generation`, generation, 'must be greater than or equal to 0'));
  }

  errs.push(...validateLabels(m.labels, `${field}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${field}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${field}.finalizers`));
  return errs;
}

/** Go's zero-value view of an optional scalar: absent, null and "" are all "unset". */
function scalar(v: unknown): unknown {
  return v === undefined || v === null ? '' : v;
}

/**
 * What may not change between the stored object's metadata and an update's (the update half
 * of ValidateObjectMetaAccessorUpdate): name, namespace, uid, creationTimestamp,
 * deletionTimestamp and deletionGracePeriodSeconds are immutable (`field is immutable`);
 * generation may not decrease; no finalizer may be added once deletion has started.
 * Absent and "" count as the same value. The new metadata's own validity (labels,
 * annotations, ...) is validateObjectMeta's job: call both on update.
 */
export function validateObjectMetaUpdate(newMeta: unknown, oldMeta: unknown, field = 'metadata'): FieldError[] {
  const n: Record<string, unknown> = isObject(newMeta) ? newMeta : {};
  const o: Record<string, unknown> = isObject(oldMeta) ? oldMeta : {};
  const errs: FieldError[] = [];

  if (scalar(o.deletionTimestamp) !== '') {
    const before = new Set(Array.isArray(o.finalizers) ? o.finalizers : []);
    const added = [...new Set(Array.isArray(n.finalizers) ? n.finalizers.filter((f): f is string => typeof f === 'string') : [])]
      .filter((f) => !before.has(f))
      .sort();
    if (added.length) {
      errs.push(forbidden(`${field}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`));
    }
  }

  const newGen = typeof n.generation === 'number' ? n.generation : 0;
  const oldGen = typeof o.generation === 'number' ? o.generation : 0;
  if (newGen < oldGen) errs.push(invalid(`${field}.generation`, newGen, 'must not be decremented'));

  for (const key of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    const nv = scalar(n[key]);
    if (nv !== scalar(o[key])) errs.push(invalid(`${field}.${key}`, n[key] ?? null, FIELD_IMMUTABLE_ERROR_MSG));
  }
  return errs;
}

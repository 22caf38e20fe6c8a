// The one entry point the apiserver calls for PATCH: picks the patch type from Content-Type,
// decodes the body, applies it, and records the write in metadata.managedFields.
import { parse as parseYaml } from 'yaml';
import { BadRequestError, InvalidError, UnsupportedMediaTypeError } from '../../api/errors.js';
import { forbidden, invalid, required, tooLong, type FieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';
import { applyServerSide } from './apply.js';
import { applyJsonPatch } from './json-patch.js';
import { goJsonKind, isObject } from './json-value.js';
import { FIELD_MANAGER_MAX_LENGTH, updateManagedFields, type ResetFields } from './managed-fields.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** The patch types a resource accepts, in Kubernetes' order; custom resources take no strategic merge patch. */
export function supportedPatchTypes(strategicMergePatch = true): string[] {
  return strategicMergePatch ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
}

export interface PatchContext {
  /** the kind's root schema; undefined: strategic merge behaves as a merge patch and apply treats lists as atomic */
  readonly schema: SchemaNode | undefined;
  /**
   * the request's fieldManager, or defaultFieldManager(User-Agent) when it names none.
   * Required for apply; for the other types, when given, the change is recorded as an Update
   * by this manager in metadata.managedFields.
   */
  readonly manager?: string;
  /** the request's `force` query parameter (apply only; true on another type is refused) */
  readonly force?: boolean;
  readonly now: Date;
  /** group/version of the request, e.g. `apps/v1` */
  readonly apiVersion: string;
  /** the kind an apply configuration must declare; default live.kind */
  readonly kind?: string;
  /** 'status', 'scale', ...; undefined for the main resource */
  readonly subresource?: string;
  /** false for custom resources, which refuse strategic merge patches with 415; default true */
  readonly strategicMergePatch?: boolean;
  /** fields the request may not change and which are not tracked; default: status for the main resource, spec for /status */
  readonly resetFields?: ResetFields;
}

/**
 * Applies a PATCH body to `live` and returns the patched object (a new object; `live` is not
 * modified). `live` undefined means the object does not exist: only an apply patch may create
 * it (for the other types the caller answers 404 first). What this does not do, and the
 * caller must: check the result's name and namespace against the URL, honour a
 * metadata.resourceVersion the patch set as a precondition, run the strategy (defaulting,
 * validation, status reset).
 *
 * Errors, as Kubernetes answers them:
 * - 415 UnsupportedMediaType for another Content-Type (`the body of the request was in an
 *   unknown format - accepted media types include: ...`);
 * - 422 Invalid on PatchOptions for apply without a field manager, or force on another type;
 * - 400 BadRequest for a body that does not decode (`error decoding patch: ...`,
 *   `error decoding YAML: ...`), a merge patch that is not an object, and the per-type cases
 *   documented on applyJsonPatch, applyStrategicMergePatch and applyServerSide, which also list
 *   their 409, 413, 422 and 500 answers.
 */
export function applyPatch(live: KubeObject | undefined, body: string, contentType: string, ctx: PatchContext): KubeObject {
  const type = mediaType(contentType);
  const supported = supportedPatchTypes(ctx.strategicMergePatch !== false);
  if (!supported.includes(type)) {
    throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`);
  }
  checkOptions(type, ctx);

  if (type === APPLY_PATCH) {
    return applyServerSide(live, decodeYaml(body), {
      manager: ctx.manager ?? '',
      force: ctx.force ?? false,
      schema: ctx.schema,
      now: ctx.now,
      apiVersion: ctx.apiVersion,
      ...(ctx.kind !== undefined ? { kind: ctx.kind } : {}),
      ...(ctx.subresource !== undefined ? { subresource: ctx.subresource } : {}),
      ...(ctx.resetFields !== undefined ? { resetFields: ctx.resetFields } : {}),
    });
  }
  if (!live) throw new Error(`applyPatch: a ${type} patch needs an existing object`);

  const patch = decodeJson(body);
  let result: unknown;
  if (type === JSON_PATCH) {
    result = applyJsonPatch(live, patch);
  } else if (type === MERGE_PATCH) {
    if (!isObject(patch)) throw new BadRequestError('Invalid JSON Patch');
    result = applyMergePatch(live, patch);
  } else {
    result = applyStrategicMergePatch(live, patch, ctx.schema);
  }
  if (!isObject(result)) {
    throw new InvalidError({ resource: '', group: '', kind: '', name: '' }, [
      invalid('patch', JSON.stringify(result), `json: cannot unmarshal ${goJsonKind(result)} into Go value of type map[string]interface {}`),
    ]);
  }
  const patched = result as KubeObject;
  if (ctx.manager) {
    updateManagedFields(live, patched, {
      manager: ctx.manager,
      operation: 'Update',
      apiVersion: ctx.apiVersion,
      now: ctx.now,
      ...(ctx.subresource !== undefined ? { subresource: ctx.subresource } : {}),
      ...(ctx.schema !== undefined ? { schema: ctx.schema } : {}),
      ...(ctx.resetFields !== undefined ? { resetFields: ctx.resetFields } : {}),
    });
  }
  return patched;
}

/** `application/json-patch+json; charset=utf-8` → `application/json-patch+json`. */
function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim();
}

/** Kubernetes' ValidatePatchOptions, for the options this entry point sees. */
function checkOptions(type: string, ctx: PatchContext): void {
  const errors: FieldError[] = [];
  const manager = ctx.manager ?? '';
  if (type === APPLY_PATCH) {
    if (manager === '') errors.push(required('fieldManager', 'is required for apply patch'));
  } else if (ctx.force === true) {
    errors.push(forbidden('force', 'may not be specified for non-apply patch'));
  }
  if (Buffer.byteLength(manager, 'utf8') > FIELD_MANAGER_MAX_LENGTH) {
    errors.push(tooLong('fieldManager', manager, FIELD_MANAGER_MAX_LENGTH));
  } else if (/\p{C}/u.test(manager)) {
    errors.push(invalid('fieldManager', manager, 'must only contain printable characters'));
  }
  if (errors.length > 0) throw new InvalidError({ resource: 'patchoptions', group: 'meta.k8s.io', kind: 'PatchOptions', name: '' }, errors);
}

function decodeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new BadRequestError(`error decoding patch: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The apply configuration: YAML (JSON included) holding one object; an empty body is an empty object. */
function decodeYaml(body: string): KubeObject {
  let doc: unknown;
  try {
    doc = parseYaml(body, { logLevel: 'error' });
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    throw new BadRequestError(`error decoding YAML: ${first.replace(/:$/, '')}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) {
    throw new BadRequestError(`error decoding YAML: json: cannot unmarshal ${goJsonKind(doc)} into Go value of type map[string]interface {}`);
  }
  // only JSON values from here on (YAML may give e.g. Infinity)
  const json: unknown = JSON.parse(JSON.stringify(doc));
  return isObject(json) ? json : {};
}

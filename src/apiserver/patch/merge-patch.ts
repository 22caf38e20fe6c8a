// RFC 7386 JSON merge patch (application/merge-patch+json).
import { deepCopy } from '../../api/object.js';
import { isObject, type JsonObject } from './json-value.js';

/**
 * Applies a decoded merge patch to `doc` and returns the result; neither input is modified.
 * Objects merge member by member, `null` deletes a member, anything else (arrays included)
 * replaces. Values taken from the patch lose their null members, as Kubernetes' implementation
 * does (also inside objects nested in arrays). A patch that is not an object replaces the
 * whole document (RFC 7386); the apiserver entry point refuses such patches before calling this.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  return mergeInto(deepCopy(doc), patch);
}

/** Merges `patch` into `target`, which the caller owns and which may be modified. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return withoutNulls(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergeInto(out[key], value);
  }
  return out;
}

/** A copy of a patch value with null object members removed at every depth. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    return out;
  }
  return v;
}

// JSON values as the patch algorithms see them: plain objects, arrays and scalars decoded from
// the wire. Helpers here never mutate their inputs.
import { isObject } from '../../api/object.js';

export { isObject };

export type JsonObject = Record<string, unknown>;

/** Structural equality of two JSON values (object key order is irrelevant, array order is not). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** JSON text with object keys sorted, as Go's encoding/json writes a map. */
export function sortedJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

/** The JSON type name Go's decoder uses in `json: cannot unmarshal X into ...` messages (defined in src/api). */
export { goJsonKind } from '../../api/go-json-kind.js';

/**
 * Formats a value as Go's `%v` prints a decoded JSON value (`map[a:1 b:[x y]]`), which is how
 * Kubernetes quotes patch fragments in some error messages.
 */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFormat(v[k])}`)
      .join(' ')}]`;
  }
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e21 ? String(v) : goFloat(v);
  return String(v);
}

function goFloat(n: number): string {
  // Go's %v for float64 is %g with the shortest representation: 1e+21, 0.5, 1.5e-07
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

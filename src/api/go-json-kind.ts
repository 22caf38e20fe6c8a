// The name Go's encoding/json gives a JSON value's kind in its decode errors
// (`json: cannot unmarshal bool into Go struct field ...`): shared by the patch decoders
// (src/apiserver/patch) and the registry's type checks (src/registry/decode-types.ts).

/** `null`, `bool`, `number`, `string`, `array` or `object`. */
export function goJsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

// Server-side field validation (the `fieldValidation` query parameter of create, update and
// patch): unknown fields are found by walking the object against the kind's OpenAPI schema,
// duplicate fields by scanning the raw request body, since JSON.parse keeps only the last one.
//
//   Strict  → 400 BadRequest, message strictDecodingMessage(unknown, duplicates)
//   Warn    → the request succeeds; one `Warning: 299 - "..."` per fieldValidationWarnings() entry
//   Ignore  → the request succeeds silently
// In every mode unknown fields are dropped before the object is stored (pruneUnknownFields), and
// of duplicate fields the last one wins.
//
// Paths are written as Kubernetes writes them in these messages: `spec.replicasx`,
// `spec.template.spec.containers[0].imagex` (no leading dot).
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { isObject } from '../api/object.js';
import type { SchemaNode } from '../api/openapi/schema-lookup.js';
import { structName, typeMismatch, unmarshalMessage } from './decode-types.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** The fieldValidation directive of a request; unset or empty means Warn. Undefined for a value Kubernetes rejects. */
export function parseFieldValidation(value: string | null | undefined): FieldValidation | undefined {
  if (value === undefined || value === null || value === '') return 'Warn';
  return value === 'Ignore' || value === 'Warn' || value === 'Strict' ? value : undefined;
}

export interface CheckFieldsOptions {
  /** path of `obj` inside the request body, prepended to reported paths; default '' (obj is the body) */
  readonly path?: string;
}

/** Top-level fields every kind accepts, whatever its schema says. */
const ALWAYS_KNOWN = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * The fields of `obj` that `root` does not know, in document order, and the first value whose
 * JSON type its field cannot take, as Go's decode error (decode-types.ts), which fails a request
 * whatever the fieldValidation. Free-form parts (schema type 'any': RawExtension, FieldsV1,
 * x-kubernetes-preserve-unknown-fields) accept anything; a value of the wrong type is not
 * descended into.
 */
export function checkFields(obj: unknown, root: SchemaNode, opts: CheckFieldsOptions = {}): { unknown: string[]; typeError?: string } {
  const unknown: string[] = [];
  const types: TypeCheck = {};
  walk(obj, root, opts.path ?? '', unknown, false, types, '', root.definition ? structName(root.definition) : '');
  return types.error === undefined ? { unknown } : { unknown, typeError: types.error };
}

/**
 * Deletes the fields of `obj` that `root` does not know (what Kubernetes does before storing an
 * object under fieldValidation Ignore or Warn). Mutates `obj`; returns the dropped paths.
 */
export function pruneUnknownFields(obj: unknown, root: SchemaNode, opts: CheckFieldsOptions = {}): string[] {
  const dropped: string[] = [];
  walk(obj, root, opts.path ?? '', dropped, true, undefined, '', '');
  return dropped;
}

/** The first type mismatch found (Go's decoder reports the first one too). */
interface TypeCheck {
  error?: string;
}

/**
 * Notes the first value that does not fit its field (a list's or map's element names the list or
 * map field, `goPath`, of struct `struct`); true when `v` does not fit, so it is not descended into.
 * After the first, mismatches are no longer looked for.
 */
function mismatched(types: TypeCheck | undefined, v: unknown, node: SchemaNode, struct: string, goPath: string): boolean {
  if (!types || types.error !== undefined) return false;
  const kind = typeMismatch(v, node);
  if (kind === undefined) return false;
  types.error = unmarshalMessage(kind, struct, goPath, node);
  return true;
}

/**
 * `path` is the reported path (with list indices); with `types`, `goPath` (no indices, no map
 * keys) and `struct` (the innermost Go struct) name a mismatch as Go's decoder does.
 */
function walk(value: unknown, node: SchemaNode, path: string, out: string[], prune: boolean, types: TypeCheck | undefined, goPath: string, struct: string): void {
  switch (node.type) {
    case 'object': {
      if (!isObject(value)) return;
      const inner = node.definition ? structName(node.definition) : struct;
      for (const key of Object.keys(value)) {
        const child = node.property?.(key);
        if (!child) {
          if (path === '' && ALWAYS_KNOWN.has(key)) continue;
          out.push(join(path, key));
          if (prune) delete value[key];
          continue;
        }
        const v = value[key];
        if (mismatched(types, v, child, inner, join(goPath, key))) continue;
        // scalars hold no fields: their paths are not built
        if (typeof v === 'object' && v !== null) walk(v, child, join(path, key), out, prune, types, join(goPath, key), inner);
      }
      return;
    }
    case 'map': {
      if (!isObject(value) || !node.items) return;
      const items = node.items;
      for (const key of Object.keys(value)) {
        const v = value[key];
        if (mismatched(types, v, items, struct, goPath)) continue;
        if (typeof v === 'object' && v !== null) walk(v, items, join(path, key), out, prune, types, goPath, struct);
      }
      return;
    }
    case 'array': {
      if (!Array.isArray(value) || !node.items) return;
      const items = node.items;
      for (let i = 0; i < value.length; i++) {
        const el: unknown = value[i];
        if (mismatched(types, el, items, struct, goPath)) continue;
        if (typeof el === 'object' && el !== null) walk(el, items, `${path}[${i}]`, out, prune, types, goPath, struct);
      }
      return;
    }
    default:
      return;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// ---- duplicate fields -----------------------------------------------------------------------

/** Characters that end a number, true, false or null: whitespace, `,`, `]`, `}`. */
const LITERAL_END = new Set([0x20, 0x0a, 0x0d, 0x09, 0x2c, 0x5d, 0x7d]);

interface Frame {
  readonly isObject: boolean;
  readonly path: string;
  readonly seen: Set<string>;
  index: number;
}

/** The number of members of every object in a decoded JSON value. */
function memberCount(v: unknown): number {
  if (Array.isArray(v)) {
    let n = 0;
    for (const x of v) if (typeof x === 'object' && x !== null) n += memberCount(x);
    return n;
  }
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  for (const k in v) {
    n++;
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null) n += memberCount(x);
  }
  return n;
}

/**
 * True when the JSON text `rawJson`, which decodes to `decoded`, has no key twice in one object:
 * JSON.parse keeps one member per key, so the text then has exactly as many keys as the value
 * has members. A counting scan, much cheaper than findDuplicateFields' (which runs only when
 * the counts differ, to name the duplicates).
 */
export function hasNoDuplicateFields(rawJson: string, decoded: unknown): boolean {
  return countKeys(rawJson) === memberCount(decoded);
}

/**
 * The number of string tokens of JSON text followed (after whitespace) by `:`, i.e. its keys.
 * Scans the characters without allocating (a create's body is checked on every request).
 */
function countKeys(text: string): number {
  let keys = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) !== 0x22 /* " */) continue;
    // the end of the string token that starts at i
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22) break;
    }
    let j = i + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      j++;
    }
    if (j < n && text.charCodeAt(j) === 0x3a /* : */) {
      keys++;
      i = j;
    }
  }
  return keys;
}

/**
 * Paths of keys that occur more than once in the same JSON object, each reported once, in
 * document order. Scans without recursion (deep nesting cannot overflow the stack); stops at the
 * first syntax error and returns what it found so far (JSON.parse reports the error itself).
 */
export function findDuplicateFields(rawJson: string): string[] {
  const dups: string[] = [];
  const reported = new Set<string>();
  const stack: Frame[] = [];
  const s = rawJson;
  let i = 0;

  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  };
  const skipString = (): void => {
    // s[i] is the opening quote
    i++;
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
    if (i >= s.length) throw new SyntaxError('unterminated string');
    i++;
  };
  /** Reads `"key":` of the object on top of the stack; returns the path of its value. */
  const readKey = (frame: Frame): string => {
    skipWs();
    if (s[i] !== '"') throw new SyntaxError('expected a key');
    const start = i;
    skipString();
    const key = JSON.parse(s.slice(start, i)) as string;
    skipWs();
    if (s[i] !== ':') throw new SyntaxError('expected a colon');
    i++;
    const path = join(frame.path, key);
    if (frame.seen.has(key) && !reported.has(path)) {
      reported.add(path);
      dups.push(path);
    }
    frame.seen.add(key);
    return path;
  };

  try {
    let valuePath = '';
    for (;;) {
      skipWs();
      const c = s[i];
      if (c === '{' || c === '[') {
        i++;
        skipWs();
        const close = c === '{' ? '}' : ']';
        if (s[i] === close) {
          i++;
        } else {
          const frame: Frame = { isObject: c === '{', path: valuePath, seen: new Set(), index: 0 };
          stack.push(frame);
          valuePath = frame.isObject ? readKey(frame) : `${frame.path}[0]`;
          continue;
        }
      } else if (c === '"') {
        skipString();
      } else if (c !== undefined) {
        while (i < s.length && !LITERAL_END.has(s.charCodeAt(i))) i++;
      } else {
        return dups;
      }
      // a value ended: step to the next element, closing finished containers
      for (;;) {
        const top = stack[stack.length - 1];
        if (!top) return dups;
        skipWs();
        if (s[i] === ',') {
          i++;
          if (top.isObject) {
            valuePath = readKey(top);
          } else {
            top.index++;
            valuePath = `${top.path}[${top.index}]`;
          }
          break;
        }
        if (s[i] === (top.isObject ? '}' : ']')) {
          i++;
          stack.pop();
          continue;
        }
        return dups;
      }
    }
  } catch {
    return dups;
  }
}

/**
 * Like findDuplicateFields for a YAML document (server-side apply bodies,
 * application/apply-patch+yaml). Keys that are not scalars are ignored; a document that does not
 * parse yields [] (the caller's parse reports the error).
 */
export function findDuplicateYamlFields(rawYaml: string): string[] {
  const doc = parseDocument(rawYaml, { uniqueKeys: false });
  if (doc.errors.length > 0) return [];
  const dups: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      const reported = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const childPath = join(path, key);
        if (seen.has(key) && !reported.has(key)) {
          reported.add(key);
          dups.push(childPath);
        }
        seen.add(key);
        visit(pair.value, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item: unknown, i: number) => visit(item, `${path}[${i}]`));
    }
  };
  visit(doc.contents as YamlNode | null, '');
  return dups;
}

// ---- messages -------------------------------------------------------------------------------

function fieldMessages(unknown: readonly string[], duplicates: readonly string[]): string[] {
  return [...unknown.map((p) => `unknown field "${p}"`), ...duplicates.map((p) => `duplicate field "${p}"`)];
}

/**
 * The Strict-mode error text, e.g. `strict decoding error: unknown field "spec.replicasx",
 * duplicate field "metadata.name"`; Kubernetes prefixes it with
 * `Deployment in version "v1" cannot be handled as a Deployment: ` and answers 400 BadRequest.
 */
export function strictDecodingMessage(unknown: readonly string[], duplicates: readonly string[]): string {
  return `strict decoding error: ${fieldMessages(unknown, duplicates).join(', ')}`;
}

/** The Warn-mode warnings, one per field: `unknown field "spec.replicasx"`, `duplicate field "metadata.name"`. */
export function fieldValidationWarnings(unknown: readonly string[], duplicates: readonly string[]): string[] {
  return fieldMessages(unknown, duplicates);
}

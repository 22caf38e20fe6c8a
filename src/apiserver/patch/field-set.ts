// Sets of field paths, the unit of ownership in server-side apply, and their FieldsV1 encoding
// (the `fieldsV1` of a managedFields entry).
//
// A path is a list of elements written as FieldsV1 writes them:
//   f:<name>           a member of an object (struct field or map key)
//   k:{"name":"web"}   the item of an associative list with these key fields (keys sorted)
//   v:"value"          the item of a set list with this value
//   i:<n>              a list item by index (only read, never produced here)
// A set holds paths as members; FieldsV1 nests them and marks a member that also has members
// below it with `".": {}`.
import { isObject, sortedJson, type JsonObject } from './json-value.js';

export type PathElement = string;
export type FieldPath = readonly PathElement[];

/**
 * `f:<name>`. Field names repeat on every write (spec, containers, image, ...): their elements
 * are kept, so the same string, already a V8 property key, is returned rather than a new one
 * to be hashed each time. Bounded: a names map is cleared when it holds FIELD_ELEMENTS_MAX.
 */
export function fieldElement(name: string): PathElement {
  let el = fieldElements.get(name);
  if (el === undefined) {
    if (fieldElements.size >= FIELD_ELEMENTS_MAX) fieldElements.clear();
    el = `f:${name}`;
    fieldElements.set(name, el);
  }
  return el;
}

const FIELD_ELEMENTS_MAX = 4096;
const fieldElements = new Map<string, PathElement>();
export const keyElement = (key: JsonObject): PathElement => `k:${sortedJson(key)}`;
export const valueElement = (value: unknown): PathElement => `v:${sortedJson(value)}`;

/** A path's identity in a set. Elements never contain U+0000 (JSON escapes it), so joining is unambiguous. */
function pathKey(p: FieldPath): string {
  return p.join('\u0000');
}

/** An immutable set of paths. */
export class FieldSet {
  /** the paths by pathKey; undefined until a set made by fromOwnFieldsV1 is first read */
  private pathMap: ReadonlyMap<string, FieldPath> | undefined;
  /** a FieldsV1 encoding of exactly this set, when known (toFieldsV1 then returns it) */
  private encoded: JsonObject | undefined;

  constructor(paths: Iterable<FieldPath> = []) {
    const m = new Map<string, FieldPath>();
    for (const p of paths) m.set(pathKey(p), p);
    this.pathMap = m;
    this.encoded = undefined;
  }

  private static of(m: ReadonlyMap<string, FieldPath> | undefined, encoded?: JsonObject): FieldSet {
    const s = Object.create(FieldSet.prototype) as { pathMap: ReadonlyMap<string, FieldPath> | undefined; encoded: JsonObject | undefined };
    s.pathMap = m;
    s.encoded = encoded;
    return s as unknown as FieldSet;
  }

  /**
   * The set a FieldsV1 encoding written by this server holds (managedFields of a stored object):
   * decoded only when its paths are read, and encoded as `v` itself. A write that leaves a
   * manager's fields alone (a status write, for the manager of the spec) neither decodes nor
   * re-encodes them. `v` must not change afterwards.
   */
  static fromOwnFieldsV1(v: JsonObject): FieldSet {
    return FieldSet.of(undefined, v);
  }

  static readonly empty = new FieldSet();

  private get paths(): ReadonlyMap<string, FieldPath> {
    return (this.pathMap ??= fromFieldsV1(this.encoded).paths);
  }

  /** The FieldsV1 encoding this set was made from, if any. */
  get knownEncoding(): JsonObject | undefined {
    return this.encoded;
  }

  get size(): number {
    return this.paths.size;
  }
  isEmpty(): boolean {
    if (this.pathMap === undefined && this.encoded !== undefined) return Object.keys(this.encoded).length === 0;
    return this.paths.size === 0;
  }
  has(path: FieldPath): boolean {
    if (this.pathMap === undefined && this.encoded !== undefined) return encodingHas(this.encoded, path);
    return this.paths.has(pathKey(path));
  }
  [Symbol.iterator](): IterableIterator<FieldPath> {
    return this.paths.values();
  }
  union(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const m = new Map(this.paths);
    for (const [k, p] of other.paths) m.set(k, p);
    return FieldSet.of(m);
  }
  /** The paths not in `other`; this set itself when none of its paths are. */
  difference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    if (this.pathMap === undefined) {
      // Not decoded yet: look the (usually few) other paths up in the encoding first.
      let any = false;
      for (const p of other) if ((any = this.has(p))) break;
      if (!any) return this;
    }
    const rest = this.keep((k) => !other.paths.has(k));
    return rest.paths.size === this.paths.size ? this : rest;
  }
  intersection(other: FieldSet): FieldSet {
    return this.keep((k) => other.paths.has(k));
  }
  filter(keep: (path: FieldPath) => boolean): FieldSet {
    const m = new Map<string, FieldPath>();
    for (const [k, p] of this.paths) if (keep(p)) m.set(k, p);
    return FieldSet.of(m);
  }
  private keep(byKey: (key: string) => boolean): FieldSet {
    const m = new Map<string, FieldPath>();
    for (const [k, p] of this.paths) if (byKey(k)) m.set(k, p);
    return FieldSet.of(m);
  }
  /** Paths in Kubernetes' iteration order: members of a level before the levels below it. */
  sorted(): FieldPath[] {
    return [...this].sort(comparePaths);
  }
}

/** Orders elements as structured-merge-diff does: fields, then keys, then values, then indexes. */
export function compareElements(a: PathElement, b: PathElement): number {
  const rank = (e: PathElement): number => 'fkvi'.indexOf(e[0] ?? '');
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * structured-merge-diff's iteration order: at each level its members first, then the levels
 * below, each group sorted by element.
 */
function comparePaths(a: FieldPath, b: FieldPath): number {
  let c = 0;
  while (c < a.length && c < b.length && a[c] === b[c]) c++;
  if (c === a.length || c === b.length) return a.length - b.length;
  const aMember = a.length === c + 1;
  const bMember = b.length === c + 1;
  if (aMember !== bMember) return aMember ? -1 : 1;
  return compareElements(a[c] ?? '', b[c] ?? '');
}

// --- FieldsV1 --------------------------------------------------------------------------------

interface Node {
  member: boolean;
  readonly children: Map<PathElement, Node>;
}

const newNode = (): Node => ({ member: false, children: new Map() });

/**
 * True when `path` is a member of the set FieldsV1 `v` encodes: each element leads one level
 * down, and the last one ends in a leaf or marks itself with `"."`.
 */
function encodingHas(v: JsonObject, path: FieldPath): boolean {
  let node: unknown = v;
  for (const el of path) {
    if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, el)) return false;
    node = node[el];
  }
  if (!isObject(node) || path.length === 0) return false;
  for (const _ in node) return Object.prototype.hasOwnProperty.call(node, '.');
  return true;
}

/** The FieldsV1 object of a set, children in structured-merge-diff's order, `"."` first. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const known = set.knownEncoding;
  if (known) return known;
  const root = newNode();
  for (const path of set) {
    let node = root;
    for (const el of path) {
      let next = node.children.get(el);
      if (!next) {
        next = newNode();
        node.children.set(el, next);
      }
      node = next;
    }
    node.member = true;
  }
  return encodeNode(root, false);
}

function encodeNode(node: Node, withSelf: boolean): JsonObject {
  const out: JsonObject = {};
  if (withSelf) out['.'] = {};
  for (const el of [...node.children.keys()].sort(compareElements)) {
    const child = node.children.get(el);
    if (!child) continue;
    out[el] = encodeNode(child, child.member && child.children.size > 0);
  }
  return out;
}

/** Decodes FieldsV1; throws Error for anything that is not one. */
export function fromFieldsV1(v: unknown): FieldSet {
  if (!isObject(v)) throw new Error('FieldsV1 must be an object');
  const paths: FieldPath[] = [];
  const walk = (obj: JsonObject, prefix: PathElement[]): void => {
    for (const [key, child] of Object.entries(obj)) {
      if (!isObject(child)) throw new Error(`FieldsV1 entry ${JSON.stringify(key)} must be an object`);
      if (key === '.') {
        if (prefix.length === 0) throw new Error('FieldsV1 root cannot be a member');
        paths.push([...prefix]);
        continue;
      }
      if (!/^[fkvi]:/.test(key)) throw new Error(`unknown FieldsV1 path element ${JSON.stringify(key)}`);
      if ((key[0] === 'k' || key[0] === 'v') && !isJsonText(key.slice(2))) {
        throw new Error(`invalid FieldsV1 path element ${JSON.stringify(key)}`);
      }
      const path = [...prefix, key];
      if (Object.keys(child).length === 0) paths.push(path);
      else walk(child, path);
    }
  };
  walk(v, []);
  return new FieldSet(paths);
}

function isJsonText(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

// --- messages --------------------------------------------------------------------------------

/** `.spec.template.spec.containers[name="web"].image`, as Kubernetes prints a path in conflicts. */
export function pathString(path: FieldPath): string {
  return path.map(elementString).join('');
}

function elementString(el: PathElement): string {
  const body = el.slice(2);
  switch (el[0]) {
    case 'f':
      return `.${body}`;
    case 'k': {
      const key: unknown = JSON.parse(body);
      if (!isObject(key)) return `[${body}]`;
      return `[${Object.keys(key)
        .sort()
        .map((k) => `${k}=${valueString(key[k])}`)
        .join(',')}]`;
    }
    case 'v':
      return `[=${valueString(JSON.parse(body))}]`;
    case 'i':
      return `[${body}]`;
    default:
      return '{{invalid path element}}';
  }
}

function valueString(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return sortedJson(v);
}

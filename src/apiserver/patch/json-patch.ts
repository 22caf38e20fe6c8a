// RFC 6902 JSON patch (application/json-patch+json), with the behaviour and error wording of
// the library the Kubernetes apiserver uses (evanphx/json-patch v4), so kubectl users see the
// messages they know.
import { BadRequestError, RequestEntityTooLargeError } from '../../api/errors.js';
import { deepCopy } from '../../api/object.js';
import { deepEqual, goJsonKind, isObject } from './json-value.js';
import { patchNotApplicable } from './patch-errors.js';

/** The apiserver refuses larger JSON patches with 413. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

/** Why one operation failed; becomes the cause of the 422 the caller receives. */
class OperationFailed extends Error {}

const fail = (message: string): never => {
  throw new OperationFailed(message);
};
/** `errors.Wrapf(cause, msg)` as github.com/pkg/errors prints it. */
const wrap = (message: string, cause: unknown): string => `${message}: ${cause instanceof Error ? cause.message : String(cause)}`;

type Container = Record<string, unknown> | unknown[];
type Operation = Record<string, unknown>;

/**
 * Applies a decoded JSON patch to `doc` and returns the patched copy; `doc` and `patch` are not
 * modified. Throws BadRequest (400) for a patch that is not a list of operation objects,
 * RequestEntityTooLarge (413) past MAX_JSON_PATCH_OPERATIONS operations, and Invalid (422,
 * "the server rejected our request due to an error in our request", the reason in
 * details.causes[0].message) when an operation does not apply: a failing `test`, a missing path,
 * an index out of range, an unknown `op`.
 *
 * Like Kubernetes: `replace` of an absent object member adds it, negative array indices count
 * from the end, and a `null` patch changes nothing.
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decodePatch(patch);
  let root: unknown = deepCopy(doc);
  for (const op of ops) {
    try {
      root = applyOperation(root, op);
    } catch (e) {
      if (e instanceof OperationFailed) throw patchNotApplicable(e.message);
      throw e;
    }
  }
  return root;
}

function decodePatch(patch: unknown): Operation[] {
  if (patch === null) return [];
  if (!Array.isArray(patch)) {
    throw new BadRequestError(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  const ops: Operation[] = [];
  for (const item of patch) {
    if (item === null) ops.push({});
    else if (isObject(item)) ops.push(item);
    else throw new BadRequestError(`json: cannot unmarshal ${goJsonKind(item)} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new RequestEntityTooLargeError(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  return ops;
}

function applyOperation(root: unknown, op: Operation): unknown {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add':
      opAdd(root, op);
      return root;
    case 'remove':
      opRemove(root, op);
      return root;
    case 'replace':
      return opReplace(root, op);
    case 'move':
      opMove(root, op);
      return root;
    case 'test':
      opTest(root, op);
      return root;
    case 'copy':
      opCopy(root, op);
      return root;
    default:
      return fail(`Unexpected kind: ${kind}`);
  }
}

// --- operation fields ------------------------------------------------------------------------

function stringField(op: Operation, name: 'path' | 'from', missing: string): string {
  const v = op[name];
  if (v === undefined || v === null) throw new Error(`${missing}: ${MISSING}`);
  if (typeof v !== 'string') throw new Error(`json: cannot unmarshal ${goJsonKind(v)} into Go value of type string`);
  return v;
}
const pathOf = (op: Operation): string => stringField(op, 'path', 'operation missing path field');
const fromOf = (op: Operation): string => stringField(op, 'from', 'operation, missing from field');
/** The operation's value; an absent value is stored as null, as Kubernetes does. */
const valueOf = (op: Operation): unknown => ('value' in op && op.value !== undefined ? deepCopy(op.value) : null);

function readPath(op: Operation, context: string, keepCause: boolean): string {
  try {
    return pathOf(op);
  } catch (e) {
    return fail(keepCause ? wrap(context, e) : `${context}: ${MISSING}`);
  }
}

function readFrom(op: Operation, context: string): string {
  try {
    return fromOf(op);
  } catch (e) {
    return fail(wrap(context, e));
  }
}

// --- the operations --------------------------------------------------------------------------

function opAdd(root: unknown, op: Operation): void {
  const path = readPath(op, 'add operation failed to decode path', false);
  const target = findParent(root, path);
  if (!target) fail(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  else attempt(() => addAt(target.con, target.key, valueOf(op)), `error in add for path: '${path}'`);
}

function opRemove(root: unknown, op: Operation): void {
  const path = readPath(op, 'remove operation failed to decode path', false);
  const target = findParent(root, path);
  if (!target) fail(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  else attempt(() => removeAt(target.con, target.key), `error in remove for path: '${path}'`);
}

function opReplace(root: unknown, op: Operation): unknown {
  const path = readPath(op, 'replace operation failed to decode path', true);
  if (path === '') {
    // the whole document; Kubernetes ignores a replacement that is not an object or array
    const value = valueOf(op);
    return isObject(value) || Array.isArray(value) ? value : root;
  }
  const target = findParent(root, path);
  if (!target) return fail(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
  try {
    getAt(target.con, target.key);
  } catch {
    return fail(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
  }
  setAt(target.con, target.key, valueOf(op));
  return root;
}

function opMove(root: unknown, op: Operation): void {
  const from = readFrom(op, 'move operation failed to decode from');
  const source = findParent(root, from);
  if (!source) return fail(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const value = attempt(() => getAt(source.con, source.key), `error in move for path: '${source.key}'`);
  attempt(() => removeAt(source.con, source.key), `error in move for path: '${source.key}'`);
  const path = readPath(op, 'move operation failed to decode path', true);
  const target = findParent(root, path);
  if (!target) return fail(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  attempt(() => addAt(target.con, target.key, value ?? null), `error in move for path: '${path}'`);
}

function opTest(root: unknown, op: Operation): void {
  const path = readPath(op, 'test operation failed to decode path', true);
  const expected = 'value' in op ? op.value : undefined;
  if (path === '') {
    if (!deepEqual(root, expected)) fail(`testing value ${path} failed: test failed`);
    return;
  }
  const target = findParent(root, path);
  if (!target) return fail(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
  const actual = attempt(() => getAt(target.con, target.key), `error in test for path: '${path}'`);
  const absent = actual === undefined || actual === null;
  const passes = absent ? expected === undefined || expected === null : expected !== undefined && deepEqual(actual, expected);
  if (!passes) fail(`testing value ${path} failed: test failed`);
}

function opCopy(root: unknown, op: Operation): void {
  const from = readFrom(op, 'copy operation failed to decode from');
  const source = findParent(root, from);
  if (!source) return fail(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const value = attempt(() => getAt(source.con, source.key), `error in copy for from: '${from}'`);
  // Kubernetes would copy an absent member as null; RFC 6902 requires `from` to exist.
  if (value === undefined) return fail(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const path = readPath(op, 'copy operation failed to decode path', false);
  const target = findParent(root, path);
  if (!target) return fail(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  attempt(() => addAt(target.con, target.key, deepCopy(value)), 'error while adding value during copy');
}

/** Runs a container step; its failure becomes `context: reason`. */
function attempt<T>(step: () => T, context: string): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof OperationFailed) throw e;
    return fail(wrap(context, e));
  }
}

// --- JSON pointer ----------------------------------------------------------------------------

/** `~1` is `/` and `~0` is `~`, decoded in one pass (RFC 6901). */
const unescapeToken = (t: string): string => t.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));

/** The container holding the pointer's last token, and that token; undefined if any step is missing. */
function findParent(root: unknown, pointer: string): { con: Container; key: string } | undefined {
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.split('/').slice(1).map(unescapeToken);
  const key = tokens.pop() ?? '';
  if (!isContainer(root)) return undefined;
  let con: Container = root;
  for (const token of tokens) {
    let next: unknown;
    try {
      next = getAt(con, token);
    } catch {
      return undefined;
    }
    if (!isContainer(next)) return undefined;
    con = next;
  }
  return { con, key };
}

const isContainer = (v: unknown): v is Container => isObject(v) || Array.isArray(v);

/** strconv.Atoi, with its error text. */
function arrayIndex(token: string): number {
  if (!/^[+-]?\d+$/.test(token)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(token)}: invalid syntax`);
  const n = Number(token);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(token)}: value out of range`);
  return n;
}

const invalidIndex = (i: number): Error => new Error(`Unable to access invalid index: ${i}: ${INVALID_INDEX}`);

/** The member or element at `key`; undefined for an absent object member. Throws for a bad index. */
function getAt(con: Container, key: string): unknown {
  if (!Array.isArray(con)) return Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
  let i = arrayIndex(key);
  if (i < 0) {
    if (i < -con.length) throw invalidIndex(i);
    i += con.length;
  }
  if (i >= con.length) throw invalidIndex(i);
  return con[i];
}

/** Replaces an existing element (checked by getAt first) or sets an object member. */
function setAt(con: Container, key: string, value: unknown): void {
  if (!Array.isArray(con)) {
    con[key] = value;
    return;
  }
  let i = arrayIndex(key);
  if (i < 0) i += con.length;
  con[i] = value;
}

function addAt(con: Container, key: string, value: unknown): void {
  if (!Array.isArray(con)) {
    con[key] = value;
    return;
  }
  if (key === '-') {
    con.push(value);
    return;
  }
  let i: number;
  try {
    i = arrayIndex(key);
  } catch (e) {
    throw new Error(wrap(`value was not a proper array index: '${key}'`, e));
  }
  const size = con.length + 1;
  if (i >= size) throw invalidIndex(i);
  if (i < 0) {
    if (i < -size) throw invalidIndex(i);
    i += size;
  }
  con.splice(i, 0, value);
}

function removeAt(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) throw new Error(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete con[key];
    return;
  }
  let i = arrayIndex(key);
  if (i >= con.length) throw invalidIndex(i);
  if (i < 0) {
    if (i < -con.length) throw invalidIndex(i);
    i += con.length;
  }
  con.splice(i, 1);
}

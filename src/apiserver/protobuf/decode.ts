// Decodes a Kubernetes protobuf request body (`Content-Type: application/vnd.kubernetes.protobuf`)
// into the JSON object form skiff stores: the same object Go's JSON encoder would have produced
// from the decoded struct, i.e. what kubectl would have sent had it sent JSON.
//
// The envelope is `k8s\x00` + runtime.Unknown{typeMeta, raw, contentEncoding, contentType}; `raw`
// is the object's message. Field numbers come from field-numbers.ts, field types from the OpenAPI
// definitions. Unknown field numbers are skipped, so fields added by newer clients never fail a
// request. Pure: throws BadRequestError on any malformed or unexpected body; returns a fresh object
// the caller owns.
import { BadRequestError } from '../../api/errors.js';
import { definitionName, definitions, refName, type Schema } from '../../api/openapi/definitions.js';
import { FIELD_NUMBERS } from './field-numbers.js';
import {
  ProtobufWireError,
  readFields,
  readPackedVarints,
  varintToSigned,
  WIRE_BYTES,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_VARINT,
  type WireField,
} from './wire.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4 bytes every Kubernetes protobuf body starts with: `k8s\x00`. */
export const PROTOBUF_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface ExpectedKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const FIELDS_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1';

/** Nesting deeper than any Kubernetes object needs is refused rather than recursed into. */
const MAX_DEPTH = 64;

/**
 * Decodes `body` as a Kubernetes protobuf object of the expected kind and returns its JSON form,
 * with `apiVersion` and `kind` set from the envelope. Throws BadRequestError when the body lacks
 * the magic prefix, is not well-formed protobuf, holds another kind, or the kind has no definition.
 */
export function decodeKubernetesProtobuf(body: Buffer, expected: ExpectedKind): Record<string, unknown> {
  const expectedApiVersion = expected.group ? `${expected.group}/${expected.version}` : expected.version;
  const fail = (detail: string): BadRequestError =>
    new BadRequestError(`the object provided is unrecognized (must be of type ${expected.kind}): ${detail}`);
  if (body.length < PROTOBUF_MAGIC.length || PROTOBUF_MAGIC.some((b, i) => body[i] !== b)) {
    throw fail(`protobuf body does not start with the prefix "k8s\\x00"`);
  }
  try {
    const unknown = decodeUnknown(body.subarray(PROTOBUF_MAGIC.length));
    if (unknown.raw === undefined) throw fail('protobuf body holds no object (runtime.Unknown has no raw field)');
    if (unknown.contentEncoding) throw fail(`unsupported protobuf content encoding "${unknown.contentEncoding}"`);
    const apiVersion = unknown.apiVersion || expectedApiVersion;
    const kind = unknown.kind || expected.kind;
    if (apiVersion !== expectedApiVersion || kind !== expected.kind) {
      throw fail(`protobuf body holds ${kind} ${apiVersion}, expected ${expected.kind} ${expectedApiVersion}`);
    }
    const name = definitionName(expected.group, expected.version, expected.kind);
    if (name === undefined || FIELD_NUMBERS[name] === undefined) throw fail(`no protobuf decoding for ${kind} ${apiVersion}`);
    const object: Record<string, unknown> = { apiVersion, kind };
    decodeMessageInto(object, unknown.raw, { message: name, properties: propertiesOf(name), place: { path: '', depth: 0 } });
    return object;
  } catch (e) {
    if (e instanceof MalformedBody) throw fail(e.message);
    throw e;
  }
}

/** A body that is not well-formed protobuf, or whose wire types contradict the schema. */
class MalformedBody extends Error {}

/** Where a value sits in the object being decoded: its JSON path (for messages) and nesting depth. */
interface Place {
  readonly path: string;
  readonly depth: number;
}

const at = (parent: Place, name: string): Place => ({ path: parent.path ? `${parent.path}.${name}` : name, depth: parent.depth });
const atIndex = (parent: Place, index: number | string): Place => ({ path: `${parent.path}[${index}]`, depth: parent.depth });

interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array | undefined;
  contentEncoding: string;
}

/** runtime.Unknown{typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4}. */
function decodeUnknown(buf: Uint8Array): Unknown {
  const out: Unknown = { apiVersion: '', kind: '', raw: undefined, contentEncoding: '' };
  const envelope: Place = { path: 'runtime.Unknown', depth: 0 };
  for (const f of fieldsOf(buf, envelope)) {
    if (f.number === 1) {
      const typeMeta = at(envelope, 'typeMeta');
      for (const t of fieldsOf(bytesOf(f, typeMeta), typeMeta)) {
        if (t.number === 1) out.apiVersion = stringOf(t, at(typeMeta, 'apiVersion'));
        else if (t.number === 2) out.kind = stringOf(t, at(typeMeta, 'kind'));
      }
    } else if (f.number === 2) out.raw = bytesOf(f, at(envelope, 'raw'));
    else if (f.number === 3) out.contentEncoding = stringOf(f, at(envelope, 'contentEncoding'));
  }
  return out;
}

// ---- field table ----------------------------------------------------------------------------

type FieldSpec =
  | { readonly inline: false; readonly name: string; readonly keepZero: boolean }
  | { readonly inline: true; readonly message: string };

const INLINE_PREFIX = '...';
const parsedTables = new Map<string, ReadonlyMap<number, FieldSpec>>();

function fieldTable(message: string): ReadonlyMap<number, FieldSpec> | undefined {
  let table = parsedTables.get(message);
  if (!table) {
    const raw = FIELD_NUMBERS[message];
    if (!raw) return undefined;
    const parsed = new Map<number, FieldSpec>();
    for (const [number, spec] of Object.entries(raw)) parsed.set(Number(number), parseSpec(spec));
    parsedTables.set(message, parsed);
    table = parsed;
  }
  return table;
}

function parseSpec(spec: string): FieldSpec {
  if (spec.startsWith(INLINE_PREFIX)) return { inline: true, message: spec.slice(INLINE_PREFIX.length) };
  const keepZero = spec.endsWith('!');
  return { inline: false, name: keepZero ? spec.slice(0, -1) : spec, keepZero };
}

function propertiesOf(definition: string): Readonly<Record<string, Schema>> {
  return definitions[definition]?.properties ?? {};
}

// ---- messages -------------------------------------------------------------------------------

interface MessageOptions {
  /** The field table to read with (a FIELD_NUMBERS key). */
  readonly message: string;
  /** The OpenAPI properties typing the fields: the message's own, or for an embedded message its enclosing one's. */
  readonly properties: Readonly<Record<string, Schema>>;
  readonly place: Place;
}

/** Decodes a message's fields into `target`, merging into what is there (protobuf merge semantics). */
function decodeMessageInto(target: Record<string, unknown>, buf: Uint8Array, opts: MessageOptions): void {
  const place: Place = { path: opts.place.path, depth: opts.place.depth + 1 };
  if (place.depth > MAX_DEPTH) throw new MalformedBody(`${place.path}: objects nested deeper than ${MAX_DEPTH} levels`);
  const table = fieldTable(opts.message);
  if (!table) throw new MalformedBody(`${place.path}: no field table for ${opts.message}`);
  for (const f of fieldsOf(buf, place)) {
    const spec = table.get(f.number);
    if (!spec) continue;
    if (spec.inline) {
      decodeMessageInto(target, bytesOf(f, place), { message: spec.message, properties: opts.properties, place });
      continue;
    }
    const schema = opts.properties[spec.name];
    if (schema) decodeField(target, f, { spec, schema, place: at(place, spec.name) });
  }
}

interface FieldOptions {
  readonly spec: FieldSpec & { readonly inline: false };
  readonly schema: Schema;
  readonly place: Place;
}

/** Decodes one occurrence of a field into `target[spec.name]`: appends to lists and maps, merges messages. */
function decodeField(target: Record<string, unknown>, f: WireField, { spec, schema, place }: FieldOptions): void {
  const name = spec.name;
  const existing = target[name];
  if (schema.type === 'array' && schema.items) {
    const items = schema.items;
    const list = Array.isArray(existing) ? (existing as unknown[]) : [];
    if (f.wireType === WIRE_BYTES && isVarintScalar(items)) {
      for (const v of packedVarintsOf(f.bytes, place)) list.push(varintScalar(items, v));
    } else {
      list.push(decodeValue(f, { schema: items, place: atIndex(place, list.length) }));
    }
    target[name] = list;
    return;
  }
  if (schema.$ref === undefined && schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    const map = isRecord(existing) ? existing : {};
    const [key, value] = decodeMapEntry(bytesOf(f, place), { schema: schema.additionalProperties, place });
    map[key] = value;
    target[name] = map;
    return;
  }
  if (schema.$ref !== undefined && isRecord(existing) && isPlainMessage(refName(schema.$ref))) {
    const def = refName(schema.$ref);
    decodeMessageInto(existing, bytesOf(f, place), { message: def, properties: propertiesOf(def), place });
    return;
  }
  const value = decodeValue(f, { schema, place });
  // Only plain scalars follow omitempty; Go writes struct-typed fields (IntOrString, Quantity, Time) always.
  const droppable = !spec.keepZero && schema.$ref === undefined;
  if (droppable && (value === '' || value === 0 || value === false)) delete target[name];
  else target[name] = value;
}

interface ValueOptions {
  readonly schema: Schema;
  readonly place: Place;
}

/** map<string, X> entries are messages {key=1, value=2}; a missing value is X's zero value. */
function decodeMapEntry(buf: Uint8Array, { schema, place }: ValueOptions): [string, unknown] {
  let key = '';
  let value: unknown;
  for (const f of fieldsOf(buf, place)) {
    if (f.number === 1) key = stringOf(f, atIndex(place, '<key>'));
    else if (f.number === 2) value = decodeValue(f, { schema, place: atIndex(place, key) });
  }
  return [key, value ?? zeroValue({ schema, place: atIndex(place, key) })];
}

/** One value of the type `schema` describes, read from a single field occurrence. */
function decodeValue(f: WireField, { schema, place }: ValueOptions): unknown {
  if (schema.$ref !== undefined) {
    const def = refName(schema.$ref);
    const bytes = bytesOf(f, place);
    switch (def) {
      case TIME:
        return decodeTime(bytes, { micro: false, place });
      case MICRO_TIME:
        return decodeTime(bytes, { micro: true, place });
      case INT_OR_STRING:
        return decodeIntOrString(bytes, place);
      case QUANTITY:
        return decodeQuantity(bytes, place);
      case RAW_EXTENSION:
      case FIELDS_V1:
        return decodeRawJson(bytes, place);
    }
    const object: Record<string, unknown> = {};
    decodeMessageInto(object, bytes, { message: def, properties: propertiesOf(def), place });
    return object;
  }
  switch (schema.type) {
    case 'string':
      return schema.format === 'byte' ? Buffer.from(bytesOf(f, place)).toString('base64') : stringOf(f, place);
    case 'integer':
      return varintToSigned(varintOf(f, place));
    case 'boolean':
      return varintOf(f, place) !== 0n;
    case 'number':
      return decodeNumber(f, place);
    default:
      throw new MalformedBody(`${place.path}: no protobuf form for a field of type ${schema.type ?? 'unknown'}`);
  }
}

/** What Go decodes an absent map value to. */
function zeroValue({ schema, place }: ValueOptions): unknown {
  if (schema.$ref !== undefined) {
    const def = refName(schema.$ref);
    if (def === QUANTITY) return '0';
    if (def === INT_OR_STRING) return 0;
    if (!isPlainMessage(def)) return null;
    const object: Record<string, unknown> = {};
    decodeMessageInto(object, new Uint8Array(0), { message: def, properties: propertiesOf(def), place });
    return object;
  }
  switch (schema.type) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      throw new MalformedBody(`${place.path}: no zero value for a field of type ${schema.type ?? 'unknown'}`);
  }
}

function isPlainMessage(def: string): boolean {
  return def !== TIME && def !== MICRO_TIME && def !== INT_OR_STRING && def !== QUANTITY && def !== RAW_EXTENSION && def !== FIELDS_V1;
}

function isVarintScalar(schema: Schema): boolean {
  return schema.$ref === undefined && (schema.type === 'integer' || schema.type === 'boolean');
}

function varintScalar(schema: Schema, v: bigint): number | boolean {
  return schema.type === 'boolean' ? v !== 0n : varintToSigned(v);
}

function decodeNumber(f: WireField, place: Place): number {
  if (f.wireType === WIRE_FIXED64) return Buffer.from(f.bytes).readDoubleLE(0);
  if (f.wireType === WIRE_FIXED32) return Buffer.from(f.bytes).readFloatLE(0);
  throw new MalformedBody(`${place.path}: expected a double, found wire type ${f.wireType}`);
}

// ---- messages with their own JSON form ------------------------------------------------------

/** meta/v1 Time and MicroTime {seconds=1, nanos=2}: RFC 3339 in UTC; the zero time is null, as in Go. */
function decodeTime(buf: Uint8Array, { micro, place }: { readonly micro: boolean; readonly place: Place }): string | null {
  let seconds = 0;
  let nanos = 0;
  for (const f of fieldsOf(buf, place)) {
    if (f.number === 1) seconds = varintToSigned(varintOf(f, at(place, 'seconds')));
    else if (f.number === 2) nanos = varintToSigned(varintOf(f, at(place, 'nanos')));
  }
  if (buf.length === 0) return null;
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 0 || year > 9999 || nanos < 0 || nanos > 999_999_999) {
    throw new MalformedBody(`${place.path}: time ${seconds}s ${nanos}ns is outside the range RFC 3339 can express`);
  }
  const base = date.toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** intstr.IntOrString {type=1 (0 int, 1 string), intVal=2, strVal=3}. */
function decodeIntOrString(buf: Uint8Array, place: Place): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  for (const f of fieldsOf(buf, place)) {
    if (f.number === 1) type = varintToSigned(varintOf(f, at(place, 'type')));
    else if (f.number === 2) intVal = varintToSigned(varintOf(f, at(place, 'intVal')));
    else if (f.number === 3) strVal = stringOf(f, at(place, 'strVal'));
  }
  return type === 1 ? strVal : intVal;
}

/** resource.Quantity {string=1}: the canonical string; an empty quantity is "0", as Go prints it. */
function decodeQuantity(buf: Uint8Array, place: Place): string {
  let s = '';
  for (const f of fieldsOf(buf, place)) if (f.number === 1) s = stringOf(f, place);
  return s === '' ? '0' : s;
}

/** runtime.RawExtension {raw=1} and meta/v1 FieldsV1 {Raw=1}: embedded JSON, parsed; absent is null. */
function decodeRawJson(buf: Uint8Array, place: Place): unknown {
  let raw: Uint8Array | undefined;
  for (const f of fieldsOf(buf, place)) if (f.number === 1) raw = bytesOf(f, place);
  if (raw === undefined || raw.length === 0) return null;
  try {
    return JSON.parse(utf8(raw, place)) as unknown;
  } catch {
    throw new MalformedBody(`${place.path}: expected an embedded JSON object, found bytes that are not JSON`);
  }
}

// ---- scalars --------------------------------------------------------------------------------

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The fields of one message; malformed bytes are reported with the message's path. */
function fieldsOf(buf: Uint8Array, place: Place): WireField[] {
  try {
    return readFields(buf);
  } catch (e) {
    throw wireFailure(e, place);
  }
}

function packedVarintsOf(buf: Uint8Array, place: Place): bigint[] {
  try {
    return readPackedVarints(buf);
  } catch (e) {
    throw wireFailure(e, place);
  }
}

function wireFailure(e: unknown, place: Place): unknown {
  return e instanceof ProtobufWireError ? new MalformedBody(`${place.path || 'object'}: ${e.message}`) : e;
}

function utf8(bytes: Uint8Array, place: Place): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new MalformedBody(`${place.path}: expected a UTF-8 string, found invalid UTF-8`);
  }
}

function stringOf(f: WireField, place: Place): string {
  return utf8(bytesOf(f, place), place);
}

function bytesOf(f: WireField, place: Place): Uint8Array {
  if (f.wireType !== WIRE_BYTES) throw new MalformedBody(`${place.path}: expected a length-delimited field, found wire type ${f.wireType}`);
  return f.bytes;
}

function varintOf(f: WireField, place: Place): bigint {
  if (f.wireType !== WIRE_VARINT) throw new MalformedBody(`${place.path}: expected a varint, found wire type ${f.wireType}`);
  return f.varint;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/): a reader that splits
// one message's bytes into its fields. It knows nothing of schemas; decode.ts gives the fields meaning.
//
// Pure and bounded: every read checks the remaining length first, so truncated or garbage input
// throws ProtobufWireError (never a RangeError, never a loop that does not advance). Returned byte
// fields are views into the input buffer, not copies.

/** Input that is not well-formed protobuf; `offset` is where in the message reading failed. */
export class ProtobufWireError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'ProtobufWireError';
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** One field occurrence. `varint` is the raw unsigned 64-bit value; `fixed64`/`fixed32`/`bytes` are views. */
export type WireField =
  | { readonly number: number; readonly wireType: typeof WIRE_VARINT; readonly varint: bigint; readonly offset: number }
  | { readonly number: number; readonly wireType: typeof WIRE_FIXED64; readonly bytes: Uint8Array; readonly offset: number }
  | { readonly number: number; readonly wireType: typeof WIRE_BYTES; readonly bytes: Uint8Array; readonly offset: number }
  | { readonly number: number; readonly wireType: typeof WIRE_FIXED32; readonly bytes: Uint8Array; readonly offset: number };

/** Deprecated groups are skipped, never returned; deeper nesting than this is refused. */
const MAX_GROUP_DEPTH = 32;
const MAX_VARINT_BYTES = 10;
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

/** Reads one message's fields in wire order. Throws ProtobufWireError on malformed input. */
export function readFields(buf: Uint8Array): WireField[] {
  const reader = new WireReader(buf);
  const fields: WireField[] = [];
  while (!reader.done) {
    const field = reader.readField();
    if (field) fields.push(field);
  }
  return fields;
}

/** The values of a packed repeated varint field (`[packed=true]` int32/int64/bool). */
export function readPackedVarints(bytes: Uint8Array): bigint[] {
  const reader = new WireReader(bytes);
  const values: bigint[] = [];
  while (!reader.done) values.push(reader.readVarint());
  return values;
}

/** A varint's unsigned 64-bit value as the two's-complement signed integer Go's int32/int64 decode to. */
export function varintToSigned(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

class WireReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The next field, or undefined when it was a group (skipped whole). */
  readField(): WireField | undefined {
    const offset = this.pos;
    const tag = this.readVarint();
    const wireType = Number(tag & 7n);
    const fieldNumber = tag >> 3n;
    if (fieldNumber === 0n || fieldNumber > BigInt(MAX_FIELD_NUMBER)) {
      throw new ProtobufWireError(`invalid field number ${fieldNumber}`, offset);
    }
    const number = Number(fieldNumber);
    switch (wireType) {
      case WIRE_VARINT:
        return { number, wireType, varint: this.readVarint(), offset };
      case WIRE_FIXED64:
        return { number, wireType, bytes: this.take(8), offset };
      case WIRE_BYTES:
        return { number, wireType, bytes: this.take(this.readLength()), offset };
      case WIRE_FIXED32:
        return { number, wireType, bytes: this.take(4), offset };
      case WIRE_START_GROUP:
        this.skipGroup(number, 1);
        return undefined;
      default:
        throw new ProtobufWireError(`unexpected wire type ${wireType} for field ${number}`, offset);
    }
  }

  readVarint(): bigint {
    const start = this.pos;
    let result = 0n;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.buf.length) throw new ProtobufWireError('truncated varint', start);
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new ProtobufWireError('varint longer than 10 bytes', start);
  }

  private readLength(): number {
    const start = this.pos;
    const n = this.readVarint();
    if (n > BigInt(this.buf.length - this.pos)) {
      throw new ProtobufWireError(`length ${n} exceeds the ${this.buf.length - this.pos} bytes left`, start);
    }
    return Number(n);
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) {
      throw new ProtobufWireError(`truncated field: needs ${n} bytes, ${this.buf.length - this.pos} left`, this.pos);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Skips to the END_GROUP that closes group `number`, skipping nested groups. */
  private skipGroup(number: number, depth: number): void {
    if (depth > MAX_GROUP_DEPTH) throw new ProtobufWireError('groups nested too deeply', this.pos);
    for (;;) {
      if (this.done) throw new ProtobufWireError(`unterminated group ${number}`, this.pos);
      const offset = this.pos;
      const tag = this.readVarint();
      const wireType = Number(tag & 7n);
      const inner = Number(tag >> 3n);
      if (wireType === WIRE_END_GROUP) {
        if (inner !== number) throw new ProtobufWireError(`end of group ${inner} inside group ${number}`, offset);
        return;
      }
      if (wireType === WIRE_START_GROUP) {
        this.skipGroup(inner, depth + 1);
        continue;
      }
      this.pos = offset;
      this.readField();
    }
  }
}

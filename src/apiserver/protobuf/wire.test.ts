import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtobufWireError, readFields, readPackedVarints, varintToSigned, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT } from './wire.js';

const wireError = (pattern: RegExp) => (e: unknown) => e instanceof ProtobufWireError && pattern.test(e.message);

describe('readFields', () => {
  it('reads each wire type with its field number', () => {
    const buf = Uint8Array.of(0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 0x02, 0x68, 0x69, 0x25, 9, 8, 7, 6);
    const fields = readFields(buf);
    assert.deepEqual(
      fields.map((f) => [f.number, f.wireType]),
      [
        [1, WIRE_VARINT],
        [2, WIRE_FIXED64],
        [3, WIRE_BYTES],
        [4, WIRE_FIXED32],
      ],
    );
    const [v, f64, b, f32] = fields;
    assert.equal(v?.wireType === WIRE_VARINT && v.varint, 150n);
    assert.deepEqual(f64?.wireType === WIRE_FIXED64 && [...f64.bytes], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(b?.wireType === WIRE_BYTES && new TextDecoder().decode(b.bytes), 'hi');
    assert.deepEqual(f32?.wireType === WIRE_FIXED32 && [...f32.bytes], [9, 8, 7, 6]);
  });

  it('reads field numbers above 15 (multi-byte tags) and the largest varint', () => {
    const max = Uint8Array.of(0xc8, 0x3e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    const [f] = readFields(max);
    assert.equal(f?.number, 1001);
    assert.equal(f?.wireType === WIRE_VARINT && f.varint, 2n ** 64n - 1n);
    assert.equal(f?.wireType === WIRE_VARINT && varintToSigned(f.varint), -1);
  });

  it('skips groups, nested ones included', () => {
    // field 5 group { field 6 group { field 1 varint } } then field 2 varint
    const buf = Uint8Array.of(0x2b, 0x33, 0x08, 0x01, 0x34, 0x2c, 0x10, 0x07);
    assert.deepEqual(
      readFields(buf).map((f) => f.number),
      [2],
    );
  });

  it('throws ProtobufWireError on malformed input', () => {
    assert.throws(() => readFields(Uint8Array.of(0x08)), wireError(/truncated varint at byte 1/));
    assert.throws(() => readFields(Uint8Array.of(0x08, 0x80)), wireError(/truncated varint/));
    assert.throws(() => readFields(Uint8Array.of(0x08, ...new Array<number>(10).fill(0x80), 0x01)), wireError(/longer than 10 bytes/));
    assert.throws(() => readFields(Uint8Array.of(0x0a, 0x05, 0x61)), wireError(/length 5 exceeds the 1 bytes left/));
    assert.throws(() => readFields(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f)), wireError(/exceeds/));
    assert.throws(() => readFields(Uint8Array.of(0x09, 1, 2, 3)), wireError(/needs 8 bytes, 3 left/));
    assert.throws(() => readFields(Uint8Array.of(0x0d, 1)), wireError(/needs 4 bytes/));
    assert.throws(() => readFields(Uint8Array.of(0x0e)), wireError(/unexpected wire type 6/));
    assert.throws(() => readFields(Uint8Array.of(0x0c)), wireError(/unexpected wire type 4/));
    assert.throws(() => readFields(Uint8Array.of(0x00)), wireError(/invalid field number 0/));
    assert.throws(() => readFields(Uint8Array.of(0x2b, 0x08, 0x01)), wireError(/unterminated group 5/));
    assert.throws(() => readFields(Uint8Array.of(0x2b, 0x34)), wireError(/end of group 6 inside group 5/));
    assert.throws(() => readFields(Uint8Array.from([...new Array<number>(40).fill(0x2b)])), wireError(/nested too deeply/));
  });
});

describe('readPackedVarints', () => {
  it('reads a packed run of varints', () => {
    assert.deepEqual(readPackedVarints(Uint8Array.of(0x01, 0x96, 0x01, 0x00)), [1n, 150n, 0n]);
    assert.throws(() => readPackedVarints(Uint8Array.of(0x96)), wireError(/truncated varint/));
  });
});

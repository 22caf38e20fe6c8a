import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { encodeFrame, FrameDecoder, SpdyProtocolError, type Frame } from './frames.js';

const frames: Frame[] = [
  { type: 'data', streamId: 5, fin: true, data: Buffer.from('hello') },
  { type: 'data', streamId: 0x7fffffff, fin: false, data: Buffer.alloc(0) },
  { type: 'syn_stream', streamId: 3, associatedId: 1, priority: 7, fin: false, unidirectional: true, headerBlock: Buffer.from([1, 2, 3]) },
  { type: 'syn_reply', streamId: 3, fin: true, headerBlock: Buffer.from([9]) },
  { type: 'headers', streamId: 3, fin: false, headerBlock: Buffer.alloc(0) },
  { type: 'rst_stream', streamId: 7, status: 5 },
  { type: 'settings', clear: true, entries: [{ id: 7, flags: 1, value: 65536 }, { id: 4, flags: 0, value: 100 }] },
  { type: 'ping', id: 0xfffffffe },
  { type: 'goaway', lastGoodStreamId: 9, status: 1 },
  { type: 'window_update', streamId: 3, delta: 32768 },
];

test('every frame type survives encode → decode', () => {
  const d = new FrameDecoder();
  for (const f of frames) assert.deepEqual(d.push(encodeFrame(f)), [f]);
});

test('the decoder reassembles frames split at any byte and several frames in one chunk', () => {
  const all = Buffer.concat(frames.map(encodeFrame));
  const d = new FrameDecoder();
  const got: Frame[] = [];
  for (let i = 0; i < all.length; i += 3) got.push(...d.push(all.subarray(i, i + 3)));
  assert.deepEqual(got, frames);
  assert.deepEqual(new FrameDecoder().push(all), frames);
});

test('control frames carry version 3 and the wire layout of the spec', () => {
  const b = encodeFrame({ type: 'window_update', streamId: 1, delta: 10 });
  assert.equal(b.toString('hex'), '80030009' + '00000008' + '00000001' + '0000000a');
  const data = encodeFrame({ type: 'data', streamId: 1, fin: true, data: Buffer.from('a') });
  assert.equal(data.toString('hex'), '00000001' + '01000001' + '61');
});

test('another SPDY version is a protocol error', () => {
  const b = encodeFrame({ type: 'ping', id: 1 });
  b.writeUInt16BE(0x8002, 0);
  assert.throws(() => new FrameDecoder().push(b), SpdyProtocolError);
});

test('unknown control frame types are passed through as unknown', () => {
  const b = encodeFrame({ type: 'unknown', frameType: 0x55, flags: 0, payload: Buffer.from('x') });
  assert.deepEqual(new FrameDecoder().push(b), [{ type: 'unknown', frameType: 0x55, flags: 0, payload: Buffer.from('x') }]);
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { inflateSync, deflateSync } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { decodeNameValueBlock, encodeNameValueBlock, HeaderCompressor, HeaderDecompressor } from './header-block.js';

test('the SPDY/3 dictionary is the one of the spec (length and Adler-32 id)', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  let a = 1;
  let b = 0;
  for (const x of SPDY3_DICTIONARY) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  assert.equal(((b << 16) | a) >>> 0, 0xe3c6a7c2);
});

test('name/value blocks: lower-case names, several values joined by NUL', () => {
  const raw = encodeNameValueBlock({ StreamType: 'error', port: '8080', multi: ['a', 'b'] });
  assert.deepEqual(decodeNameValueBlock(raw), { streamtype: 'error', port: '8080', multi: ['a', 'b'] });
  assert.equal(raw.readUInt32BE(0), 3);
});

test('compressed header blocks share one zlib stream per direction, in order', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const blocks = [];
  for (let i = 0; i < 5; i++) blocks.push(await c.compress({ streamtype: i % 2 ? 'data' : 'error', port: '80', requestid: String(i) }));
  // Later blocks reuse the shared history: much smaller than the first.
  assert.ok(blocks[4].length < blocks[0].length, `${blocks[4].length} < ${blocks[0].length}`);
  for (let i = 0; i < 5; i++) assert.deepEqual(await d.decompress(blocks[i]), { streamtype: i % 2 ? 'data' : 'error', port: '80', requestid: String(i) });
  // The first block is a zlib stream start naming the SPDY dictionary: plain zlib with the dictionary reads it.
  assert.equal(blocks[0].readUInt32BE(2), 0xe3c6a7c2);
  c.close();
  d.close();
});

test('a header block compressed elsewhere with the dictionary decompresses', async () => {
  const block = deflateSync(encodeNameValueBlock({ streamtype: 'stdout' }), { dictionary: SPDY3_DICTIONARY, finishFlush: 2 /* Z_SYNC_FLUSH */ });
  assert.deepEqual(decodeNameValueBlock(inflateSync(block, { dictionary: SPDY3_DICTIONARY, finishFlush: 2 })), { streamtype: 'stdout' });
  const d = new HeaderDecompressor();
  assert.deepEqual(await d.decompress(block), { streamtype: 'stdout' });
  d.close();
});

test('garbage header blocks are a protocol error', async () => {
  const d = new HeaderDecompressor();
  await assert.rejects(d.decompress(Buffer.from('not zlib at all')), /header block/);
  d.close();
});

// SPDY/3 header blocks: the name/value block (32-bit counts and lengths, names lower-case,
// several values of one name joined by NUL) and its compression. Each direction of a connection
// is ONE zlib stream seeded with the SPDY/3 dictionary; every header block is a sync-flushed
// piece of it, so compressor and decompressor live as long as the connection.
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Header names (lower-case) to values; a name with several values is an array. */
export type SpdyHeaders = Record<string, string | string[]>;

export function encodeNameValueBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const entries = Object.entries(headers);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(Array.isArray(value) ? value.join('\0') : value, 'utf8');
    const nl = Buffer.alloc(4);
    nl.writeUInt32BE(n.length);
    const vl = Buffer.alloc(4);
    vl.writeUInt32BE(v.length);
    parts.push(nl, n, vl, v);
  }
  return Buffer.concat(parts);
}

export function decodeNameValueBlock(b: Buffer): SpdyHeaders {
  const out: SpdyHeaders = {};
  let off = 0;
  const read = (what: string): Buffer => {
    if (off + 4 > b.length) throw new SpdyProtocolError(`header block truncated reading ${what} length`);
    const len = b.readUInt32BE(off);
    off += 4;
    if (off + len > b.length) throw new SpdyProtocolError(`header block truncated reading ${what}`);
    const v = b.subarray(off, off + len);
    off += len;
    return v;
  };
  if (b.length < 4) throw new SpdyProtocolError('header block shorter than its count');
  const n = b.readUInt32BE(0);
  off = 4;
  for (let i = 0; i < n; i++) {
    const name = read('name').toString('utf8').toLowerCase();
    const values = read('value').toString('utf8').split('\0');
    const prev = out[name];
    const all = prev === undefined ? values : [...(Array.isArray(prev) ? prev : [prev]), ...values];
    out[name] = all.length === 1 ? all[0] : all;
  }
  return out;
}

/** First value of a header, case-insensitive name. */
export function headerValue(h: SpdyHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Runs one zlib stream in sync-flushed pieces, one piece at a time, in call order. */
class FlushedZlib {
  private queue: Promise<unknown> = Promise.resolve();
  private chunks: Buffer[] = [];
  private failure?: Error;

  constructor(private readonly z: Deflate | Inflate) {
    z.on('data', (c: Buffer) => this.chunks.push(c));
    z.on('error', (e: Error) => (this.failure = e));
  }

  process(input: Buffer): Promise<Buffer> {
    const run = async (): Promise<Buffer> => {
      if (this.failure) throw this.failure;
      this.chunks = [];
      this.z.write(input);
      await new Promise<void>((resolve) => {
        // a zlib error ends the stream without calling the flush callback
        const onError = () => resolve();
        this.z.once('error', onError);
        this.z.flush(constants.Z_SYNC_FLUSH, () => {
          this.z.off('error', onError);
          resolve();
        });
      });
      if (this.failure) throw this.failure;
      return Buffer.concat(this.chunks);
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.z.close();
  }
}

/** Compresses outgoing header blocks of one connection. */
export class HeaderCompressor {
  private readonly z = new FlushedZlib(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.z.process(encodeNameValueBlock(headers));
  }
  close(): void {
    this.z.close();
  }
}

/** Decompresses incoming header blocks of one connection (in the order they arrived). */
export class HeaderDecompressor {
  private readonly z = new FlushedZlib(createInflate({ dictionary: SPDY3_DICTIONARY }));
  async decompress(block: Buffer): Promise<SpdyHeaders> {
    if (block.length === 0) return {};
    try {
      return decodeNameValueBlock(await this.z.process(block));
    } catch (e) {
      throw e instanceof SpdyProtocolError ? e : new SpdyProtocolError(`header block does not decompress: ${(e as Error).message}`);
    }
  }
  close(): void {
    this.z.close();
  }
}

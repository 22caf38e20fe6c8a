// Reading tar streams (image archives and layers), gzip-compressed or not: the compression is
// recognised by its magic bytes, not by a media type or file name, so a mislabelled layer still
// unpacks. zstd layers are refused with a clear error (Node 20's zlib has no zstd).
import { closeSync, openSync, readSync } from 'node:fs';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { ImageError } from './errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function compressionOf(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export function fileCompression(path: string): Compression {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return compressionOf(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** The stream that undoes `c` (undefined: nothing to undo). Throws for zstd. */
export function decompressor(c: Compression, what: string): Transform | undefined {
  if (c === 'gzip') return createGunzip({ chunkSize: 1 << 20 }); // small chunks make the tar parser several times slower
  if (c === 'zstd') throw new ImageError('ImageInspectError', `${what}: zstd-compressed content is not supported (Node 20 has no zstd); use gzip or uncompressed layers`);
  return undefined;
}

export type TarHeader = tar.Header;

/**
 * Calls `fn` for every entry of the tar stream that `chain` (a source and decompressing or
 * hashing transforms) produces, in order, one at a time. `fn` may
 * read the entry's content stream; whatever it leaves unread is skipped. Rejects with the first
 * error of the source, the parser or `fn`, and then destroys the source.
 */
export async function forEachTarEntry(
  chain: readonly [Readable, ...Transform[]],
  fn: (header: TarHeader, content: Readable) => Promise<void>,
): Promise<void> {
  const source = chain[0];
  const extract = tar.extract();
  const feeding = pipeline([...chain, extract as unknown as NodeJS.WritableStream]);
  feeding.catch(() => undefined); // observed below; avoid an unhandled rejection while iterating
  try {
    for await (const entry of extract) {
      const content = entry as unknown as Readable;
      await fn(entry.header, content);
      for await (const _ of content) void _; // drain the rest
    }
    await feeding;
  } catch (e) {
    source.destroy();
    (extract as unknown as { destroy(e?: Error): void }).destroy();
    throw e instanceof ImageError ? e : new ImageError('ImageInspectError', `reading tar: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a whole entry (small JSON files) into memory, refusing more than `limit` bytes. */
export async function readEntry(content: AsyncIterable<Uint8Array>, limit = 16 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of content) {
    n += chunk.length;
    if (n > limit) throw new ImageError('ImageInspectError', `file larger than ${limit} bytes where a small JSON document was expected`);
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}


// Content-addressed blobs: DIR/sha256/<hex>. Every write streams into DIR/tmp/, hashes on the
// way, and is renamed into place only when the content hashes to the expected digest, so a blob
// file that exists is always complete and correct.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from './errors.js';

const DIGEST = /^sha256:([0-9a-f]{64})$/;

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of 'sha256:<hex>'; throws ImageError for anything else. */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new ImageError('ImageInspectError', `unsupported digest "${digest}": expected sha256:<64 hex digits>`);
  return m[1];
}

/** A pass-through stream that hashes what goes through it and counts bytes. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.push(chunk);
    cb();
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

export class BlobStore {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'sha256'), { recursive: true });
    mkdirSync(join(dir, 'tmp'), { recursive: true });
  }

  path(digest: string): string {
    return join(this.dir, 'sha256', digestHex(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  read(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  open(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  /**
   * Stores the stream's bytes. With `expected`, rejects with ImageError('DigestMismatch') when the
   * content hashes to something else (nothing is stored then). Resolves the content's digest and size.
   */
  async write(source: Readable | AsyncIterable<Uint8Array>, expected?: string, signal?: AbortSignal): Promise<{ digest: string; size: number }> {
    if (expected !== undefined) digestHex(expected);
    const tmp = join(this.dir, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
    const hasher = new HashingStream();
    try {
      await pipeline(source, hasher, createWriteStream(tmp, { mode: 0o644, flush: true }), { signal });
      const digest = hasher.digest();
      if (expected !== undefined && digest !== expected) {
        throw new ImageError('DigestMismatch', `blob digest mismatch: expected ${expected}, content hashes to ${digest} (${hasher.bytes} bytes)`);
      }
      renameSync(tmp, this.path(digest));
      return { digest, size: hasher.bytes };
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Stores a buffer (manifests, configs); same verification as write. */
  writeBuffer(data: Uint8Array, expected?: string): { digest: string; size: number } {
    const digest = sha256Digest(data);
    if (expected !== undefined && digest !== expected) {
      throw new ImageError('DigestMismatch', `blob digest mismatch: expected ${expected}, content hashes to ${digest} (${data.length} bytes)`);
    }
    if (!this.has(digest)) {
      const tmp = join(this.dir, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
      try {
        writeFileSyncAll(tmp, data);
        renameSync(tmp, this.path(digest));
      } finally {
        rmSync(tmp, { force: true });
      }
    }
    return { digest, size: data.length };
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }
}

function writeFileSyncAll(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w', 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

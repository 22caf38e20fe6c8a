// Long response bodies (large lists, a watch's initial events) written in buffers of a fixed size:
// every piece of text is encoded straight into the current buffer, so a response of many objects
// makes no response-sized string and no per-object copy, only these buffers (which leave the V8
// heap as soon as the socket took them).
import type { ServerResponse } from 'node:http';

/** Bytes per buffer handed to the response. */
export const RESPONSE_BUFFER_BYTES = 64 * 1024;

/** The most UTF-8 bytes one UTF-16 code unit of a JS string can take. */
const MAX_BYTES_PER_UNIT = 3;

export class ResponseWriter {
  readonly #res: ServerResponse;
  #buf: Buffer;
  #used = 0;

  constructor(res: ServerResponse) {
    this.#res = res;
    this.#buf = Buffer.allocUnsafe(RESPONSE_BUFFER_BYTES);
  }

  /**
   * Appends text: true at once when it fits in the buffer, else a promise that settles once the
   * buffer was handed over (after a drain when the socket is behind). False means the response
   * was closed meanwhile and the caller stops writing.
   */
  append(text: string): true | Promise<boolean> {
    if (this.#used + text.length * MAX_BYTES_PER_UNIT > this.#buf.length) return this.#appendAfterFlush(text);
    this.#used += this.#buf.write(text, this.#used);
    return true;
  }

  /** Appends each text in turn, skipping undefined ones; returns as append does. */
  appendAll(texts: readonly (string | undefined)[]): true | Promise<boolean> {
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      if (text === undefined) continue;
      const done = this.append(text);
      if (done !== true) return done.then((ok) => ok && this.#appendRest(texts, i + 1));
    }
    return true;
  }

  async #appendRest(texts: readonly (string | undefined)[], from: number): Promise<boolean> {
    const done = this.appendAll(texts.slice(from));
    return done === true || done;
  }

  async #appendAfterFlush(text: string): Promise<boolean> {
    if (!(await this.flush())) return false;
    if (text.length * MAX_BYTES_PER_UNIT > this.#buf.length) return this.#write(text);
    this.#used += this.#buf.write(text, this.#used);
    return true;
  }

  /** Hands the buffered bytes to the response. Resolves false when the response was closed. */
  async flush(): Promise<boolean> {
    if (this.#used === 0) return !this.#res.destroyed;
    const out = this.#buf.subarray(0, this.#used);
    this.#buf = Buffer.allocUnsafe(RESPONSE_BUFFER_BYTES);
    this.#used = 0;
    return this.#write(out);
  }

  /** Flushes and ends the response. */
  async end(): Promise<void> {
    if (await this.flush()) this.#res.end();
  }

  async #write(data: string | Buffer): Promise<boolean> {
    if (this.#res.destroyed) return false;
    if (this.#res.write(data)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        resolve();
      };
      this.#res.on('drain', done);
      this.#res.on('close', done);
    });
    return !this.#res.destroyed;
  }
}

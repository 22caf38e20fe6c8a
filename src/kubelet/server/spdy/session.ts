// A SPDY/3.1 connection over any byte Duplex (a TCP/TLS socket, or a WebSocket carrying SPDY
// frames). Streams are node Duplexes. Either side may open streams (client: odd ids, server: even).
//
// Contracts:
// - Incoming frames are handled strictly in arrival order (header blocks decompress async).
// - Outgoing frames leave in the order they were produced; a stream's write callback fires once
//   its bytes are handed to the transport (transport back-pressure is respected).
// - Receive flow control: the session sends WINDOW_UPDATEs as the application reads (stream) and
//   as data arrives (session, SPDY/3.1 stream 0). Send windows are NOT enforced: Go's spdystream
//   (kubectl's side) never sends WINDOW_UPDATE, so a peer that relies on them would stall.
// - A stream ends (`end`) on the peer's FIN; `stream.end()` sends ours. `destroy()` before both
//   FINs resets the stream (RST_STREAM CANCEL). An RST_STREAM from the peer destroys the stream.
// - When the transport closes every stream is destroyed and the session emits 'close'.
// - Transport failures and protocol errors are emitted as 'error' (then 'close'): owners must
//   listen for 'error', as for any EventEmitter.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { encodeFrame, FrameDecoder, RstStatus, SETTINGS_INITIAL_WINDOW_SIZE, SpdyProtocolError, type Frame } from './frames.js';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './header-block.js';

/** SPDY/3's default initial window (64 KiB). */
export const DEFAULT_WINDOW = 64 * 1024;
/** Data frames this side sends carry at most this many bytes. */
const MAX_DATA_FRAME = 32 * 1024;

export interface SpdySessionOptions {
  readonly role: 'client' | 'server';
  /** receive window per stream, announced with SETTINGS when it differs from the default */
  readonly window?: number;
  /** server: answer every new stream with SYN_REPLY before emitting it (as Kubernetes does). Default true for servers. */
  readonly autoReply?: boolean;
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
  error: [Error];
  goaway: [number];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly decoder = new FrameDecoder();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingPings = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private inbox: Promise<void> = Promise.resolve();
  private outbox: Promise<void> = Promise.resolve();
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStream = 0;
  private closed = false;
  private goingAway = false;
  readonly window: number;
  private sessionUnacked = 0;

  constructor(
    private readonly transport: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    super();
    this.window = opts.window ?? DEFAULT_WINDOW;
    this.nextStreamId = opts.role === 'client' ? 1 : 2;
    this.nextPingId = opts.role === 'client' ? 1 : 2;
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.teardown());
    transport.on('close', () => this.teardown());
    transport.on('error', (e: Error) => this.teardown(e));
    if (this.window !== DEFAULT_WINDOW) {
      this.enqueue({ type: 'settings', clear: false, entries: [{ id: SETTINGS_INITIAL_WINDOW_SIZE, flags: 0, value: this.window }] });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a stream; resolves once the peer replied (SYN_REPLY). */
  async openStream(headers: SpdyHeaders, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.closed || this.goingAway) throw new Error('SPDY session is closed');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    const replied = new Promise<void>((resolve, reject) => {
      stream.once('reply', () => resolve());
      stream.once('close', () => reject(new Error(`SPDY stream ${id} closed before the reply`)));
    });
    replied.catch(() => undefined);
    this.enqueue({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, fin: !!opts.fin, unidirectional: false, headerBlock: Buffer.alloc(0) }, headers);
    if (opts.fin) stream.end();
    await replied;
    return stream;
  }

  /** Sends a PING and resolves with the round trip in ms. */
  ping(): Promise<number> {
    const id = this.nextPingId;
    this.nextPingId += 2;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('SPDY session is closed'));
      this.pendingPings.set(id, { resolve: () => resolve(Date.now() - started), reject });
      this.enqueue({ type: 'ping', id });
    });
  }

  /** Sends GOAWAY and ends the transport once queued frames are written. Idempotent. */
  close(): void {
    if (this.closed || this.goingAway) return;
    this.goingAway = true;
    this.enqueue({ type: 'goaway', lastGoodStreamId: this.lastPeerStream, status: 0 });
    void this.outbox.then(() => this.transport.end());
  }

  /** Closes the transport at once; every stream is destroyed. */
  destroy(): void {
    this.transport.destroy();
    this.teardown();
  }

  // ---- used by SpdyStream ----

  /** Queues a frame; resolves when its bytes are handed to the transport. `headers`: compressed into the frame's header block. */
  enqueue(frame: Frame, headers?: SpdyHeaders): Promise<void> {
    const compressed = headers ? this.compressor.compress(headers) : undefined;
    compressed?.catch(() => undefined);
    const run = async (): Promise<void> => {
      if (this.closed) return;
      let f = frame;
      if (compressed && (f.type === 'syn_stream' || f.type === 'syn_reply' || f.type === 'headers')) f = { ...f, headerBlock: await compressed };
      if (this.closed) return;
      const ok = this.transport.write(encodeFrame(f));
      if (!ok) await new Promise<void>((r) => {
        const done = () => {
          this.transport.off('drain', done);
          this.transport.off('close', done);
          r();
        };
        this.transport.on('drain', done);
        this.transport.on('close', done);
      });
    };
    const p = this.outbox.then(run);
    this.outbox = p.catch(() => undefined);
    return p;
  }

  /** Data frames for `data`, split to the frame size limit; the last carries FIN when asked. */
  sendData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    let last: Promise<void> = Promise.resolve();
    if (data.length === 0) return this.enqueue({ type: 'data', streamId, fin, data });
    for (let off = 0; off < data.length; off += MAX_DATA_FRAME) {
      const piece = data.subarray(off, off + MAX_DATA_FRAME);
      last = this.enqueue({ type: 'data', streamId, fin: fin && off + MAX_DATA_FRAME >= data.length, data: piece });
    }
    return last;
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  // ---- incoming ----

  private onBytes(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    for (const f of frames) {
      this.inbox = this.inbox.then(() => this.handle(f)).catch((e: Error) => this.fail(e));
    }
  }

  private fail(e: Error): void {
    if (this.closed) return;
    if (e instanceof SpdyProtocolError) this.enqueue({ type: 'goaway', lastGoodStreamId: this.lastPeerStream, status: 1 });
    this.emit('error', e);
    void this.outbox.then(() => this.destroy());
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    switch (f.type) {
      case 'syn_stream': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        if (this.goingAway || this.streams.has(f.streamId) || f.streamId <= this.lastPeerStream) {
          this.enqueue({ type: 'rst_stream', streamId: f.streamId, status: this.goingAway ? RstStatus.REFUSED_STREAM : RstStatus.PROTOCOL_ERROR });
          return;
        }
        this.lastPeerStream = f.streamId;
        const stream = new SpdyStream(this, f.streamId, headers);
        this.streams.set(f.streamId, stream);
        if (this.opts.autoReply ?? this.opts.role === 'server') stream.reply();
        if (f.fin) stream.receive(Buffer.alloc(0), true);
        this.emit('stream', stream);
        return;
      }
      case 'syn_reply': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.replyHeaders = headers;
        s.emit('reply', headers);
        if (f.fin) s.receive(Buffer.alloc(0), true);
        return;
      }
      case 'headers': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        const s = this.streams.get(f.streamId);
        if (!s) return;
        Object.assign(s.headers, headers);
        if (f.fin) s.receive(Buffer.alloc(0), true);
        return;
      }
      case 'data': {
        this.sessionUnacked += f.data.length;
        if (this.sessionUnacked >= this.window / 2) {
          this.enqueue({ type: 'window_update', streamId: 0, delta: this.sessionUnacked });
          this.sessionUnacked = 0;
        }
        const s = this.streams.get(f.streamId);
        if (!s) {
          this.enqueue({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.INVALID_STREAM });
          return;
        }
        s.receive(f.data, f.fin);
        return;
      }
      case 'rst_stream': {
        const s = this.streams.get(f.streamId);
        if (s) s.resetByPeer(f.status);
        return;
      }
      case 'ping': {
        const mine = (f.id % 2 === 1) === (this.opts.role === 'client');
        if (mine) {
          this.pendingPings.get(f.id)?.resolve();
          this.pendingPings.delete(f.id);
        } else this.enqueue({ type: 'ping', id: f.id });
        return;
      }
      case 'goaway':
        this.goingAway = true;
        this.emit('goaway', f.status);
        return;
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private teardown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.destroy();
    this.streams.clear();
    for (const p of this.pendingPings.values()) p.reject(new Error('SPDY session closed'));
    this.pendingPings.clear();
    this.compressor.close();
    this.decompressor.close();
    if (err) this.emit('error', err);
    this.emit('close');
  }
}

/** One SPDY stream: readable = the peer's data, writable = ours. */
export class SpdyStream extends Duplex {
  /** headers of the SYN_REPLY (streams this side opened) */
  replyHeaders: SpdyHeaders = {};
  private replied = false;
  private localFin = false;
  private remoteFin = false;
  private unacked = 0;
  /** the RST_STREAM status the peer reset this stream with */
  resetStatus?: number;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    /** headers of the SYN_STREAM, names lower-case */
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** Accepts a stream the peer opened (SYN_REPLY). Idempotent. */
  reply(headers: SpdyHeaders = {}): void {
    if (this.replied) return;
    this.replied = true;
    void this.session.enqueue({ type: 'syn_reply', streamId: this.id, fin: false, headerBlock: Buffer.alloc(0) }, headers);
  }

  /** Resets the stream (RST_STREAM) and destroys it. */
  reset(status: number = RstStatus.CANCEL): void {
    if (!(this.localFin && this.remoteFin) && !this.destroyed) void this.session.enqueue({ type: 'rst_stream', streamId: this.id, status });
    this.localFin = this.remoteFin = true;
    this.destroy();
  }

  receive(data: Buffer, fin: boolean): void {
    if (this.remoteFin) return;
    if (data.length) {
      this.unacked += data.length;
      const below = this.push(data);
      if (below) this.ackIfDue();
    }
    if (fin) {
      this.remoteFin = true;
      this.push(null);
    }
  }

  resetByPeer(status: number): void {
    this.resetStatus = status;
    this.localFin = this.remoteFin = true;
    this.destroy();
  }

  private ackIfDue(): void {
    if (this.unacked >= this.session.window / 2 && !this.remoteFin) {
      void this.session.enqueue({ type: 'window_update', streamId: this.id, delta: this.unacked });
      this.unacked = 0;
    }
  }

  override _read(): void {
    this.ackIfDue();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.localFin) return cb(new Error(`SPDY stream ${this.id} is closed for writing`));
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.localFin) return cb();
    this.localFin = true;
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (!(this.localFin && this.remoteFin) && !this.session.isClosed) {
      void this.session.enqueue({ type: 'rst_stream', streamId: this.id, status: RstStatus.CANCEL });
    }
    this.session.forget(this.id);
    cb(err);
  }
}

// In-process connections to the API server: components inside `skiff server` (controllers,
// scheduler, simulated kubelets) talk HTTP to the very same request handler through an
// in-memory stream pair — same semantics as remote clients, no sockets, no TLS.
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

/** One end of an in-memory, bidirectional byte stream; what one end writes, the other reads. */
class PipeEnd extends Duplex {
  peer?: PipeEnd;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;
  readonly localAddress = '127.0.0.1';

  override _read(): void {
    // data is pushed by the peer's writes
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.peer?.push(chunk);
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.peer?.push(null);
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.peer && !this.peer.destroyed) this.peer.push(null);
    cb(err);
  }

  // The parts of net.Socket the HTTP machinery calls.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

export function duplexPair(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** An HTTP server that is never bound to a port; `connect()` hands out client ends of in-memory connections. */
export class InProcessListener {
  private readonly server: Server;
  private readonly open = new Set<Duplex>();

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer(handler);
  }

  connect(): Duplex {
    const [client, server] = duplexPair();
    this.open.add(server);
    server.on('close', () => this.open.delete(server));
    this.server.emit('connection', server);
    return client;
  }

  close(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}

// Kubernetes' WebSocket channel protocols (k8s.io/apimachinery wsstream): every message starts
// with a channel byte; binary protocols carry raw bytes, base64 ones a text message of the
// channel digit plus base64 data.
//   channel.k8s.io (v1), v2, v3 (+ resize channel 4), v4 (error channel carries a Status JSON),
//   v5 (+ message [255, channel]: the client closed that channel — stdin EOF).
// For exec/attach: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize.
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Status } from '../../api/errors.js';
import { ResizeQueue, type RemoteCommandRequest, type RemoteCommandStreams } from './remote-command.js';

export interface ChannelProtocol {
  readonly name: string;
  /** 1 for channel.k8s.io */
  readonly version: number;
  readonly base64: boolean;
}

/** Sub-protocols offered for exec and attach, most capable first. */
export const REMOTE_COMMAND_WS_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

/** The close signal of v5: [CLOSE_CHANNEL, channel]. */
export const CLOSE_CHANNEL = 255;

export function parseChannelProtocol(name: string): ChannelProtocol | undefined {
  const m = /^(?:v(\d+)\.)?(base64\.)?channel\.k8s\.io$/.exec(name);
  if (!m) return undefined;
  return { name, version: m[1] ? Number(m[1]) : 1, base64: !!m[2] };
}

/** The first protocol of the client's list (its preference order) that `supported` holds; '' when it offered none. */
export function negotiate(offered: Iterable<string>, supported: readonly string[]): string | false {
  const list = [...offered];
  if (list.length === 0) return '';
  return list.find((p) => supported.includes(p)) ?? false;
}

/** Channel framing over one WebSocket. */
export class ChannelSocket {
  private readonly handlers = new Map<number, (data: Buffer) => void>();
  private readonly closeHandlers = new Map<number, () => void>();

  constructor(
    readonly ws: WebSocket,
    readonly protocol: ChannelProtocol,
  ) {
    ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      if (msg.length === 0) return;
      let channel: number;
      let data: Buffer;
      if (protocol.base64 && !isBinary) {
        const text = msg.toString('latin1');
        channel = text.charCodeAt(0) - 48;
        data = Buffer.from(text.slice(1), 'base64');
      } else {
        channel = msg[0];
        data = msg.subarray(1);
      }
      if (channel === CLOSE_CHANNEL && protocol.version >= 5) {
        if (data.length) this.closeHandlers.get(data[0])?.();
        return;
      }
      this.handlers.get(channel)?.(data);
    });
  }

  onData(channel: number, handler: (data: Buffer) => void): void {
    this.handlers.set(channel, handler);
  }

  /** v5: the client closed `channel` */
  onClose(channel: number, handler: () => void): void {
    this.closeHandlers.set(channel, handler);
  }

  /** Sends on a channel; resolves once the message is handed to the socket. */
  send(channel: number, data: Buffer | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== this.ws.OPEN) return reject(new Error('websocket closed'));
      const done = (e?: Error) => (e ? reject(e) : resolve());
      if (this.protocol.base64) this.ws.send(String.fromCharCode(48 + channel) + bytes.toString('base64'), { binary: false }, done);
      else this.ws.send(Buffer.concat([Buffer.from([channel]), bytes]), { binary: true }, done);
    });
  }

  /** A Writable whose writes go out on `channel`. */
  writable(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.send(channel, chunk).then(() => cb(), cb);
      },
    });
  }
}

/** exec/attach streams over a channel WebSocket. */
export function remoteCommandOverWebSocket(socket: ChannelSocket, req: RemoteCommandRequest): RemoteCommandStreams {
  const aborter = new AbortController();
  const { ws, protocol } = socket;
  const stdin = req.stdin ? new PassThrough() : undefined;
  if (stdin) {
    socket.onData(0, (d) => {
      if (!stdin.writableEnded) stdin.write(d);
    });
    socket.onClose(0, () => stdin.end());
  }
  const resizes = req.tty && protocol.version >= 3 ? new ResizeQueue() : undefined;
  if (resizes) socket.onData(4, (d) => resizes.pushJSON(d.toString('utf8')));
  ws.on('close', () => {
    stdin?.end();
    aborter.abort();
  });
  const swallow = (w: Writable) => (w.on('error', () => undefined), w);
  return {
    stdin,
    stdout: req.stdout ? swallow(socket.writable(1)) : undefined,
    stderr: req.stderr && !req.tty ? swallow(socket.writable(2)) : undefined,
    resizes,
    signal: aborter.signal,
    finish: async (status: Status) => {
      try {
        if (protocol.version >= 4) await socket.send(3, JSON.stringify(status));
        else if (status.status !== 'Success') await socket.send(3, status.message ?? 'error');
      } catch {
        /* the client is gone */
      }
      ws.close(1000);
    },
  };
}

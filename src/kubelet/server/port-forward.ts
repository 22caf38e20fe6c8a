// Port forwarding to a pod's sandbox:
// - SPDY (plain, or tunnelled in a WebSocket with sub-protocol SPDY/3.1+portforward.k8s.io):
//   per forwarded connection the client opens an `error` and a `data` stream carrying the same
//   `requestID` and `port` headers; the data stream is connected to the port, failures are written
//   to the error stream, then both are closed.
// - WebSocket channels (v4.channel.k8s.io, ports from ?ports=): per port i, channel 2i is data and
//   2i+1 errors; the server first sends the port (uint16 little-endian) on both.
import type { Runtime } from '../../runtime/runtime.js';
import { headerValue } from './spdy/header-block.js';
import type { SpdySession, SpdyStream } from './spdy/session.js';
import type { ChannelSocket } from './websocket-channels.js';
import { Duplex, PassThrough } from 'node:stream';

export const PORT_FORWARD_SPDY_PROTOCOL = 'portforward.k8s.io';
/** WebSocket sub-protocol of kubectl 1.30+: SPDY frames inside binary WebSocket messages. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const PORT_FORWARD_WS_PROTOCOLS = [PORT_FORWARD_TUNNEL_PROTOCOL, 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'] as const;

export interface PortForwardTarget {
  readonly runtime: Runtime;
  readonly sandboxId: string;
  /** `ns/name`, for messages */
  readonly podName: string;
  readonly podUid: string;
}

function forwardError(t: PortForwardTarget, port: number, e: unknown): string {
  return `error forwarding port ${port} to pod ${t.podName}, uid ${t.podUid}: ${e instanceof Error ? e.message : String(e)}`;
}

async function forward(t: PortForwardTarget, port: number, stream: Duplex): Promise<void> {
  if (!t.runtime.portForward) throw new Error('the container runtime does not support port forwarding');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${port}`);
  await t.runtime.portForward(t.sandboxId, port, stream);
}

/** Serves port-forward streams of one SPDY session until it closes. */
export function portForwardOverSpdy(session: SpdySession, t: PortForwardTarget, log?: (line: string) => void): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  session.on('stream', (s) => {
    s.on('error', () => undefined);
    const type = headerValue(s.headers, 'streamtype');
    const id = headerValue(s.headers, 'requestid') ?? '';
    if (type !== 'error' && type !== 'data') {
      s.reset();
      return;
    }
    const pair = pairs.get(id) ?? {};
    pairs.set(id, pair);
    pair[type] = s;
    if (!pair.error || !pair.data) return;
    pairs.delete(id);
    const { error, data } = pair;
    error.resume(); // nothing comes from the client on it
    const port = Number(headerValue(data.headers, 'port'));
    forward(t, port, data)
      .catch((e: unknown) => {
        const msg = forwardError(t, port, e);
        log?.(`kubelet-server: ${msg}`);
        if (!error.writableEnded) error.write(msg);
      })
      .finally(() => {
        if (!data.writableEnded && !data.destroyed) data.end();
        if (!error.writableEnded && !error.destroyed) error.end();
      });
  });
}

/** Serves the channel WebSocket port-forward protocol for `ports`; closes the socket when every forward is done. */
export function portForwardOverChannels(socket: ChannelSocket, ports: readonly number[], t: PortForwardTarget, log?: (line: string) => void): void {
  const portBytes = (p: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(p);
    return b;
  };
  const done = ports.map(async (port, i) => {
    const dataCh = 2 * i;
    const errCh = 2 * i + 1;
    const fromClient = new PassThrough();
    socket.onData(dataCh, (d) => {
      if (!fromClient.writableEnded) fromClient.write(d);
    });
    socket.onClose(dataCh, () => fromClient.end());
    socket.ws.on('close', () => fromClient.end());
    const stream = Duplex.from({ readable: fromClient, writable: socket.writable(dataCh) });
    stream.on('error', () => undefined);
    try {
      if (socket.protocol.version >= 4) {
        await socket.send(dataCh, portBytes(port));
        await socket.send(errCh, portBytes(port));
      }
      await forward(t, port, stream);
    } catch (e) {
      const msg = forwardError(t, port, e);
      log?.(`kubelet-server: ${msg}`);
      await socket.send(errCh, msg).catch(() => undefined);
    }
  });
  void Promise.all(done).then(() => socket.ws.close(1000));
}

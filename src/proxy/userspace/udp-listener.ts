// One UDP socket of the userspace proxy and its per-client sessions: the first datagram of a
// client (address and port) chooses an endpoint and opens a socket connected to it; datagrams of
// that client go there, the endpoint's answers go back from the listening socket (so their source
// is the address the client sent to). A session idle for `idleMs` is closed; one whose endpoint
// refuses (ICMP port unreachable) is closed at once, and that endpoint is passed over by new
// sessions for REFUSED_BACKOFF_MS, so the client's retry (resolvers retry from a new port) goes to
// another one.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { endpointKey } from './endpoint-picker.js';
import type { RelayTarget } from './tcp-listener.js';

/** How long an endpoint that refused a datagram is passed over by new sessions (unless all did). */
export const REFUSED_BACKOFF_MS = 10_000;

/** Default idle timeout of a UDP session. */
export const UDP_IDLE_MS = 30_000;

interface Session {
  readonly upstream: Socket;
  readonly timer: NodeJS.Timeout;
  connected: boolean;
  readonly queue: Buffer[];
}

export class UdpListener {
  private socket: Socket | undefined;
  private readonly sessions = new Map<string, Session>();
  /** endpoints that refused recently → until when (ms) they are passed over for new sessions */
  private readonly refused = new Map<string, number>();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly target: RelayTarget,
    private readonly log: (line: string) => void,
    private readonly idleMs = UDP_IDLE_MS,
  ) {}

  start(): Promise<void> {
    const s = createSocket({ type: 'udp4' });
    this.socket = s;
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address: this.host, port: this.port, exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', (e) => this.log(`proxy userspace: udp ${this.host}:${this.port}: ${e.message}`));
        s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        resolve();
      });
    });
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
    for (const key of [...this.sessions.keys()]) this.endSession(key);
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let session = this.sessions.get(key);
    if (!session) {
      const now = Date.now();
      const avoid = new Set<string>();
      for (const [k, until] of this.refused) if (until > now) avoid.add(k); else this.refused.delete(k);
      // every endpoint refused recently: try them all again
      const ep = this.target.picker.pick(this.target.endpoints(), rinfo.address, avoid) ?? this.target.picker.pick(this.target.endpoints(), rinfo.address);
      if (!ep) return; // no endpoint: the datagram is dropped
      const chosen = ep;
      const upstream = createSocket({ type: 'udp4' });
      const s: Session = {
        upstream,
        timer: setTimeout(() => this.endSession(key), this.idleMs),
        connected: false,
        queue: [],
      };
      session = s;
      this.sessions.set(key, s);
      upstream.on('message', (reply) => {
        s.timer.refresh();
        this.refused.delete(endpointKey(chosen));
        this.target.picker.served(rinfo.address, chosen);
        this.socket?.send(reply, rinfo.port, rinfo.address);
      });
      upstream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') {
          this.refused.set(endpointKey(chosen), Date.now() + REFUSED_BACKOFF_MS);
          this.target.picker.forget(rinfo.address);
        }
        this.endSession(key);
      });
      upstream.connect(chosen.port, chosen.ip, () => {
        s.connected = true;
        for (const m of s.queue.splice(0)) upstream.send(m);
      });
    }
    session.timer.refresh();
    if (session.connected) session.upstream.send(msg);
    else session.queue.push(msg);
  }

  private endSession(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    clearTimeout(s.timer);
    try {
      s.upstream.close();
    } catch {
      // already closed
    }
  }
}

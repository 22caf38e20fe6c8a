// One UDP socket of the userspace proxy and its per-client sessions: the first datagram of a
// client (address and port) chooses an endpoint and opens a socket connected to it; datagrams of
// that client go there, the endpoint's answers go back from the listening socket (so their source
// is the address the client sent to). A session idle for `idleMs` is closed; one whose endpoint
// refuses (ICMP port unreachable) is closed at once, and the client's next datagram picks another.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { endpointKey } from './endpoint-picker.js';
import type { RelayTarget } from './tcp-listener.js';

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
  /** endpoints that refused a client recently: client → endpoint keys (cleared when it succeeds) */
  private readonly refused = new Map<string, Set<string>>();

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
      const tried = this.refused.get(key) ?? new Set<string>();
      let ep = this.target.picker.pick(this.target.endpoints(), rinfo.address, tried);
      if (!ep && tried.size > 0) {
        this.refused.delete(key); // every endpoint refused once: start over
        ep = this.target.picker.pick(this.target.endpoints(), rinfo.address);
      }
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
        this.refused.delete(key);
        this.target.picker.served(rinfo.address, chosen);
        this.socket?.send(reply, rinfo.port, rinfo.address);
      });
      upstream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') {
          const r = this.refused.get(key) ?? new Set<string>();
          r.add(endpointKey(chosen));
          this.refused.set(key, r);
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

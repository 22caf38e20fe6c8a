// One TCP listening socket of the userspace proxy (a virtual IP, a LoadBalancer address or a node
// port) and the connections it relays. Each accepted connection is held paused while an endpoint is
// chosen and dialled; when an endpoint refuses (or does not answer within the attempt's timeout),
// another one is tried, and the client is reset only when none is left.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { ProxyEndpoint } from '../model.js';
import { endpointKey, type EndpointPicker } from './endpoint-picker.js';

/** What a listener relays to; the backend updates it in place on every sync. */
export interface RelayTarget {
  endpoints(): readonly ProxyEndpoint[];
  readonly picker: EndpointPicker;
}

/** Timeouts of successive connection attempts (kube-proxy's userspace mode used the same steps). */
export const DIAL_TIMEOUTS_MS: readonly number[] = [250, 500, 1000, 2000];

export class TcpListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly target: RelayTarget,
    private readonly log: (line: string) => void,
  ) {}

  /** Listens on host:port; rejects with the socket error (e.g. EADDRINUSE). */
  start(): Promise<void> {
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log(`proxy userspace: tcp ${this.host}:${this.port}: ${e.message}`));
        resolve();
      });
    });
  }

  /** Stops listening and destroys every relayed connection. */
  close(): void {
    this.server?.close();
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private accept(client: Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    const clientIP = client.remoteAddress ?? '';
    const tried = new Set<string>();
    const attempt = (n: number): void => {
      if (client.destroyed) return;
      const ep = this.target.picker.pick(this.target.endpoints(), clientIP, tried);
      if (!ep) {
        client.resetAndDestroy();
        return;
      }
      tried.add(endpointKey(ep));
      const upstream = connect({ host: ep.ip, port: ep.port, noDelay: true });
      this.track(upstream);
      const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), DIAL_TIMEOUTS_MS[Math.min(n, DIAL_TIMEOUTS_MS.length - 1)]);
      const failed = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        upstream.destroy();
        this.target.picker.forget(clientIP);
        this.log(`proxy userspace: ${ep.ip}:${ep.port} for ${this.host}:${this.port}: ${e.code ?? e.message}; trying another endpoint`);
        attempt(n + 1);
      };
      upstream.once('error', failed);
      upstream.once('connect', () => {
        clearTimeout(timer);
        upstream.off('error', failed);
        this.target.picker.served(clientIP, ep);
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }
}

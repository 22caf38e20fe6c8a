// The kubelet's HTTPS endpoint (port 10250), through which the API server reaches containers:
//   GET /containerLogs/{ns}/{pod}/{container}   logs (follow, tailLines, sinceSeconds, sinceTime, timestamps, previous, limitBytes)
//   /exec/{ns}/{pod}/{container}?command=..     WebSocket (v5..v1 channel protocols) or SPDY/3.1 upgrade
//   /attach/{ns}/{pod}/{container}              same protocols
//   /portForward/{ns}/{pod}                     WebSocket (SPDY tunnel, or channels with ?ports=) or SPDY/3.1
//   GET /healthz
// Only clients presenting a certificate signed by `tls.ca` (with clientAuth usage) are served:
// 401 without a certificate, 403 with one the CA did not sign. That is how the API server
// authenticates to the node.
//
// Lifetime: start() listens and resolves with the port; stop() closes the listener and every
// open connection (running exec'd processes are killed through their abort signal).
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import type { Runtime } from '../../runtime/runtime.js';
import { DEFAULT_KUBELET_PORT } from '../node-status.js';
import { readySandbox, runningContainer } from './container-lookup.js';
import { serveContainerLogs } from './logs.js';
import {
  PORT_FORWARD_SPDY_PROTOCOL,
  PORT_FORWARD_TUNNEL_PROTOCOL,
  PORT_FORWARD_WS_PROTOCOLS,
  portForwardOverChannels,
  portForwardOverSpdy,
  type PortForwardTarget,
} from './port-forward.js';
import { runRemoteCommand, type RemoteCommandRequest } from './remote-command.js';
import { REMOTE_COMMAND_SPDY_PROTOCOLS, remoteCommandOverSpdy } from './spdy-remote-command.js';
import { SpdySession } from './spdy/session.js';
import { errorStatus, KubeletHttpError } from './status.js';
import { ChannelSocket, negotiate, parseChannelProtocol, REMOTE_COMMAND_WS_PROTOCOLS, remoteCommandOverWebSocket } from './websocket-channels.js';


export interface KubeletServerOptions {
  readonly runtime: Runtime;
  /** PEM: serving key and certificate, and the CA client certificates must be signed by */
  readonly tls: { readonly key: string; readonly cert: string; readonly ca: string };
  /** default 10250; 0 picks a free port */
  readonly port?: number;
  /** default 0.0.0.0 (every address, as the kubelet) */
  readonly host?: string;
  readonly log?: (line: string) => void;
  /** ms since the epoch (sinceSeconds); default Date.now */
  readonly now?: () => number;
}

type Route =
  | { kind: 'containerLogs' | 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string }
  | { kind: 'healthz' };

/** Parses the kubelet paths this server serves; undefined for anything else. */
export function parseKubeletPath(pathname: string): Route | undefined {
  const p = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  if (p.length === 1 && p[0] === 'healthz') return { kind: 'healthz' };
  if ((p[0] === 'containerLogs' || p[0] === 'exec' || p[0] === 'attach') && (p.length === 4 || (p.length === 5 && p[0] !== 'containerLogs'))) {
    // /exec/{ns}/{pod}/{uid}/{container} is accepted as Kubernetes does; the uid is not checked.
    return { kind: p[0], namespace: p[1], pod: p[2], container: p[p.length - 1] };
  }
  if (p[0] === 'portForward' && (p.length === 3 || p.length === 4)) return { kind: 'portForward', namespace: p[1], pod: p[2] };
  return undefined;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === '1' || v === 'true';
}

const REASON_PHRASE: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

/** Answers on a raw socket (an upgrade request that is refused). */
function refuseUpgrade(socket: Duplex, e: unknown): void {
  const plain = e instanceof KubeletHttpError && e.plain;
  const status = errorStatus(e);
  const body = plain ? (status.message ?? '') : JSON.stringify(status);
  const code = status.code;
  socket.end(
    `HTTP/1.1 ${code} ${REASON_PHRASE[code] ?? 'Error'}\r\nContent-Type: ${plain ? 'text/plain; charset=utf-8' : 'application/json'}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function respond(res: ServerResponse, e: unknown): void {
  const plain = e instanceof KubeletHttpError && e.plain;
  const status = errorStatus(e);
  const body = plain ? (status.message ?? '') : JSON.stringify(status);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status.code, { 'Content-Type': plain ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export class KubeletServer {
  private server?: Server;
  private readonly sockets = new Set<Duplex>();
  /** the sub-protocol chosen for each WebSocket upgrade request */
  private readonly chosenProtocol = new WeakMap<IncomingMessage, string>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => this.chosenProtocol.get(req) || false,
  });
  /** sub-protocols `ws` cannot negotiate itself (not RFC 7230 tokens) */
  private readonly untokenProtocol = new WeakMap<IncomingMessage, string>();

  constructor(private readonly opts: KubeletServerOptions) {
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const p = this.untokenProtocol.get(req);
      if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`);
    });
  }

  start(): Promise<number> {
    const { key, cert, ca } = this.opts.tls;
    const server = createServer({ key, cert, ca, requestCert: true, rejectUnauthorized: false }, (req, res) => void this.serve(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    server.on('secureConnection', (s: TLSSocket) => {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', () => {
      /* a client that gave up during the handshake */
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? DEFAULT_KUBELET_PORT, this.opts.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : (this.opts.port ?? DEFAULT_KUBELET_PORT));
      });
    });
  }

  /** Closes the listener and every connection (exec'd processes are killed). Idempotent. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const c of this.wss.clients) c.terminate();
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    await closed;
  }

  private log(line: string): void {
    this.opts.log?.(`kubelet-server: ${line}`);
  }

  /** 401 without a client certificate, 403 when the cluster CA did not sign it. */
  private authenticate(req: IncomingMessage): void {
    const s = req.socket as TLSSocket;
    if (s.authorized) return;
    const peer = s.getPeerCertificate?.();
    if (!peer || Object.keys(peer).length === 0) throw new KubeletHttpError(401, 'Unauthorized: a client certificate signed by the cluster CA is required');
    throw new KubeletHttpError(403, `Forbidden: client certificate rejected: ${String(s.authorizationError ?? 'not signed by the cluster CA')}`);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    try {
      this.authenticate(req);
      const route = parseKubeletPath(url.pathname);
      if (!route) throw new KubeletHttpError(404, `404 page not found`, true);
      if (route.kind === 'healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (route.kind === 'containerLogs') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new KubeletHttpError(405, `method ${req.method} not allowed`, true);
        await serveContainerLogs(this.opts.runtime, { ...route, query: url.searchParams }, res, (this.opts.now ?? Date.now)());
        return;
      }
      throw new KubeletHttpError(400, 'Upgrade request required');
    } catch (e) {
      if (!(e instanceof KubeletHttpError)) this.log(`${req.method} ${url.pathname}: ${e instanceof Error ? e.message : String(e)}`);
      respond(res, e);
    }
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    try {
      this.authenticate(req);
      const route = parseKubeletPath(url.pathname);
      if (!route || route.kind === 'healthz' || route.kind === 'containerLogs') throw new KubeletHttpError(404, '404 page not found', true);
      const upgrade = (req.headers.upgrade ?? '').toLowerCase();
      const q = url.searchParams;
      if (route.kind === 'portForward') {
        const sandbox = await readySandbox(this.opts.runtime, route.namespace, route.pod);
        const target: PortForwardTarget = { runtime: this.opts.runtime, sandboxId: sandbox.id, podName: `${route.namespace}/${route.pod}`, podUid: sandbox.metadata.uid };
        if (upgrade === 'websocket') {
          const protocol = this.wsProtocol(req, PORT_FORWARD_WS_PROTOCOLS);
          const ports = q.getAll('ports').flatMap((v) => v.split(',')).filter((v) => v !== '').map(Number);
          if (protocol !== PORT_FORWARD_TUNNEL_PROTOCOL && (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))) {
            throw new KubeletHttpError(400, 'query parameter "ports" is required: a comma-separated list of ports (1-65535)');
          }
          const ws = await this.acceptWebSocket(req, socket, head, protocol);
          if (protocol === PORT_FORWARD_TUNNEL_PROTOCOL) {
            const tunnel = createWebSocketStream(ws);
            tunnel.on('error', () => undefined);
            portForwardOverSpdy(this.spdySession(tunnel, `port-forward ${target.podName}`), target, this.opts.log);
          } else {
            portForwardOverChannels(new ChannelSocket(ws, parseChannelProtocol(protocol || 'channel.k8s.io')!), ports, target, this.opts.log);
          }
          return;
        }
        this.acceptSpdy(req, socket, head, [PORT_FORWARD_SPDY_PROTOCOL]);
        portForwardOverSpdy(this.spdySession(socket, `port-forward ${target.podName}`), target, this.opts.log);
        return;
      }

      const r: RemoteCommandRequest = {
        kind: route.kind,
        containerId: '',
        command: q.getAll('command'),
        stdin: flag(q, 'stdin') || flag(q, 'input'),
        stdout: flag(q, 'stdout') || flag(q, 'output'),
        stderr: flag(q, 'stderr') || flag(q, 'error'),
        tty: flag(q, 'tty'),
      };
      if (!r.stdin && !r.stdout && !r.stderr) throw new KubeletHttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
      if (r.kind === 'exec' && r.command.length === 0) throw new KubeletHttpError(400, 'you must specify at least one command for the container');
      const c = await runningContainer(this.opts.runtime, route.namespace, route.pod, route.container);
      const req2 = { ...r, containerId: c.id };
      if (upgrade === 'websocket') {
        const protocol = this.wsProtocol(req, REMOTE_COMMAND_WS_PROTOCOLS);
        const ws = await this.acceptWebSocket(req, socket, head, protocol);
        const channels = new ChannelSocket(ws, parseChannelProtocol(protocol || 'channel.k8s.io')!);
        await runRemoteCommand(this.opts.runtime, req2, remoteCommandOverWebSocket(channels, req2));
        return;
      }
      const protocol = this.acceptSpdy(req, socket, head, REMOTE_COMMAND_SPDY_PROTOCOLS);
      const session = this.spdySession(socket, `${route.kind} ${route.namespace}/${route.pod}`);
      let streams;
      try {
        streams = await remoteCommandOverSpdy(session, protocol, req2);
      } catch (e) {
        this.log(`${route.kind} ${route.namespace}/${route.pod}/${route.container}: ${(e as Error).message}`);
        session.destroy();
        return;
      }
      await runRemoteCommand(this.opts.runtime, req2, streams);
    } catch (e) {
      if (!(e instanceof KubeletHttpError)) this.log(`${req.method} ${url.pathname}: ${e instanceof Error ? e.message : String(e)}`);
      if (socket.writable) refuseUpgrade(socket, e);
    }
  }

  /** A server-side SPDY session whose failures (peer resets, protocol errors) are logged, never thrown. */
  private spdySession(transport: Duplex, what: string): SpdySession {
    const session = new SpdySession(transport, { role: 'server' });
    session.on('error', (e) => this.log(`SPDY session of ${what}: ${e.message}`));
    return session;
  }

  /** The sub-protocol to accept (client's preference order), '' when the client offered none; 400 when none is served. */
  private wsProtocol(req: IncomingMessage, supported: readonly string[]): string {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const chosen = negotiate(offered, supported);
    if (chosen === false) {
      throw new KubeletHttpError(400, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
    }
    return chosen;
  }

  private acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
    this.chosenProtocol.set(req, protocol);
    if (protocol && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(protocol)) {
      // `ws` refuses sub-protocols that are not RFC 7230 tokens, such as kubectl's
      // SPDY/3.1+portforward.k8s.io: hide the request header and answer it ourselves ('headers').
      delete req.headers['sec-websocket-protocol'];
      this.untokenProtocol.set(req, protocol);
    }
    return new Promise((resolve) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => undefined);
        resolve(ws);
      });
    });
  }

  /** Writes the 101 answer of a SPDY/3.1 upgrade; returns the negotiated X-Stream-Protocol-Version. */
  private acceptSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): string {
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade !== 'spdy/3.1') throw new KubeletHttpError(400, `unsupported upgrade "${req.headers.upgrade ?? ''}": want SPDY/3.1 or websocket`);
    const raw = req.headersDistinct['x-stream-protocol-version'] ?? [];
    const offered = raw.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
    const chosen = offered.find((p) => supported.includes(p));
    if (!chosen) {
      throw new KubeletHttpError(403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`);
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${chosen}\r\n\r\n`);
    if (head.length) socket.unshift(head);
    return chosen;
  }
}

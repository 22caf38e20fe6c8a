// pods/log, pods/exec, pods/attach, pods/portforward: the API server's side of streaming. Logs are
// fetched from the kubelet and streamed back chunk by chunk; exec, attach and portforward are
// upgrade requests (WebSocket GET or SPDY/3.1 POST) forwarded to the kubelet as they came, after
// which raw bytes are piped both ways: the protocols themselves are spoken by kubectl and the
// kubelet only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, BadRequestError, InternalError, NotFoundError } from '../../api/errors.js';
import type { RegistryLookup } from '../resource-handler.js';
import { kubeletDial, kubeletGet, type KubeletClientTLS } from './kubelet-connection.js';
import { podStreamLocation, type KubeletLocation, type PodStreamSubresource } from './kubelet-location.js';

/** Most bytes of a kubelet error body relayed (as Kubernetes' response checker). */
const MAX_ERROR_BODY = 4 * 1024;

/** Request headers never forwarded to the kubelet (the caller's credentials stay here). */
const DROPPED_HEADERS = new Set(['authorization', 'host', 'proxy-authorization', 'cookie', 'impersonate-user', 'impersonate-group']);

export interface PodStreamProxyOptions {
  readonly registries: RegistryLookup;
  /** absent: streaming answers 503 (the API server cannot authenticate to kubelets) */
  readonly tls?: KubeletClientTLS;
}

export class PodStreamProxy {
  constructor(private readonly opts: PodStreamProxyOptions) {}

  private tls(): KubeletClientTLS {
    if (!this.opts.tls) throw new ApiError(503, 'ServiceUnavailable', 'the API server has no client certificate for kubelets (kubeletClientTLS): logs, exec, attach and port-forward are unavailable');
    return this.opts.tls;
  }

  private location(namespace: string, name: string, sub: PodStreamSubresource, query: URLSearchParams): Promise<KubeletLocation | undefined> {
    return podStreamLocation(this.opts.registries, namespace, name, sub, query);
  }

  /** GET pods/NAME/log: streams the kubelet's answer (follow: until it ends or the client leaves). */
  async serveLog(req: IncomingMessage, res: ServerResponse, namespace: string, name: string, query: URLSearchParams): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const loc = await this.location(namespace, name, 'log', query);
    if (!loc) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    const aborter = new AbortController();
    res.on('close', () => aborter.abort());
    const up = await kubeletGet(loc, this.tls(), aborter.signal);
    const code = up.statusCode ?? 500;
    if (code < 200 || code > 206) {
      const body = await readLimited(up, MAX_ERROR_BODY);
      throw kubeletError(code, body, name);
    }
    res.writeHead(200, { 'Content-Type': up.headers['content-type'] ?? 'text/plain', 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
    res.flushHeaders();
    await new Promise<void>((resolve) => {
      up.on('data', (c: Buffer) => {
        if (!res.write(c)) {
          up.pause();
          res.once('drain', () => up.resume());
        }
      });
      up.on('end', resolve);
      up.on('error', resolve);
      up.on('aborted', resolve);
      res.on('close', resolve);
    });
    if (!res.writableEnded) res.end();
  }

  /**
   * An upgrade request for pods/NAME/{exec,attach,portforward}: forwarded to the kubelet, then
   * bytes are piped both ways. Refusals before the kubelet answers throw ApiErrors (the caller
   * writes them on the socket); later failures close both sides.
   */
  async serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, name: string, sub: 'exec' | 'attach' | 'portforward', query: URLSearchParams): Promise<void> {
    const loc = (await this.location(namespace, name, sub, query))!;
    const upstream = await kubeletDial(loc, this.tls());
    const lines = [`${req.method ?? 'GET'} ${loc.path} HTTP/1.1`, `Host: ${loc.host.includes(':') ? `[${loc.host}]` : loc.host}:${loc.port}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!DROPPED_HEADERS.has(req.rawHeaders[i].toLowerCase())) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', () => socket.end());
    socket.on('close', () => upstream.destroy());
    upstream.pipe(socket);
    socket.pipe(upstream);
  }
}

function readLimited(s: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    s.on('data', (c: Buffer) => {
      if (n < limit) chunks.push(c);
      n += c.length;
    });
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, limit)));
    s.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** A kubelet refusal as the API server relays it (Kubernetes' GenericHttpResponseChecker). */
export function kubeletError(code: number, body: string, podName: string): ApiError {
  let message = body.trim();
  try {
    const s = JSON.parse(message) as { kind?: string; message?: unknown };
    if (s && s.kind === 'Status' && typeof s.message === 'string') message = s.message;
  } catch {
    /* a text body */
  }
  if (code === 400) return new BadRequestError(message);
  if (code === 500) return new InternalError(message);
  if (code === 404) {
    const e = new NotFoundError({ resource: 'pods/log', group: '', name: podName });
    return message ? new ApiError(404, 'NotFound', message, e.details) : e;
  }
  return new ApiError(code, code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'InternalError', message || `the server responded with the status code ${code} but did not return more information`);
}

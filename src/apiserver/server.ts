// The API server component: HTTPS, authentication, routing to discovery, OpenAPI, health,
// metrics and resources. `start()` listens; `stop()` stops accepting, lets in-flight requests
// finish (watches are ended), and resolves when the server is closed.
import { createServer, type Server } from 'node:https';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError, BadRequestError, MethodNotAllowedError, NotAcceptableError, NotFoundError, UnauthorizedError } from '../api/errors.js';
import type { SchemaLookup } from '../api/openapi/schema-lookup.js';
import { isPublicPath, type TokenAuthenticator } from './auth.js';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  aggregatedDiscoveryVersion,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.js';
import { decodeObjectBody, readBody, sendError, sendJSON } from './http.js';
import { answerSelfReview, isSelfReview } from './self-reviews.js';
import { findResource } from '../api/resources.js';
import type { KubeObject } from '../api/object.js';
import type { Entry } from '../registry/generic-registry.js';
import type { KeyValue } from '../storage/store.js';
import { InProcessClient, parse, type FallbackClient } from './in-process-client.js';
import { deepFreeze } from '../api/deep-freeze.js';
import { ApiMetrics } from './metrics.js';
import { InProcessListener } from './in-process.js';
import { openapiV2Served } from './openapi/v2.js';
import { openapiV3Index, openapiV3Served } from './openapi/v3.js';
import { parseRequestTarget } from './request-target.js';
import { parseRequestPath } from './request-info.js';
import { ResourceHandler, requestVerb, type RegistryLookup } from './resource-handler.js';
import type { ServingMaterial } from './pki.js';
import type { KubeletClientTLS } from './proxy/kubelet-connection.js';
import { POD_STREAM_SUBRESOURCES } from './proxy/kubelet-location.js';
import { PodStreamProxy } from './proxy/pod-stream-proxy.js';
import type { ResourceRequest } from './request-info.js';

export interface ApiServerOptions {
  readonly host: string;
  /** 0 picks a free port */
  readonly port: number;
  readonly tls: ServingMaterial;
  readonly authenticator: TokenAuthenticator;
  readonly registries: RegistryLookup;
  readonly schemas: SchemaLookup;
  readonly storeRevision: () => number;
  readonly now?: () => Date;
  /** where internal errors (and, with logRequests, every request) are logged */
  readonly log?: (line: string) => void;
  /** one log line per request (kubectl's -v=4 habit) */
  readonly logRequests?: boolean;
  /** readiness: false until bootstrap is done */
  readonly ready?: () => boolean;
  readonly bookmarkIntervalMs?: number;
  /**
   * The API server's client certificate towards kubelets and the CA their serving certificates
   * are signed by (pki.ts: ensureKubeletClientMaterial). Without it pods/log, exec, attach and
   * portforward answer 503.
   */
  readonly kubeletClientTLS?: KubeletClientTLS;
}

/** pods/NAME/{log,exec,attach,portforward} in the core group: served by the streaming proxy. */
function isPodStream(info: ResourceRequest): boolean {
  return info.group === '' && info.resource === 'pods' && !!info.namespace && !!info.name && !!info.subresource && POD_STREAM_SUBRESOURCES.has(info.subresource) && info.rest.length === 0;
}

const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** openapi.v2.Document { swagger: "2.0" } in protobuf: field 1, wire type 2, length 3. */
const EMPTY_OPENAPI_V2_PROTOBUF = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]);

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+skiff',
  gitCommit: 'skiff',
  gitTreeState: 'clean',
  buildDate: '2026-11-26T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

export class ApiServer {
  readonly metrics: ApiMetrics;
  private server?: Server;
  private readonly handler: ResourceHandler;
  private readonly sockets = new Set<Socket>();
  private readonly longRunning = new Set<ServerResponse>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  private readonly inProcess: InProcessListener;
  private readonly podStreams: PodStreamProxy;
  private readonly directWatches = new Set<() => void>();
  /** Parsed objects of stored revisions for in-process readOnly lists and watches; they live as long as their key-value. */
  private readonly sharedObjects = new WeakMap<KeyValue, KubeObject>();

  constructor(private readonly opts: ApiServerOptions) {
    this.metrics = new ApiMetrics(opts.storeRevision);
    this.inProcess = new InProcessListener((req, res) => void this.serve(req, res));
    this.podStreams = new PodStreamProxy({ registries: opts.registries, tls: opts.kubeletClientTLS });
    this.handler = new ResourceHandler({
      registries: opts.registries,
      schemas: opts.schemas,
      now: opts.now ?? (() => new Date()),
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
      onWatchStart: () => this.metrics.watchStarted(),
      onWatchEnd: () => this.metrics.watchEnded(),
    });
  }

  /** Listens; resolves with the bound port. */
  start(): Promise<number> {
    const server = createServer({ cert: this.opts.tls.certPem, key: this.opts.tls.keyPem, ca: this.opts.tls.caPem }, (req, res) => {
      void this.serve(req, res);
    });
    server.keepAliveTimeout = 65_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    server.on('tlsClientError', () => {
      /* a client that gave up on TLS; nothing to do */
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.opts.port);
      });
    });
  }

  /**
   * A new in-memory connection to this server, for clients inside the process (controllers,
   * scheduler, simulated kubelets): the same handler, authentication included, without sockets.
   */
  connectInProcess(): import('node:stream').Duplex {
    return this.inProcess.connect();
  }

  /**
   * A client for components inside this process that calls the resource handler directly (see
   * in-process-client.ts); `fallback` (an HttpClient over connectInProcess) serves the rare verbs.
   */
  inProcessClient(userAgent: string, fallback: FallbackClient): InProcessClient {
    return new InProcessClient(
      {
        registries: this.opts.registries,
        handler: this.handler,
        observe: (verb, resource, code, seconds) => this.metrics.observe(verb, resource, code, seconds),
        stopping: () => this.stopping,
        trackWatch: (end) => {
          this.directWatches.add(end);
          this.metrics.watchStarted();
          return () => {
            if (this.directWatches.delete(end)) this.metrics.watchEnded();
          };
        },
        bookmarkIntervalMs: this.opts.bookmarkIntervalMs ?? 60_000,
        shared: <T>(entry: Entry): T => {
          let o = this.sharedObjects.get(entry.kv);
          if (!o) this.sharedObjects.set(entry.kv, (o = deepFreeze(parse<KubeObject>(entry.json))));
          return o as T;
        },
        log: this.opts.log,
      },
      fallback,
      userAgent,
    );
  }

  /** Stops accepting, ends watches, waits (at most `graceMs`) for in-flight requests, then closes every connection. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.server || this.stopping) return;
    this.stopping = true;
    const closed = new Promise<void>((r) => this.server!.close(() => r()));
    for (const res of this.longRunning) res.end();
    for (const end of [...this.directWatches]) end();
    if (this.inFlight > 0) {
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    for (const s of this.sockets) s.destroy();
    this.inProcess.close();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = parseRequestTarget(req.url);
    const path = url.pathname;
    let verb = (req.method ?? 'GET').toLowerCase();
    let resource = '';
    let long = false;
    this.inFlight++;
    try {
      if (this.stopping) throw new ApiError(503, 'ServiceUnavailable', 'the server is shutting down');
      const user = isPublicPath(path) ? undefined : this.opts.authenticator.authenticate(req);
      if (!isPublicPath(path) && !user) throw new UnauthorizedError();
      const info = parseRequestPath(path);
      if (info.kind === 'resource') {
        verb = requestVerb(req.method ?? 'GET', info, url.searchParams);
        resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
        if (verb === 'watch' || (isPodStream(info) && info.subresource === 'log')) {
          long = true;
          this.longRunning.add(res);
          this.inFlight--;
        }
        const review = !info.namespace && !info.name && !info.subresource && isSelfReview({ group: info.group, plural: info.resource }) ? findResource(info.group, info.version, info.resource) : undefined;
        if (isPodStream(info)) {
          if (info.subresource !== 'log') throw new BadRequestError('Upgrade request required');
          await this.podStreams.serveLog(req, res, info.namespace!, info.name!, url.searchParams);
        } else if (review && user) {
          // answered, never stored: create is the only verb
          if (req.method !== 'POST') throw new MethodNotAllowedError('the server does not allow this method on the requested resource');
          const body = decodeObjectBody(await readBody(req), req.headers['content-type'], review);
          sendJSON(res, 201, answerSelfReview(review, body, user));
        } else await this.handler.handle(req, res, info, url.searchParams);
      } else if (info.kind === 'discovery') {
        this.discovery(req, res, info.legacy, info.group, info.version, `${req.headers.host ?? ''}`);
      } else {
        this.nonResource(req, res, path);
      }
    } catch (e) {
      if (!(e instanceof ApiError)) this.opts.log?.(`apiserver: internal error on ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      sendError(res, e);
    } finally {
      if (long) this.longRunning.delete(res);
      else {
        this.inFlight--;
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.observe(verb, resource, res.statusCode, seconds);
      if (this.opts.logRequests) this.opts.log?.(`apiserver: ${req.method} ${req.url} ${res.statusCode} ${(seconds * 1000).toFixed(1)}ms`);
    }
  }

  /**
   * Upgrade requests (WebSocket GET, SPDY/3.1 POST): pods/exec, pods/attach and pods/portforward
   * are forwarded to the pod's kubelet; anything else is refused with a Status.
   */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://skiff');
    let code = 101;
    let resource = '';
    try {
      if (this.stopping) throw new ApiError(503, 'ServiceUnavailable', 'the server is shutting down');
      if (!this.opts.authenticator.authenticate(req)) throw new UnauthorizedError();
      const info = parseRequestPath(url.pathname);
      if (info.kind !== 'resource' || !isPodStream(info) || info.subresource === 'log') {
        throw new BadRequestError(`upgrade requests are served for pods/exec, pods/attach and pods/portforward only: ${req.method} ${url.pathname}`);
      }
      resource = `pods/${info.subresource}`;
      await this.podStreams.serveUpgrade(req, socket, head, info.namespace!, info.name!, info.subresource as 'exec' | 'attach' | 'portforward', url.searchParams);
    } catch (e) {
      if (!(e instanceof ApiError)) this.opts.log?.(`apiserver: internal error on upgrade ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', e instanceof Error ? e.message : String(e));
      code = err.code;
      const body = JSON.stringify(err.toStatus());
      if (socket.writable) {
        socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.observe('connect', resource, code, seconds);
      if (this.opts.logRequests) this.opts.log?.(`apiserver: ${req.method} ${req.url} upgrade ${code} ${(seconds * 1000).toFixed(1)}ms`);
    }
  }

  private discovery(req: IncomingMessage, res: ServerResponse, legacy: boolean, group: string | undefined, version: string | undefined, host: string): void {
    if (group === undefined) {
      const agg = aggregatedDiscoveryVersion(req.headers.accept);
      if (agg) {
        return sendJSON(res, 200, aggregatedDiscovery(legacy, agg), { 'Content-Type': aggregatedContentType(agg) });
      }
      return sendJSON(res, 200, legacy ? apiVersions(host) : apiGroupList());
    }
    if (version === undefined) {
      const g = apiGroup(group);
      if (!g) throw new NotFoundError({ resource: '', group: '', name: group });
      return sendJSON(res, 200, g);
    }
    const list = apiResourceList(group, version);
    if (!list) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    sendJSON(res, 200, list);
  }

  private nonResource(req: IncomingMessage, res: ServerResponse, path: string): void {
    switch (path) {
      case '/healthz':
      case '/livez':
        return sendText(res, 200, 'ok');
      case '/readyz':
        return this.opts.ready && !this.opts.ready() ? sendText(res, 503, 'not ready') : sendText(res, 200, 'ok');
      case '/version':
        return sendJSON(res, 200, SERVER_VERSION);
      case '/metrics':
        return sendText(res, 200, this.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      case '/openapi/v2': {
        const accept = req.headers.accept ?? '';
        if (accept.includes(OPENAPI_V2_PROTOBUF)) {
          // kubectl asks for v2 (as protobuf only) for kinds missing from /openapi/v3 — i.e.
          // kinds this server does not serve. An empty v2 document (just `swagger: "2.0"`) lets
          // it go on and report the unknown kind as Kubernetes clients do.
          res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': EMPTY_OPENAPI_V2_PROTOBUF.length });
          res.end(EMPTY_OPENAPI_V2_PROTOBUF);
          return;
        }
        if (accept && !accept.includes('json') && !accept.includes('*/*')) {
          throw new NotAcceptableError('only application/json and the empty protobuf document are served for /openapi/v2');
        }
        const doc = openapiV2Served();
        return sendJSON(res, 200, doc.body, { ETag: doc.etag });
      }
      case '/openapi/v3':
        return sendJSON(res, 200, openapiV3Index());
      default:
        if (path.startsWith('/openapi/v3/')) {
          const doc = openapiV3Served(path.slice('/openapi/v3/'.length));
          if (doc) return sendJSON(res, 200, doc.body, { ETag: doc.etag });
        }
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
  }
}

function sendText(res: ServerResponse, code: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

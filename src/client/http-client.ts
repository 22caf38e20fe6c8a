// The Client over HTTPS, for components on other machines (and for tests of the real server):
// one keep-alive agent per client, the cluster CA, a bearer token or client certificate.
// Watches read the chunked JSON-lines stream (`{"type":...,"object":...}\n`) and stop through
// AbortSignal. Plain `http://` servers are accepted too (useful behind a local proxy and in tests).
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { ApiError, fromStatus, type Status, type StatusDetails } from '../api/errors.js';
import { isObject, type KubeObject } from '../api/object.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import { createAddress, namespaceFor, objectAddress, requireName, resourcePath } from '../api/address.js';
import type {
  Client,
  DeleteCollectionOptions,
  DeleteOptions,
  ListOptions,
  ListResult,
  PatchOptions,
  PatchType,
  RequestOptions,
  Scale,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  WriteOptions,
} from './client.js';
import { PATCH_CONTENT_TYPES, resourceInfo } from './client.js';
import { loadKubeconfig, type KubeconfigOptions } from './kubeconfig.js';

/** Default bound on a non-watch request (idle socket time), as kubectl's default is unbounded but controllers need one. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_USER_AGENT = 'skiff/0.1.0 (node)';

export interface HttpClientOptions {
  /** `https://host:port`, optionally with a path prefix */
  readonly server: string;
  readonly caPem?: string;
  readonly token?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** default false */
  readonly insecureSkipTLSVerify?: boolean;
  readonly tlsServerName?: string;
  /** default DEFAULT_USER_AGENT; the server derives the default field manager from it */
  readonly userAgent?: string;
  /** default DEFAULT_REQUEST_TIMEOUT_MS; watches are bounded by their own timeoutSeconds instead */
  readonly requestTimeoutMs?: number;
  /**
   * In-process transport: opens a new connection as an in-memory stream (the API server's
   * connectInProcess). With it, `server` is only a label (use `http://in-process`); no socket, no TLS.
   */
  readonly connect?: () => Duplex;
}

type Query = Record<string, string | number | boolean | undefined>;

interface Response {
  readonly status: number;
  readonly body: string;
}

const WATCH_TYPES: ReadonlySet<string> = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

export class HttpClient implements Client {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly headers: Record<string, string>;
  private readonly requestTimeoutMs: number;
  private readonly servername: string | undefined;

  constructor(opts: HttpClientOptions) {
    this.url = new URL(opts.server);
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:') {
      throw new TypeError(`server must be an https:// (or http://) URL, got "${opts.server}"`);
    }
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.servername = opts.tlsServerName;
    if (this.url.protocol === 'https:') {
      this.transport = https;
      this.agent = new https.Agent({
        keepAlive: true,
        ca: opts.caPem,
        cert: opts.certPem,
        key: opts.keyPem,
        rejectUnauthorized: !opts.insecureSkipTLSVerify,
      });
    } else {
      this.transport = http;
      this.agent = new http.Agent({ keepAlive: true });
      const connect = opts.connect;
      if (connect) {
        // The agent's connection factory, replaced so every connection is an in-memory stream.
        (this.agent as unknown as { createConnection: () => Duplex }).createConnection = () => connect();
      }
    }
    this.headers = {
      Accept: 'application/json',
      'User-Agent': opts.userAgent ?? DEFAULT_USER_AGENT,
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
    };
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** A client for the current (or given) context of a kubeconfig file. */
  static fromKubeconfig(path: string, opts: KubeconfigOptions & Pick<HttpClientOptions, 'userAgent' | 'requestTimeoutMs'> = {}): HttpClient {
    const c = loadKubeconfig(path, opts);
    return new HttpClient({ ...c, userAgent: opts.userAgent, requestTimeoutMs: opts.requestTimeoutMs });
  }

  /** Closes the keep-alive connections (call on shutdown so none keeps the process alive); later calls still work, on new connections. */
  close(): void {
    this.agent.destroy();
  }

  // ---- reads ----

  async get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, opts: RequestOptions = {}): Promise<T> {
    const ns = namespaceFor(info, namespace, requireName(info, name));
    const v = await this.call('GET', resourcePath(info, ns, name), {}, undefined, undefined, opts.signal);
    return withTypeMeta(info, asObject(v, 'GET')) as T;
  }

  async list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult<T>> {
    const ns = namespaceFor(info, namespace, undefined);
    const query: Query = {
      labelSelector: opts.labelSelector || undefined,
      fieldSelector: opts.fieldSelector || undefined,
      limit: opts.limit,
      continue: opts.continue || undefined,
      resourceVersion: opts.resourceVersion || undefined,
      resourceVersionMatch: opts.resourceVersionMatch,
    };
    const v = await this.call('GET', resourcePath(info, ns), query, undefined, undefined, opts.signal);
    if (!isObject(v)) throw new Error(`expected a JSON object in the list response, got ${typeof v}`);
    const meta = isObject(v.metadata) ? v.metadata : {};
    const items = Array.isArray(v.items) ? v.items.map((i) => withTypeMeta(info, asObject(i, 'list item')) as T) : [];
    return {
      items,
      resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
      ...(typeof meta.continue === 'string' && meta.continue ? { continue: meta.continue } : {}),
      ...(typeof meta.remainingItemCount === 'number' ? { remainingItemCount: meta.remainingItemCount } : {}),
    };
  }

  // ---- writes ----

  async create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    const { namespace } = createAddress(info, obj);
    const v = await this.call('POST', resourcePath(info, namespace), writeQuery(opts), JSON.stringify(obj), 'application/json', opts.signal);
    return withTypeMeta(info, asObject(v, 'POST')) as T;
  }

  update<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(info, obj, undefined, opts);
  }

  /**
   * PUT /api/v1/namespaces/NAME/finalize: replaces spec.finalizers of a namespace (nothing else);
   * the server removes a terminating namespace once they are empty. For the namespace controller.
   */
  finalizeNamespace(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return this.put(resourceInfo('', 'v1', 'namespaces'), obj, 'finalize', opts);
  }

  updateStatus<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(info, obj, 'status', opts);
  }

  async patch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    const ns = namespaceFor(info, namespace, requireName(info, name));
    const q = { ...writeQuery(opts), force: opts.force ? true : undefined };
    const v = await this.call('PATCH', resourcePath(info, ns, name, opts.subresource), q, JSON.stringify(body), PATCH_CONTENT_TYPES[type], opts.signal);
    return withTypeMeta(info, asObject(v, 'PATCH')) as T;
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const ns = namespaceFor(info, namespace, requireName(info, name));
    await this.call('DELETE', resourcePath(info, ns, name), {}, JSON.stringify(deleteBody(opts)), 'application/json', opts.signal);
  }

  async deleteCollection(info: ResourceInfo, namespace: string | undefined, opts: DeleteCollectionOptions = {}): Promise<void> {
    const ns = namespaceFor(info, namespace, undefined);
    const q = { labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined };
    await this.call('DELETE', resourcePath(info, ns), q, JSON.stringify(deleteBody(opts)), 'application/json', opts.signal);
  }

  // ---- subresources ----

  async bind(namespace: string, pod: string, node: string, opts: WriteOptions = {}): Promise<void> {
    if (!namespace) throw new TypeError(`an empty namespace may not be set when a resource name is provided (pods "${pod}")`);
    const body = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod, namespace },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    };
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/binding`;
    await this.call('POST', path, writeQuery(opts), JSON.stringify(body), 'application/json', opts.signal);
  }

  async getScale(info: ResourceInfo, namespace: string | undefined, name: string, opts: RequestOptions = {}): Promise<Scale> {
    const ns = namespaceFor(info, namespace, requireName(info, name));
    return asScale(await this.call('GET', resourcePath(info, ns, name, 'scale'), {}, undefined, undefined, opts.signal));
  }

  async updateScale(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    replicas: number,
    opts: WriteOptions & { readonly resourceVersion?: string } = {},
  ): Promise<Scale> {
    const ns = namespaceFor(info, namespace, requireName(info, name));
    const body: Scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, ...(ns ? { namespace: ns } : {}), ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}) },
      spec: { replicas },
      status: { replicas: 0 },
    };
    return asScale(await this.call('PUT', resourcePath(info, ns, name, 'scale'), writeQuery(opts), JSON.stringify(body), 'application/json', opts.signal));
  }

  // ---- watch ----

  watch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const ns = namespaceFor(info, namespace, undefined);
    const q: Query = {
      watch: true,
      resourceVersion: opts.resourceVersion || undefined,
      labelSelector: opts.labelSelector || undefined,
      fieldSelector: opts.fieldSelector || undefined,
      allowWatchBookmarks: opts.allowWatchBookmarks ? true : undefined,
      timeoutSeconds: opts.timeoutSeconds,
      sendInitialEvents: opts.sendInitialEvents ? true : undefined,
      resourceVersionMatch: opts.sendInitialEvents ? 'NotOlderThan' : undefined,
    };
    const target = this.target('GET', resourcePath(info, ns), q);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return resolve();
      let finished = false;
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        if (err === undefined || signal?.aborted) resolve();
        else reject(err);
      };
      const onAbort = () => finish();
      const req = this.transport.request({ ...target, headers: this.headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          void readAll(res).then(
            (body) => finish(errorFromResponse(status, body)),
            (e: unknown) => finish(transportError('GET', target.path, e)),
          );
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while (!finished && (nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            try {
              const ev = parseWatchLine(line);
              if (ev instanceof ApiError) return finish(ev);
              onEvent({ type: ev.type, object: withTypeMeta(info, ev.object) as T });
            } catch (e) {
              return finish(e);
            }
          }
        });
        res.on('end', () => finish());
        res.on('error', (e) => finish(transportError('GET', target.path, e)));
        res.on('aborted', () => finish(transportError('GET', target.path, new Error('watch stream aborted by the server'))));
      });
      req.on('error', (e) => finish(transportError('GET', target.path, e)));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }

  // ---- transport ----

  private async put<T extends KubeObject>(info: ResourceInfo, obj: T, subresource: string | undefined, opts: WriteOptions): Promise<T> {
    const { namespace, name } = objectAddress(info, obj);
    const v = await this.call('PUT', resourcePath(info, namespace, name, subresource), writeQuery(opts), JSON.stringify(obj), 'application/json', opts.signal);
    return withTypeMeta(info, asObject(v, 'PUT')) as T;
  }

  private target(method: string, path: string, query: Query): http.RequestOptions {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const s = qs.toString();
    return {
      method,
      protocol: this.url.protocol,
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port || undefined,
      path: `${this.basePath}${path}${s ? `?${s}` : ''}`,
      agent: this.agent,
      ...(this.servername ? { servername: this.servername } : {}),
    };
  }

  /** One request; resolves with the decoded JSON body, rejects with an ApiError for any non-2xx status. */
  private async call(method: string, path: string, query: Query, body: string | undefined, contentType: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const res = await this.send(method, path, query, body, contentType, signal);
    if (res.status < 200 || res.status > 299) throw errorFromResponse(res.status, res.body);
    try {
      return JSON.parse(res.body) as unknown;
    } catch (e) {
      throw new Error(`${method} ${path}: the server sent a response that is not JSON (${res.status}): ${res.body.slice(0, 200)}`, { cause: e });
    }
  }

  private send(method: string, path: string, query: Query, body: string | undefined, contentType: string | undefined, signal: AbortSignal | undefined): Promise<Response> {
    const target = this.target(method, path, query);
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return new Promise<Response>((resolve, reject) => {
      const req = this.transport.request({ ...target, headers, signal }, (res) => {
        readAll(res).then((text) => resolve({ status: res.statusCode ?? 0, body: text }), (e: unknown) => reject(transportError(method, target.path, e)));
      });
      req.setTimeout(this.requestTimeoutMs, () => req.destroy(new Error(`no response within ${this.requestTimeoutMs}ms`)));
      req.on('error', (e) => reject(isAbortError(e) ? e : transportError(method, target.path, e)));
      req.end(body);
    });
  }
}

function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

function transportError(method: string, path: string | null | undefined, e: unknown): Error {
  if (isAbortError(e) || e instanceof ApiError) return e as Error;
  return new Error(`${method} ${path ?? ''}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

function writeQuery(opts: WriteOptions): Query {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager };
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> {
  return {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
    ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    ...(opts.dryRun ? { dryRun: ['All'] } : {}),
  };
}

/** Kubernetes' reason for a bare HTTP status, used when the body is not a Status (as client-go does). */
export function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 413:
      return 'RequestEntityTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'InternalError' : 'Unknown';
  }
}

/** A Status from the wire (loosely checked: unknown fields are dropped, wrong types ignored). */
export function statusFromWire(v: unknown): Partial<Status> | undefined {
  if (!isObject(v) || v.kind !== 'Status') return undefined;
  return {
    ...(typeof v.code === 'number' ? { code: v.code } : {}),
    ...(typeof v.reason === 'string' && v.reason ? { reason: v.reason } : {}),
    ...(typeof v.message === 'string' ? { message: v.message } : {}),
    ...(isObject(v.details) ? { details: v.details as StatusDetails } : {}),
  };
}

/** The ApiError for a non-2xx response: rebuilt from its Status, or from the bare HTTP code. */
export function errorFromResponse(code: number, body: string): ApiError {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    v = undefined;
  }
  const s = statusFromWire(v);
  if (s) return fromStatus({ ...s, code: s.code ?? code, reason: s.reason ?? reasonForCode(s.code ?? code) });
  const text = body.trim().slice(0, 200);
  const message = `the server responded with the status code ${code} but did not return more information${text ? `: ${text}` : ''}`;
  return new ApiError(code, reasonForCode(code), message);
}

/** One line of a watch stream: the event, or the ApiError an ERROR event carries. Throws on malformed input. */
export function parseWatchLine(line: string): { type: WatchEventType; object: KubeObject } | ApiError {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new Error(`watch: expected a JSON event per line, got ${JSON.stringify(line.slice(0, 100))}`, { cause: e });
  }
  if (!isObject(v) || typeof v.type !== 'string' || !isObject(v.object)) {
    throw new Error(`watch: expected {"type":...,"object":{...}}, got ${line.slice(0, 100)}`);
  }
  if (v.type === 'ERROR') {
    const s = statusFromWire(v.object);
    return s ? fromStatus({ ...s, reason: s.reason ?? reasonForCode(s.code ?? 500) }) : new ApiError(500, 'InternalError', `watch: ERROR event without a Status: ${line.slice(0, 200)}`);
  }
  if (!WATCH_TYPES.has(v.type)) throw new Error(`watch: unexpected event type "${v.type}"`);
  return { type: v.type as WatchEventType, object: v.object as KubeObject };
}

function asObject(v: unknown, what: string): KubeObject {
  if (!isObject(v)) throw new Error(`expected a JSON object in the ${what} response, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v as KubeObject;
}

/** Lists and watches may omit apiVersion/kind on items (Kubernetes does): fill them in from `info`. */
function withTypeMeta(info: ResourceInfo, obj: KubeObject): KubeObject {
  if (obj.apiVersion === undefined) obj.apiVersion = groupVersion(info);
  if (obj.kind === undefined) obj.kind = info.kind;
  return obj;
}

function asScale(v: unknown): Scale {
  const o = asObject(v, 'scale');
  const spec = isObject(o.spec) ? o.spec : {};
  const status = isObject(o.status) ? o.status : {};
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: o.metadata ?? {},
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      ...(typeof status.selector === 'string' ? { selector: status.selector } : {}),
    },
  };
}

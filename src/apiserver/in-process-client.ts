// The in-process client: what components inside `skiff server` (controllers, scheduler,
// simulated kubelets) use to talk to this API server. It has the shape of client/'s `Client`
// (the cli hands it out as one; the client contract suite runs against it) but calls the
// resource handler's operations directly: no HTTP framing, no request body encode/decode, and a
// watch is a registry watch whose events are parsed from the cached response bytes of each
// revision (one JSON.parse per watcher, no stream framing). Semantics are the HTTP API's:
// the same registry, admission, field validation, managedFields, errors (rebuilt from their
// Status, as a remote client sees them), metrics, and the `system:apiserver` identity.
// Verbs off the hot path (delete, deleteCollection, scale, namespace finalize) go through the
// in-memory HTTP connection of `fallback`, which has the same semantics by construction.
//
// Contract (as client/client.ts): objects passed in are never mutated; returned objects (and
// watch event objects) belong to the caller; programming errors are TypeErrors thrown before
// any work; ApiErrors for refusals; an aborted signal rejects with AbortError (watch: resolves).
import { namespaceFor, objectAddress, createAddress, requireName } from '../api/address.js';
import { ApiError, BadRequestError, InternalError, fromStatus } from '../api/errors.js';
import { isObject, type KubeObject, type ObjectMeta } from '../api/object.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import type { Entry, GenericRegistry, WatchEventKind } from '../registry/generic-registry.js';
import { parseRV } from '../registry/generic-registry.js';
import type { BodyText, FieldValidation, RegistryLookup, ResourceHandler, WriteParams } from './resource-handler.js';
import { notFoundPath } from './resource-handler.js';

// The option and result shapes of client/client.ts (structurally the same; apiserver may not import client/).
interface RequestOptions {
  readonly signal?: AbortSignal;
}
interface WriteOptions extends RequestOptions {
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
}
interface ListOptions extends RequestOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  readonly readOnly?: boolean;
}
interface ListResult<T> {
  readonly items: T[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}
type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
interface PatchOptions extends WriteOptions {
  readonly subresource?: 'status';
  readonly force?: boolean;
}
interface WatchOptions {
  readonly resourceVersion?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
  readonly sendInitialEvents?: boolean;
  readonly readOnly?: boolean;
}
type WatchEventType = WatchEventKind | 'BOOKMARK';
interface WatchEvent<T> {
  readonly type: WatchEventType;
  readonly object: T;
}
/** A watch event of watchJSON: the object's JSON text and, except for bookmarks, its store revision. */
export interface JSONWatchEvent extends WatchEvent<string> {
  readonly revision?: number;
}
interface ScaleObject {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: ObjectMeta;
  spec: { replicas: number };
  status: { replicas: number; selector?: string };
}

/** The calls that go through the in-memory HTTP connection (an HttpClient in practice). */
export interface FallbackClient {
  delete(info: ResourceInfo, namespace: string | undefined, name: string, opts?: object): Promise<void>;
  deleteCollection(info: ResourceInfo, namespace: string | undefined, opts?: object): Promise<void>;
  getScale(info: ResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<ScaleObject>;
  updateScale(info: ResourceInfo, namespace: string | undefined, name: string, replicas: number, opts?: WriteOptions & { readonly resourceVersion?: string }): Promise<ScaleObject>;
  finalizeNamespace(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  close(): void;
}

/** What the API server lends its in-process clients. */
export interface InProcessServer {
  readonly registries: RegistryLookup;
  readonly handler: ResourceHandler;
  /** records one finished request (verb, resource[/subresource], HTTP code, seconds) */
  observe(verb: string, resource: string, code: number, seconds: number): void;
  /** true once the server is stopping: new calls fail with 503, as HTTP requests do */
  stopping(): boolean;
  /** watches register here so that stopping the server ends them; the returned function unregisters */
  trackWatch(end: () => void): () => void;
  readonly bookmarkIntervalMs: number;
  /** the frozen object of an entry, one per stored revision, shared by every readOnly list and watch */
  shared<T>(entry: Entry): T;
  /** logs internal errors (non-ApiErrors), as the HTTP path does */
  readonly log?: (line: string) => void;
}

const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The default fieldValidation of a request without the parameter. */
const VALIDATION: FieldValidation = 'Warn';

export class InProcessClient {
  private readonly manager: string;

  constructor(
    private readonly server: InProcessServer,
    private readonly fallback: FallbackClient,
    /** as a User-Agent: its program name is the default field manager */
    private readonly userAgent: string,
    /** get and write results as their JSON text instead of parsed objects; see withJSONResults() */
    private readonly resultsAsJSON = false,
    /** objects given to create, update and updateStatus are handed over; see takingWrittenObjects() */
    private readonly handedOver = false,
  ) {
    this.manager = userAgent.split('/')[0] || 'unknown';
  }

  /**
   * The same client, except that get, create, update, updateStatus and patch resolve to the
   * object's JSON text (a string where the types say object): for relaying results to another
   * thread, which parses them there, instead of parsing here and copying the object across.
   */
  withJSONResults(): InProcessClient {
    return new InProcessClient(this.server, this.fallback, this.userAgent, true, this.handedOver);
  }

  /**
   * The same client, except that the objects given to create, update and updateStatus are handed
   * over: plain JSON values made for that one call (parsed from another thread's JSON text), which
   * the registry keeps and changes instead of copying them. Never for callers that keep or share
   * the objects they write (informer objects are frozen and shared).
   */
  takingWrittenObjects(): InProcessClient {
    return new InProcessClient(this.server, this.fallback, this.userAgent, this.resultsAsJSON, true);
  }

  private result<T>(json: string): T {
    return this.resultsAsJSON ? (json as T) : parse<T>(json);
  }

  /** Closes the fallback's connections; later calls still work. */
  close(): void {
    this.fallback.close();
  }

  // ---- reads ----

  async get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, opts: RequestOptions = {}): Promise<T> {
    const ns = namespaceFor(info, namespace, requireName(info, name));
    return this.call('get', info, undefined, opts.signal, async (reg) => this.result<T>((await reg.get(ns, name)).json));
  }

  async list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult<T>> {
    const ns = namespaceFor(info, namespace, undefined);
    return this.call('list', info, undefined, opts.signal, async (reg) => {
      if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) throw new BadRequestError(`invalid limit: ${opts.limit}`);
      const r = await reg.list(ns, {
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
        limit: opts.limit,
        continue: opts.continue || undefined,
        resourceVersion: opts.resourceVersion || undefined,
        resourceVersionMatch: opts.resourceVersionMatch,
      });
      return {
        items: r.items.map((e) => (opts.readOnly ? this.server.shared<T>(e) : parse<T>(e.json))),
        resourceVersion: r.resourceVersion,
        ...(r.continue ? { continue: r.continue } : {}),
        ...(r.remainingItemCount !== undefined ? { remainingItemCount: r.remainingItemCount } : {}),
      };
    });
  }

  // ---- writes ----

  async create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    const { namespace } = createAddress(info, obj);
    return this.call('create', info, undefined, opts.signal, async (reg) => {
      const { entry } = await this.server.handler.createObject(reg, namespace, obj as Record<string, unknown>, this.params(opts));
      return this.result<T>(entry.json);
    });
  }

  async update<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(info, obj, undefined, opts);
  }

  async updateStatus<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(info, obj, 'status', opts);
  }

  async patch<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, body: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    const ns = namespaceFor(info, namespace, requireName(info, name));
    const text = JSON.stringify(body);
    return this.call('patch', info, opts.subresource, opts.signal, async (reg) => {
      const isApply = type === 'apply';
      const { entry } = await this.server.handler.patchObject(reg, ns, name, text, PATCH_CONTENT_TYPES[type], {
        ...this.params(opts),
        fieldManager: opts.fieldManager || (isApply ? '' : this.manager),
        force: Boolean(opts.force),
        subresource: opts.subresource,
      });
      return this.result<T>(entry.json);
    });
  }

  delete(info: ResourceInfo, namespace: string | undefined, name: string, opts?: object): Promise<void> {
    return this.fallback.delete(info, namespace, name, opts);
  }

  deleteCollection(info: ResourceInfo, namespace: string | undefined, opts?: object): Promise<void> {
    return this.fallback.deleteCollection(info, namespace, opts);
  }

  /** PUT /api/v1/namespaces/NAME/finalize (see HttpClient.finalizeNamespace). */
  finalizeNamespace(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    return this.fallback.finalizeNamespace(obj, opts);
  }

  async bind(namespace: string, pod: string, node: string, opts: WriteOptions = {}): Promise<void> {
    if (!namespace) throw new TypeError(`an empty namespace may not be set when a resource name is provided (pods "${pod}")`);
    const info = this.server.registries.get('', 'v1', 'pods')!.info;
    const body = { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node } };
    return this.call('create', info, 'binding', opts.signal, (reg) => this.server.handler.bindPod(reg, namespace, pod, body, this.params(opts)));
  }

  getScale(info: ResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<ScaleObject> {
    return this.fallback.getScale(info, namespace, name, opts);
  }

  updateScale(info: ResourceInfo, namespace: string | undefined, name: string, replicas: number, opts?: WriteOptions & { readonly resourceVersion?: string }): Promise<ScaleObject> {
    return this.fallback.updateScale(info, namespace, name, replicas, opts);
  }

  // ---- watch ----

  async watch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.observedWatch(info, namespace, signal, (ns) => this.watchStream<T>(info, ns, opts, onEvent, signal, false));
  }

  /**
   * As watch, but each event's object is the JSON text the HTTP API sends for it (bookmarks
   * included), with its store revision, nothing parsed: for relaying events to another thread,
   * which parses them there (once per revision however many watches see it).
   */
  async watchJSON(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions, onEvent: (event: JSONWatchEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.observedWatch(info, namespace, signal, (ns) => this.watchStream<string>(info, ns, opts, onEvent, signal, true));
  }

  private observedWatch(info: ResourceInfo, namespace: string | undefined, signal: AbortSignal | undefined, stream: (ns: string | undefined) => Promise<void>): Promise<void> {
    const ns = namespaceFor(info, namespace, undefined);
    if (signal?.aborted) return Promise.resolve();
    const started = process.hrtime.bigint();
    let code = 200;
    return stream(ns)
      .catch((e: unknown) => {
        const err = this.asWireError(e);
        code = err.code;
        throw err;
      })
      .finally(() => this.server.observe('watch', info.plural, code, Number(process.hrtime.bigint() - started) / 1e9));
  }

  private async watchStream<T>(
    info: ResourceInfo,
    ns: string | undefined,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal | undefined,
    asJSON: boolean,
  ): Promise<void> {
    const reg = this.registry(info, undefined);
    const { labelSelector, fieldSelector } = { labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined };
    if (opts.timeoutSeconds !== undefined && (!Number.isFinite(opts.timeoutSeconds) || opts.timeoutSeconds < 0)) throw new BadRequestError(`invalid timeoutSeconds: ${opts.timeoutSeconds}`);
    const rv = opts.resourceVersion ?? '';
    const sendInitial = Boolean(opts.sendInitialEvents);
    // JSON mode: the text and its store revision (which names it: one revision, one object version)
    const event = (type: WatchEventKind, e: Entry): WatchEvent<T> =>
      asJSON ? ({ type, object: e.json, revision: e.kv.modRevision } as JSONWatchEvent as WatchEvent<T>) : { type, object: opts.readOnly ? this.server.shared<T>(e) : parse<T>(e.json) };
    let initial: Entry[] = [];
    let after: number;
    if (rv === '' || rv === '0' || sendInitial) {
      const list = await reg.list(ns, { labelSelector, fieldSelector });
      initial = list.items;
      after = Number(list.resourceVersion);
    } else {
      after = parseRV(rv);
    }
    if (signal?.aborted) return;
    const timeoutMs = opts.timeoutSeconds !== undefined ? opts.timeoutSeconds * 1000 : 30 * 60_000 * (1 + Math.random());
    const bookmark = (at: number): WatchEvent<T> => {
      const object = { kind: reg.info.kind, apiVersion: groupVersion(reg.info), metadata: { resourceVersion: String(at), ...(sendInitial ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}) } };
      return { type: 'BOOKMARK', object: (asJSON ? JSON.stringify(object) : object) as T };
    };

    await new Promise<void>((resolve, reject) => {
      let done = false;
      let lastRV = after;
      // Events arrive synchronously from the store's commit; they are handed on in a microtask, in order.
      let queue: WatchEvent<T>[] = [];
      let handle: { cancel(): void } | undefined;
      let timeout: NodeJS.Timeout | undefined;
      let ticker: NodeJS.Timeout | undefined;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        handle?.cancel();
        clearTimeout(timeout);
        clearTimeout(ticker);
        untrack();
        signal?.removeEventListener('abort', onAbort);
        queue = [];
        if (err === undefined || signal?.aborted) resolve();
        else reject(err);
      };
      const onAbort = () => finish();
      const untrack = this.server.trackWatch(() => finish());
      const deliver = () => {
        const batch = queue;
        queue = [];
        for (const ev of batch) {
          if (done) return;
          try {
            onEvent(ev);
          } catch (e) {
            return finish(e);
          }
        }
      };
      const push = (ev: WatchEvent<T>) => {
        if (queue.push(ev) === 1) queueMicrotask(deliver);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      for (const e of initial) push(event('ADDED', e));
      if (sendInitial && opts.allowWatchBookmarks) push(bookmark(after));
      try {
        handle = reg.watch(ns, { labelSelector, fieldSelector, afterRevision: after }, (type, entry) => {
          if (done) return;
          lastRV = entry.kv.modRevision;
          push(event(type, entry));
        });
      } catch (e) {
        return finish(e);
      }
      timeout = setTimeout(finish, timeoutMs);
      if (opts.allowWatchBookmarks) {
        const tick = () => {
          if (done) return;
          push(bookmark(Math.max(lastRV, after)));
          ticker = setTimeout(tick, this.server.bookmarkIntervalMs);
        };
        ticker = setTimeout(tick, this.server.bookmarkIntervalMs);
      }
    });
  }

  // ---- helpers ----

  private async put<T extends KubeObject>(info: ResourceInfo, obj: T, subresource: 'status' | undefined, opts: WriteOptions): Promise<T> {
    const { namespace, name } = objectAddress(info, obj);
    return this.call('update', info, subresource, opts.signal, async (reg) => {
      const { entry } = await this.server.handler.updateObject(reg, namespace, name, obj as Record<string, unknown>, subresource, this.params(opts));
      return this.result<T>(entry.json);
    });
  }

  private params(opts: WriteOptions): WriteParams & BodyText {
    const m = opts.fieldManager;
    if (m && m.length > 128) throw new BadRequestError('fieldManager: Too long: may not be longer than 128');
    return { dryRun: Boolean(opts.dryRun), fieldManager: m || this.manager, validation: VALIDATION, owned: this.handedOver };
  }

  private registry(info: ResourceInfo, subresource: string | undefined): GenericRegistry {
    const reg = this.server.registries.get(info.group, info.version, info.plural);
    if (!reg || (subresource && !reg.info.subresources.includes(subresource))) throw notFoundPath();
    return reg;
  }

  /** One request: 503 while stopping, the registry looked up, errors as a remote client gets them, metrics. */
  private async call<R>(verb: string, info: ResourceInfo, subresource: string | undefined, signal: AbortSignal | undefined, f: (reg: GenericRegistry) => Promise<R>): Promise<R> {
    if (signal?.aborted) throw abortError(signal);
    const started = process.hrtime.bigint();
    let code = 200;
    try {
      if (this.server.stopping()) throw new ApiError(503, 'ServiceUnavailable', 'the server is shutting down');
      return await f(this.registry(info, subresource));
    } catch (e) {
      const err = this.asWireError(e);
      code = err.code;
      throw err;
    } finally {
      this.server.observe(verb, subresource ? `${info.plural}/${subresource}` : info.plural, code, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** The error a remote client would get: the ApiError rebuilt from its Status; anything else is a logged 500. */
  private asWireError(e: unknown): ApiError {
    if (e instanceof ApiError) return fromStatus(e.toStatus());
    this.server.log?.(`apiserver: internal error in an in-process call: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return fromStatus(new InternalError(e instanceof Error ? e.message : String(e)).toStatus());
  }
}

export function parse<T>(json: string): T {
  const o: unknown = JSON.parse(json);
  if (!isObject(o)) throw new InternalError(`expected a JSON object, got ${typeof o}`);
  return o as T;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

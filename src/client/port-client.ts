// Clients over a MessagePort: components in a worker thread (the control loops of `skiff server`)
// reach the API server of the main thread through it, where `serveClients` runs each call on a
// real client (the in-process one) of the caller's user agent. One port carries every component
// of the thread. No sockets, no HTTP framing: the object a create, update or updateStatus writes
// crosses as its JSON text (as over HTTP: undefined members dropped; JSON.parse on the API side
// costs about half of a structured clone's deserialization), other arguments as structured
// clones; the calls of one tick go out as one message (each message costs the receiving thread a
// wake-up and an event dispatch); watch events
// as the API's JSON text when the host client offers it (`watchJSON`, as the in-process client
// does), each object version (store revision) once per batch however many watches get it, and
// results as JSON text when the host client answers with text (`withJSONResults()`), else as
// structured clones; the host posts one batch per tick. This side parses each event once for all readOnly watchers of
// the thread, which share the frozen object (as in-process informers do). With
// stripManagedFields, the host cuts managedFields out of those watches' texts
// (api/managed-fields-text.ts) so that they are not parsed at all.
//
// Contract: the Client contract (client.ts). Errors keep their kind across the port: ApiErrors are
// rebuilt from their Status, TypeErrors stay TypeErrors, an abort rejects with an AbortError (a
// watch resolves), anything else is a plain Error with the original message. When the port closes
// (the other side went away), pending calls and watches reject with a plain Error.
// Watch events of one watch arrive in order.
import type { MessagePort } from 'node:worker_threads';
import { deepFreeze } from '../api/deep-freeze.js';
import { ApiError, fromStatus, type Status } from '../api/errors.js';
import { withoutManagedFieldsText } from '../api/managed-fields-text.js';
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';
import type {
  Client,
  DeleteCollectionOptions,
  ResultlessCreator,
  DeleteOptions,
  ListOptions,
  ListResult,
  PatchOptions,
  PatchType,
  RequestOptions,
  Scale,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './client.js';

/** The Client methods that are plain request → result calls (watch has its own message flow). */
type CallMethod = Exclude<keyof Client, 'watch'> | 'finalizeNamespace';

/** An error as it crosses the port. */
type WireError = { readonly kind: 'api'; readonly status: Status } | { readonly kind: 'type' | 'abort' | 'error'; readonly message: string };

/** A call; `body` (when set) is the JSON text of the object argument at index `at` (whose slot in `args` is null). */
type ToHost =
  | {
      readonly t: 'call';
      readonly id: number;
      readonly ua: string;
      readonly method: CallMethod;
      readonly args: readonly unknown[];
      readonly body?: { readonly at: number; readonly json: string };
      /** the caller ignores the result: the host answers success with null */
      readonly discard?: boolean;
      /** the result is wanted without metadata.managedFields: the host cuts them out of a JSON text result it can */
      readonly strip?: boolean;
    }
  | {
      readonly t: 'watch';
      readonly id: number;
      readonly ua: string;
      readonly args: readonly [ResourceInfo, string | undefined, WatchOptions];
      /** the events' objects are wanted without metadata.managedFields: the host cuts them out of the JSON texts it can */
      readonly strip?: boolean;
    }
  | { readonly t: 'cancel'; readonly id: number };

/** What the worker side posts: the calls, watches and cancels of one tick, in order. */
type ToHostBatch = readonly ToHost[];

/** The index of the object argument each method sends as JSON text. */
const BODY_ARG: Partial<Record<CallMethod, number>> = { create: 1, update: 1, updateStatus: 1, finalizeNamespace: 0 };

/** One item of a batch; `json-events` hold [type, index into the batch's texts]. */
type FromHost =
  | { readonly t: 'result'; readonly id: number; readonly value: unknown }
  | { readonly t: 'error'; readonly id: number; readonly error: WireError }
  | { readonly t: 'events'; readonly id: number; readonly events: readonly WatchEvent[] }
  | { readonly t: 'json-events'; readonly id: number; readonly events: readonly (readonly [WatchEvent['type'], number])[] }
  | { readonly t: 'json-result'; readonly id: number; readonly json: string };

interface Batch {
  readonly items: readonly FromHost[];
  /** JSON texts of watch events, each distinct object version once */
  readonly texts: readonly string[];
  /** the store revision of each text (0: none, a bookmark) */
  readonly revisions: readonly number[];
}

/**
 * A host client that can hand on watch events as JSON text with the store revision that names
 * the object version (the in-process client). Such a client may also resolve get and write
 * calls to JSON text (a string instead of an object), which the port passes on as text.
 */
export interface JSONWatcher {
  watchJSON(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (event: { readonly type: WatchEvent['type']; readonly object: string; readonly revision?: number }) => void,
    signal?: AbortSignal,
  ): Promise<void>;
}

/** `PUT /api/v1/namespaces/NAME/finalize`, which the namespace controller uses when a client offers it. */
interface NamespaceFinalizer {
  finalizeNamespace(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** watches only */
  onEvent?(event: WatchEvent): void;
}

const CALLS: ReadonlySet<string> = new Set<CallMethod>(['get', 'list', 'create', 'update', 'updateStatus', 'patch', 'delete', 'deleteCollection', 'bind', 'getScale', 'updateScale', 'finalizeNamespace']);

/** Parsed readOnly watch objects by store revision kept per connection, shared by its watchers (bounded: recent events only). */
const SHARED_CACHE_SIZE = 512;

/** `o` without metadata.managedFields (metadata replaced by a copy: a delete would put the object in V8's slow dictionary mode). */
function withoutManagedFields(o: KubeObject): KubeObject {
  const meta = o.metadata;
  if (meta && 'managedFields' in meta) {
    const { managedFields: _dropped, ...rest } = meta;
    o.metadata = rest;
  }
  return o;
}

/** A call's result without managedFields: an object's, or each item's of a list. */
function withoutManagedFieldsIn(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const items = (v as { items?: unknown }).items;
  if ('metadata' in v) return withoutManagedFields(v as KubeObject);
  // a ListResult (items, resourceVersion, continue: no metadata of its own)
  if (Array.isArray(items)) return { ...v, items: items.map((o: unknown) => withoutManagedFieldsIn(o)) };
  return v;
}

export interface PortConnectionOptions {
  /**
   * Drop metadata.managedFields from the objects of readOnly watches (the shared, frozen ones
   * informers cache), as kube-scheduler's and kube-controller-manager's informers do (their
   * transform "dropping .metadata.managedFields to improve memory usage"), and from the results
   * of calls (objects, and a list's items): for components that never read them (the control
   * loops), which then neither parse them nor keep them. An update sent from such a copy keeps
   * the stored managedFields (a request without them keeps the live object's). Default false.
   */
  readonly stripManagedFields?: boolean;
}

/** `opts` without its AbortSignal (which cannot cross a port; cancellation is a message of its own). */
function withoutSignal<O extends { readonly signal?: AbortSignal }>(opts: O | undefined): Omit<O, 'signal'> | undefined {
  if (!opts) return undefined;
  const { signal: _signal, ...rest } = opts;
  return rest;
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}

function toWire(e: unknown): WireError {
  if (e instanceof ApiError) return { kind: 'api', status: e.toStatus() };
  if (e instanceof TypeError) return { kind: 'type', message: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { kind: 'abort', message: e.message };
  return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
}

function fromWire(w: WireError): Error {
  if (w.kind === 'api') return fromStatus(w.status);
  if (w.kind === 'type') return new TypeError(w.message);
  if (w.kind === 'abort') return abortError();
  return new Error(w.message);
}

/**
 * The worker side of a port: what its PortClients share (the port, calls and watches in flight).
 * Owns the port: close() closes it.
 */
export class PortConnection {
  private readonly pending = new Map<number, Pending & { readonly readOnly?: boolean }>();
  private nextId = 1;
  private closed = false;
  /** messages of this tick, posted together in a microtask */
  private outbox: ToHost[] = [];
  private readonly sharedObjects = new Map<number, KubeObject>();
  private readonly stripManagedFields: boolean;

  constructor(
    private readonly port: MessagePort,
    opts: PortConnectionOptions = {},
  ) {
    this.stripManagedFields = opts.stripManagedFields === true;
    port.on('message', (m: Batch) => this.receive(m));
    port.on('close', () => this.fail(new Error('client port closed: the API server side went away')));
  }

  /** A client whose calls the host runs with its client for `userAgent`. */
  client(userAgent: string): PortClient {
    return new PortClient(this, userAgent);
  }

  /** Closes the port; pending calls and watches reject. Idempotent. */
  close(): void {
    this.port.close();
    this.fail(new Error('client port closed'));
  }

  /** @internal PortClient's way to make a call. */
  call(ua: string, method: CallMethod, args: readonly unknown[], signal: AbortSignal | undefined, discard = false): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(abortError());
    const id = this.nextId++;
    const flags = { ...(discard ? { discard } : {}), ...(this.stripManagedFields ? { strip: true } : {}) };
    let message: ToHost = { t: 'call', id, ua, method, args, ...flags };
    const at = BODY_ARG[method];
    if (at !== undefined && typeof args[at] === 'object' && args[at] !== null) {
      let json: string;
      try {
        json = JSON.stringify(args[at]);
      } catch (e) {
        // what JSON cannot hold (a BigInt, a cycle) fails the call, as an HTTP client's encode would
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      message = { t: 'call', id, ua, method, args: args.map((a, i) => (i === at ? null : a)), body: { at, json }, ...flags };
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.cancel(id);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, { resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) });
      this.send(message);
    });
  }

  /** @internal PortClient's way to watch. */
  watch(ua: string, args: readonly [ResourceInfo, string | undefined, WatchOptions], onEvent: (event: WatchEvent) => void, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.cancel(id);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        readOnly: args[2].readOnly === true,
        resolve: () => (done(), resolve()),
        reject: (e) => (done(), e.name === 'AbortError' ? resolve() : reject(e)),
        onEvent: (ev) => {
          try {
            onEvent(ev);
          } catch (e) {
            // as with every client: a throwing handler ends the watch with its error
            this.cancel(id);
            done();
            reject(e);
          }
        },
      });
      this.send({ t: 'watch', id, ua, args, ...(args[2].readOnly === true && this.stripManagedFields ? { strip: true } : {}) });
    });
  }

  /** Forgets a call or watch (later messages about it are ignored) and tells the host. */
  private cancel(id: number): void {
    this.pending.delete(id);
    if (!this.closed) this.post({ t: 'cancel', id });
  }

  private send(m: ToHost): void {
    if (!this.closed) return this.post(m);
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    p?.reject(new Error('client port closed'));
  }

  /** Queues `m` for this tick's message. */
  private post(m: ToHost): void {
    if (this.outbox.push(m) === 1) queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    const batch: ToHostBatch = this.outbox;
    this.outbox = [];
    if (this.closed) return this.failUnsent(batch, new Error('client port closed'));
    try {
      this.port.postMessage(batch);
    } catch (e) {
      // an argument that cannot be cloned: each call of the batch fails with the error
      this.failUnsent(batch, e instanceof Error ? e : new Error(String(e)));
    }
  };

  /** Rejects the calls and watches of a batch that could not be posted. */
  private failUnsent(batch: ToHostBatch, err: Error): void {
    for (const m of batch) {
      if (m.t === 'cancel') continue;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.reject(err);
    }
  }

  private receive(batch: Batch): void {
    for (const m of batch.items) {
      const p = this.pending.get(m.id);
      if (!p) continue; // cancelled here: what the host still sent about it is moot
      try {
        this.deliver(m, p, batch);
      } catch (e) {
        // A text that does not parse fails its call or ends its watch, not the whole thread (a
        // watch handler's own errors are caught where it is called, in watch()).
        if (m.t === 'events' || m.t === 'json-events') this.cancel(m.id);
        else this.pending.delete(m.id);
        p.reject(new Error(`client port: could not read the API's answer: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      }
    }
  }

  /** Hands one item of a batch to its call or watch. */
  private deliver(m: FromHost, p: Pending & { readonly readOnly?: boolean }, batch: Batch): void {
    if (m.t === 'events') {
      const strip = p.readOnly && this.stripManagedFields;
      for (const ev of m.events) if (this.pending.has(m.id)) p.onEvent?.(strip ? { type: ev.type, object: withoutManagedFields(ev.object) } : ev);
    } else if (m.t === 'json-events') {
      for (const [type, i] of m.events) {
        if (!this.pending.has(m.id)) break;
        const json = batch.texts[i]!;
        p.onEvent?.({ type, object: p.readOnly ? this.sharedObject(batch.revisions[i]!, json) : (JSON.parse(json) as KubeObject) });
      }
    } else if (m.t === 'result') {
      this.pending.delete(m.id);
      p.resolve(this.stripManagedFields ? withoutManagedFieldsIn(m.value) : m.value);
    } else if (m.t === 'json-result') {
      this.pending.delete(m.id);
      const value: unknown = JSON.parse(m.json);
      p.resolve(this.stripManagedFields ? withoutManagedFieldsIn(value) : value);
    } else {
      this.pending.delete(m.id);
      p.reject(fromWire(m.error));
    }
  }

  /** The parsed, frozen object of a readOnly watch event: one per store revision for all watchers of this connection. */
  private sharedObject(revision: number, json: string): KubeObject {
    const parse = () => deepFreeze(this.stripManagedFields ? withoutManagedFields(JSON.parse(json) as KubeObject) : (JSON.parse(json) as KubeObject));
    if (!revision) return parse();
    let o = this.sharedObjects.get(revision);
    if (!o) {
      o = parse();
      if (this.sharedObjects.size >= SHARED_CACHE_SIZE) this.sharedObjects.delete(this.sharedObjects.keys().next().value!);
      this.sharedObjects.set(revision, o);
    }
    return o;
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}

/** A Client of one component (user agent) over a PortConnection. */
export class PortClient implements Client, NamespaceFinalizer, ResultlessCreator {
  constructor(
    private readonly conn: PortConnection,
    private readonly userAgent: string,
  ) {}

  get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<T> {
    return this.call('get', [info, namespace, name, withoutSignal(opts)], opts?.signal) as Promise<T>;
  }

  list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts?: ListOptions): Promise<ListResult<T>> {
    return this.call('list', [info, namespace, withoutSignal(opts)], opts?.signal) as Promise<ListResult<T>>;
  }

  create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T> {
    return this.call('create', [info, obj, withoutSignal(opts)], opts?.signal) as Promise<T>;
  }

  /** As create, without the created object crossing back (the host answers success with null). */
  async createWithoutResult(info: ResourceInfo, obj: KubeObject, opts?: WriteOptions): Promise<void> {
    await this.conn.call(this.userAgent, 'create', [info, obj, withoutSignal(opts)], opts?.signal, true);
  }

  update<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T> {
    return this.call('update', [info, obj, withoutSignal(opts)], opts?.signal) as Promise<T>;
  }

  updateStatus<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T> {
    return this.call('updateStatus', [info, obj, withoutSignal(opts)], opts?.signal) as Promise<T>;
  }

  patch<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, body: unknown, type: PatchType, opts?: PatchOptions): Promise<T> {
    return this.call('patch', [info, namespace, name, body, type, withoutSignal(opts)], opts?.signal) as Promise<T>;
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void> {
    await this.call('delete', [info, namespace, name, withoutSignal(opts)], opts?.signal);
  }

  async deleteCollection(info: ResourceInfo, namespace: string | undefined, opts?: DeleteCollectionOptions): Promise<void> {
    await this.call('deleteCollection', [info, namespace, withoutSignal(opts)], opts?.signal);
  }

  async bind(namespace: string, pod: string, node: string, opts?: WriteOptions): Promise<void> {
    await this.call('bind', [namespace, pod, node, withoutSignal(opts)], opts?.signal);
  }

  getScale(info: ResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<Scale> {
    return this.call('getScale', [info, namespace, name, withoutSignal(opts)], opts?.signal) as Promise<Scale>;
  }

  updateScale(info: ResourceInfo, namespace: string | undefined, name: string, replicas: number, opts?: WriteOptions & { readonly resourceVersion?: string }): Promise<Scale> {
    return this.call('updateScale', [info, namespace, name, replicas, withoutSignal(opts)], opts?.signal) as Promise<Scale>;
  }

  /** PUT /api/v1/namespaces/NAME/finalize; rejects with a TypeError when the host's client cannot. */
  finalizeNamespace(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    return this.call('finalizeNamespace', [obj, withoutSignal(opts)], opts?.signal) as Promise<KubeObject>;
  }

  watch<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void> {
    return this.conn.watch(this.userAgent, [info, namespace, opts], onEvent as (event: WatchEvent) => void, signal);
  }

  private call(method: CallMethod, args: readonly unknown[], signal: AbortSignal | undefined): Promise<unknown> {
    return this.conn.call(this.userAgent, method, args, signal);
  }
}

/** A client the host serves a port with. */
export type HostClient = Client & Partial<JSONWatcher & NamespaceFinalizer>;

/**
 * Serves the calls of the PortClients on the other end of `port`, each with `clientFor(userAgent)`
 * (asked once per user agent), until the port closes (then every watch it started ends).
 * Results, errors and watch events of one tick go out as one message. Returns a function that
 * stops serving and closes the port.
 */
export function serveClients(clientFor: (userAgent: string) => HostClient, port: MessagePort): () => void {
  const clients = new Map<string, HostClient>();
  const clientOf = (ua: string): HostClient => {
    let c = clients.get(ua);
    if (!c) clients.set(ua, (c = clientFor(ua)));
    return c;
  };

  // The batch being gathered this tick: its items and its distinct texts (an event fanned out to
  // several watches is one text, sent once).
  let items: FromHost[] = [];
  let texts: string[] = [];
  let revisions: number[] = [];
  let textIndex = new Map<number, number>();
  let strippedIndex = new Map<number, number>();
  const flush = () => {
    const batch: Batch = { items, texts, revisions };
    items = [];
    texts = [];
    revisions = [];
    textIndex = new Map();
    strippedIndex = new Map();
    try {
      port.postMessage(batch);
    } catch (e) {
      // a value that cannot be cloned is the host's bug: each item's caller gets it as an error
      port.postMessage({ items: batch.items.map((m) => ({ t: 'error', id: m.id, error: toWire(e) })), texts: [], revisions: [] } satisfies Batch);
    }
  };
  const post = (m: FromHost) => {
    if (items.push(m) === 1) queueMicrotask(flush);
  };
  /**
   * The index of an event's text in this batch: one per object version (store revision), and
   * one more for the version without managedFields when a watch wants that (`strip`).
   */
  const text = (json: string, revision: number | undefined, strip: boolean): number => {
    if (!revision) {
      revisions.push(0);
      return texts.push(strip ? withoutManagedFieldsText(json) : json) - 1;
    }
    const index = strip ? strippedIndex : textIndex;
    let i = index.get(revision);
    if (i === undefined) {
      index.set(revision, (i = texts.push(strip ? withoutManagedFieldsText(json) : json) - 1));
      revisions.push(revision);
    }
    return i;
  };

  const call = async (ua: string, method: CallMethod, args: readonly unknown[]) => {
    const client = clientOf(ua);
    if (!CALLS.has(method) || typeof client[method] !== 'function') throw new TypeError(`client port: the API side has no method "${String(method)}"`);
    const f = client[method] as (...a: unknown[]) => Promise<unknown>;
    return f.apply(client, args as unknown[]);
  };

  const watch = async (id: number, ua: string, [info, namespace, opts]: readonly [ResourceInfo, string | undefined, WatchOptions], strip: boolean, signal: AbortSignal) => {
    const client = clientOf(ua);
    // the events of one watch within one batch go into one item of it
    let current: { readonly events: unknown[]; readonly batch: FromHost[] } | undefined;
    const add = (ev: unknown, asJSON: boolean) => {
      if (current?.batch !== items) {
        const events: unknown[] = [];
        post(asJSON ? { t: 'json-events', id, events: events as [WatchEvent['type'], number][] } : { t: 'events', id, events: events as WatchEvent[] });
        current = { events, batch: items };
      }
      current.events.push(ev);
    };
    if (client.watchJSON) await client.watchJSON(info, namespace, opts, (ev) => add([ev.type, text(ev.object, ev.revision, strip)], true), signal);
    else await client.watch(info, namespace, opts, (ev) => add(ev, false), signal);
  };

  // Calls in flight and watches by id. A cancelled call still runs to its end on the host (as a
  // request the server already received does); only its answer is dropped. Watches end.
  const running = new Map<number, AbortController | null>();
  const onBatch = (batch: ToHostBatch) => {
    for (const m of batch) onMessage(m);
  };
  const onMessage = (m: ToHost) => {
    if (m.t === 'cancel') {
      running.get(m.id)?.abort();
      running.delete(m.id);
      return;
    }
    let work: Promise<unknown>;
    if (m.t === 'call') {
      running.set(m.id, null);
      let args = m.args;
      if (m.body) {
        const { at, json } = m.body;
        args = args.map((a, i) => (i === at ? JSON.parse(json) : a));
      }
      work = call(m.ua, m.method, args);
      if (m.discard) work = work.then(() => null);
    } else {
      const ac = new AbortController();
      running.set(m.id, ac);
      work = watch(m.id, m.ua, m.args, m.strip === true, ac.signal);
    }
    work.then(
      (value) => {
        if (!running.delete(m.id)) return;
        // a JSON-results host client answers with text (no call resolves to a string otherwise)
        post(typeof value === 'string' ? { t: 'json-result', id: m.id, json: m.t === 'call' && m.strip ? withoutManagedFieldsText(value) : value } : { t: 'result', id: m.id, value: value ?? null });
      },
      (e: unknown) => {
        if (running.delete(m.id)) post({ t: 'error', id: m.id, error: toWire(e) });
      },
    );
  };

  const stop = () => {
    port.off('message', onBatch);
    for (const ac of running.values()) ac?.abort();
    running.clear();
    port.close();
  };
  port.on('message', onBatch);
  port.on('close', stop);
  return stop;
}

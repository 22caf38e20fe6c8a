// A Client over a MessagePort: components in a worker thread (the simulated nodes of `skiff server`)
// use it to reach the API server of the main thread, where `serveClient` runs each call on a real
// client (the in-process one). No sockets, no HTTP framing: arguments and results cross the port
// as structured clones; watch events as the API's JSON text when the host client offers it
// (`watchJSON`, as the in-process client does: posting an existing string costs the host a few
// microseconds, a structured clone of a pod ~25), parsed on this side — once per event for all
// readOnly watchers of the thread, which share the frozen object (as in-process informers do).
//
// Contract: the Client contract (client.ts). Errors keep their kind across the port: ApiErrors are
// rebuilt from their Status, TypeErrors stay TypeErrors, an abort rejects with an AbortError (a
// watch resolves), anything else is a plain Error with the original message. When the port closes
// (the other side went away), pending calls reject with a plain Error and watches reject too.
// Watch events of one watch arrive in order, in batches of what the host saw in one tick.
import type { MessagePort } from 'node:worker_threads';
import { ApiError, fromStatus, type Status } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';
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
  WatchOptions,
  WriteOptions,
} from './client.js';

/** The Client methods that are plain request → result calls (watch has its own message flow). */
type CallMethod = Exclude<keyof Client, 'watch'> | 'finalizeNamespace';

/** An error as it crosses the port. */
type WireError = { readonly kind: 'api'; readonly status: Status } | { readonly kind: 'type' | 'abort' | 'error'; readonly message: string };

type ToHost =
  | { readonly t: 'call'; readonly id: number; readonly method: CallMethod; readonly args: readonly unknown[] }
  | { readonly t: 'watch'; readonly id: number; readonly args: readonly [ResourceInfo, string | undefined, WatchOptions] }
  | { readonly t: 'cancel'; readonly id: number };

type FromHost =
  | { readonly t: 'result'; readonly id: number; readonly value: unknown }
  | { readonly t: 'error'; readonly id: number; readonly error: WireError }
  | { readonly t: 'events'; readonly id: number; readonly events: readonly WatchEvent[] }
  | { readonly t: 'json-events'; readonly id: number; readonly events: readonly (readonly [WatchEvent['type'], string])[] };

/** A host client that can hand on watch events as JSON text (the in-process client). */
export interface JSONWatcher {
  watchJSON(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions, onEvent: (event: { readonly type: WatchEvent['type']; readonly object: string }) => void, signal?: AbortSignal): Promise<void>;
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

/** Parsed readOnly watch objects of this thread by their JSON text, shared by every watcher (bounded: recent events only). */
const SHARED_CACHE_SIZE = 512;
const sharedObjects = new Map<string, KubeObject>();

function sharedObject(json: string): KubeObject {
  let o = sharedObjects.get(json);
  if (!o) {
    o = deepFreeze(JSON.parse(json) as KubeObject);
    if (sharedObjects.size >= SHARED_CACHE_SIZE) sharedObjects.delete(sharedObjects.keys().next().value!);
    sharedObjects.set(json, o);
  }
  return o;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
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

export class PortClient implements Client, NamespaceFinalizer {
  private readonly pending = new Map<number, Pending & { readonly readOnly?: boolean }>();
  private nextId = 1;
  private closed = false;

  /** `port` is owned by this client from now on: close() closes it. */
  constructor(private readonly port: MessagePort) {
    port.on('message', (m: FromHost) => this.receive(m));
    port.on('close', () => this.fail(new Error('client port closed: the API server side went away')));
  }

  /** Closes the port; pending calls and watches reject. Idempotent. */
  close(): void {
    this.port.close();
    this.fail(new Error('client port closed'));
  }

  get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<T> {
    return this.call('get', [info, namespace, name, withoutSignal(opts)], opts?.signal) as Promise<T>;
  }

  list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts?: ListOptions): Promise<ListResult<T>> {
    return this.call('list', [info, namespace, withoutSignal(opts)], opts?.signal) as Promise<ListResult<T>>;
  }

  create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T> {
    return this.call('create', [info, obj, withoutSignal(opts)], opts?.signal) as Promise<T>;
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

  /** Fails (NotFound-free: a plain Error) when the host's client cannot finalize namespaces. */
  finalizeNamespace(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    return this.call('finalizeNamespace', [obj, withoutSignal(opts)], opts?.signal) as Promise<KubeObject>;
  }

  watch<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.settle(id);
        this.send({ t: 'cancel', id });
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        readOnly: opts.readOnly === true,
        resolve: () => (done(), resolve()),
        reject: (e) => (done(), e.name === 'AbortError' ? resolve() : reject(e)),
        onEvent: (ev) => {
          try {
            onEvent(ev as WatchEvent<T>);
          } catch (e) {
            // as with every client: a throwing handler ends the watch with its error
            this.settle(id);
            this.send({ t: 'cancel', id });
            done();
            reject(e);
          }
        },
      });
      this.send({ t: 'watch', id, args: [info, namespace, opts] });
    });
  }

  private call(method: CallMethod, args: readonly unknown[], signal: AbortSignal | undefined): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(abortError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.settle(id);
        this.send({ t: 'cancel', id });
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, { resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) });
      this.send({ t: 'call', id, method, args });
    });
  }

  private send(m: ToHost): void {
    if (this.closed) {
      const p = this.pending.get(m.id);
      this.settle(m.id);
      p?.reject(new Error('client port closed'));
      return;
    }
    this.port.postMessage(m);
  }

  /** Forgets a call or watch: later messages about it are ignored. */
  private settle(id: number): void {
    this.pending.delete(id);
  }

  private receive(m: FromHost): void {
    const p = this.pending.get(m.id);
    if (!p) return; // cancelled here: what the host still sends about it is moot
    if (m.t === 'events') {
      for (const ev of m.events) {
        if (!this.pending.has(m.id)) return;
        p.onEvent?.(ev);
      }
      return;
    }
    if (m.t === 'json-events') {
      for (const [type, json] of m.events) {
        if (!this.pending.has(m.id)) return;
        p.onEvent?.({ type, object: p.readOnly ? sharedObject(json) : (JSON.parse(json) as KubeObject) });
      }
      return;
    }
    this.settle(m.id);
    if (m.t === 'result') p.resolve(m.value);
    else p.reject(fromWire(m.error));
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}

/**
 * Serves the calls of a PortClient on the other end of `port` with `client`, until the port
 * closes (then every watch it started ends). The results are posted as structured clones.
 * Returns a function that stops serving and closes the port.
 */
export function serveClient(client: Client & Partial<JSONWatcher & NamespaceFinalizer>, port: MessagePort): () => void {
  const post = (m: FromHost) => {
    try {
      port.postMessage(m);
    } catch (e) {
      // a value that cannot be cloned is the host's bug, reported to the caller as an error
      if (m.t !== 'error') port.postMessage({ t: 'error', id: m.id, error: toWire(e) } satisfies FromHost);
    }
  };

  const call = async (method: CallMethod, args: readonly unknown[]) => {
    if (!CALLS.has(method) || typeof client[method] !== 'function') throw new TypeError(`client port: the API side has no method "${String(method)}"`);
    const f = client[method] as (...a: unknown[]) => Promise<unknown>;
    return f.apply(client, args as unknown[]);
  };

  const watch = async (id: number, [info, namespace, opts]: readonly [ResourceInfo, string | undefined, WatchOptions], signal: AbortSignal) => {
    const asJSON = Boolean(client.watchJSON);
    let batch: unknown[] = [];
    const flush = () => {
      if (!batch.length) return;
      const events = batch;
      batch = [];
      post(asJSON ? { t: 'json-events', id, events: events as [WatchEvent['type'], string][] } : { t: 'events', id, events: events as WatchEvent[] });
    };
    const add = (e: unknown) => void (batch.push(e) === 1 && queueMicrotask(flush));
    try {
      if (client.watchJSON) await client.watchJSON(info, namespace, opts, (ev) => add([ev.type, ev.object]), signal);
      else await client.watch(info, namespace, opts, add, signal);
    } finally {
      flush();
    }
  };

  // Calls in flight and watches by id. A cancelled call still runs to its end on the host (as a
  // request the server already received does); only its answer is dropped. Watches end.
  const running = new Map<number, AbortController | null>();
  const onMessage = (m: ToHost) => {
    if (m.t === 'cancel') {
      running.get(m.id)?.abort();
      running.delete(m.id);
      return;
    }
    let work: Promise<unknown>;
    if (m.t === 'call') {
      running.set(m.id, null);
      work = call(m.method, m.args);
    } else {
      const ac = new AbortController();
      running.set(m.id, ac);
      work = watch(m.id, m.args, ac.signal);
    }
    work.then(
      (value) => {
        if (running.delete(m.id)) post({ t: 'result', id: m.id, value: value ?? null });
      },
      (e: unknown) => {
        if (running.delete(m.id)) post({ t: 'error', id: m.id, error: toWire(e) });
      },
    );
  };

  const stop = () => {
    port.off('message', onMessage);
    for (const ac of running.values()) ac?.abort();
    running.clear();
    port.close();
  };
  port.on('message', onMessage);
  port.on('close', stop);
  return stop;
}

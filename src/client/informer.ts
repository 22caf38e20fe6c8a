// Informer: keeps an indexed, read-only cache of one resource in step with the cluster, and tells
// handlers what changed. As client-go's reflector + shared informer:
//   list (paged) → replace the cache → watch from the list's resourceVersion → apply each event;
//   a watch that ends cleanly is resumed from the last resourceVersion seen (bookmarks included);
//   410 Gone or any other API error (an ERROR event, a refused watch) → relist;
//   transport failures → retry the same step after an exponential backoff with jitter.
// A relist reconciles the cache with the new list: objects that vanished meanwhile are reported
// as deleted with `finalStateUnknown`. Optional periodic resync re-delivers every cached object
// as an update (old === new) so level-triggered controllers revisit everything.
//
// Handlers run synchronously, in event order, after the cache has been updated; they must be
// quick (enqueue a key) and must not mutate the objects they get. A handler that throws is logged
// and does not stop the informer.
import { isApiError, isGone } from '../api/errors.js';
import { objectKey, type KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';
import { Backoff } from './backoff.js';
import type { Client, WatchEvent } from './client.js';
import { sleep, systemClock, type Clock, type TimerHandle } from './clock.js';
import { Indexer, type IndexFunc } from './indexer.js';
import { Lister } from './lister.js';

/** Page size of the informer's lists (client-go's reflector uses 500). */
export const LIST_PAGE_SIZE = 500;
/** First delay after a failure, then doubled up to the max, each stretched by up to 100% jitter (client-go's reflector: 800 ms, 30 s). */
export const RETRY_INITIAL_MS = 800;
export const RETRY_MAX_MS = 30_000;
export const RETRY_JITTER = 1;
/** Watches ask the server to end them after between this and twice this long (spreads reconnects, as client-go does). */
export const MIN_WATCH_TIMEOUT_SECONDS = 300;
/** A watch that ends cleanly sooner than this without any event is treated as a failure (no tight reconnect loop). */
export const MIN_HEALTHY_WATCH_MS = 1000;

export interface InformerHandlers<T extends KubeObject = KubeObject> {
  /** `isInInitialList`: the object came with the first list (or was already cached when the handler was added) */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** also called with old === new on resync */
  onUpdate?(oldObj: T, newObj: T): void;
  /** `finalStateUnknown`: the deletion was noticed by a relist; `obj` is the last state the cache knew */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  readonly client: Client;
  readonly resource: ResourceInfo;
  /** undefined or "": all namespaces */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** re-deliver every cached object as an update this often; 0 or undefined: never */
  readonly resyncPeriodMs?: number;
  /** extra indexes besides `namespace` */
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** default LIST_PAGE_SIZE */
  readonly pageSize?: number;
  /** default systemClock */
  readonly clock?: Clock;
  /** jitter source in [0, 1); default Math.random */
  readonly random?: () => number;
  /** one line per event; default: none */
  readonly log?: (line: string) => void;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  readonly lister: Lister<T>;
  private readonly opts: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private readonly name: string;
  private handlers: InformerHandlers<T>[] = [];
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: ((ok: boolean) => void)[] = [];
  private controller?: AbortController;
  private loop?: Promise<void>;
  private resyncTimer?: TimerHandle;
  private goneBefore = false;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.indexer = new Indexer<T>(opts.indexers ?? {});
    this.lister = new Lister(this.indexer);
    this.backoff = new Backoff({ initialMs: RETRY_INITIAL_MS, maxMs: RETRY_MAX_MS, jitter: RETRY_JITTER, random: this.random });
    const r = opts.resource;
    this.name = `informer ${r.group ? `${r.plural}.${r.group}` : r.plural}${opts.namespace ? ` in ${opts.namespace}` : ''}`;
  }

  /**
   * Adds handlers; returns a function that removes them. Added after the first sync, they get
   * an onAdd (isInInitialList true) for every cached object first.
   */
  addEventHandler(h: InformerHandlers<T>): () => void {
    this.handlers.push(h);
    if (this.synced) for (const o of this.indexer.list()) this.safely('onAdd', () => h.onAdd?.(o, true));
    return () => {
      this.handlers = this.handlers.filter((x) => x !== h);
    };
  }

  /** Starts listing and watching; `signal` aborting is the same as stop(). Throws if already started. */
  start(signal?: AbortSignal): void {
    if (this.controller) throw new Error(`${this.name}: already started`);
    const ac = (this.controller = new AbortController());
    signal?.addEventListener('abort', () => ac.abort(), { once: true });
    if (signal?.aborted) ac.abort();
    this.loop = this.run(ac.signal);
  }

  /** Stops the list/watch loop and the resync timer; resolves when nothing is left running. The cache stays readable. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    for (const w of this.syncWaiters.splice(0)) w(false);
  }

  /** Whether the first list has been loaded into the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced; false if the informer stops or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted || this.controller?.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== done);
        resolve(false);
      };
      this.syncWaiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The resourceVersion the cache reflects ("" before the first list). */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  // ---- the loop ----

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          needList = false;
        }
        const started = this.clock.now();
        const progressed = await this.watch(signal);
        if (!progressed && !signal.aborted && this.clock.now() - started < MIN_HEALTHY_WATCH_MS) {
          this.log(`watch ended after ${this.clock.now() - started}ms without events; retrying`);
          await sleep(this.clock, this.backoff.next(), signal);
        }
      } catch (e) {
        if (signal.aborted) break;
        // API errors (410 Gone, an ERROR event, a refused request) mean the resourceVersion or the
        // request is no good: start over with a list. Transport errors retry the step that failed.
        if (isApiError(e)) needList = true;
        const delay = isGone(e) && !this.goneBefore ? 0 : this.backoff.next();
        this.goneBefore = isGone(e);
        this.log(`${needList ? 'relisting' : 'rewatching'} in ${Math.round(delay)}ms after: ${e instanceof Error ? e.message : String(e)}`);
        if (delay > 0) await sleep(this.clock, delay, signal);
      }
    }
  }

  /** Lists every page, then makes the cache equal to the result and reports the differences. */
  private async list(signal: AbortSignal): Promise<void> {
    const { client, resource, namespace, labelSelector, fieldSelector } = this.opts;
    const items: T[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const page = await client.list<T>(resource, namespace, {
        labelSelector,
        fieldSelector,
        limit: this.opts.pageSize ?? LIST_PAGE_SIZE,
        continue: token,
        signal,
        readOnly: true,
      });
      items.push(...page.items);
      resourceVersion = page.resourceVersion;
      token = page.continue;
    } while (token && !signal.aborted);
    if (signal.aborted) return;

    const before = new Map(this.indexer.listKeys().map((k) => [k, this.indexer.get(k)!]));
    const initial = !this.synced;
    this.indexer.replace(items);
    this.resourceVersion = resourceVersion;
    this.backoff.reset();
    this.log(`listed ${items.length} at resourceVersion ${resourceVersion}`);
    for (const o of items) {
      const prev = before.get(this.indexer.keyFor(o));
      before.delete(this.indexer.keyFor(o));
      if (!prev) this.emit('onAdd', (h) => h.onAdd?.(o, initial));
      else if (prev.metadata?.resourceVersion !== o.metadata?.resourceVersion) this.emit('onUpdate', (h) => h.onUpdate?.(prev, o));
    }
    for (const gone of before.values()) this.emit('onDelete', (h) => h.onDelete?.(gone, true));
    if (initial) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w(true);
      this.scheduleResync();
    }
  }

  /** One watch from the current resourceVersion; resolves whether any event arrived. */
  private async watch(signal: AbortSignal): Promise<boolean> {
    const { client, resource, namespace, labelSelector, fieldSelector } = this.opts;
    let progressed = false;
    await client.watch<T>(
      resource,
      namespace,
      {
        resourceVersion: this.resourceVersion,
        labelSelector,
        fieldSelector,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(MIN_WATCH_TIMEOUT_SECONDS * (1 + this.random())),
        readOnly: true,
      },
      (ev) => {
        progressed = true;
        this.apply(ev);
      },
      signal,
    );
    return progressed;
  }

  private apply(ev: WatchEvent<T>): void {
    const o = ev.object;
    const rv = o.metadata?.resourceVersion;
    this.backoff.reset();
    this.goneBefore = false;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      return;
    }
    if (!o.metadata?.name) {
      this.log(`ignoring a ${ev.type} event for an object without metadata.name`);
      return;
    }
    if (ev.type === 'DELETED') {
      const prev = this.indexer.deleteKey(this.indexer.keyFor(o));
      if (prev) this.emit('onDelete', (h) => h.onDelete?.(o, false));
    } else {
      const prev = this.indexer.upsert(o);
      if (prev) this.emit('onUpdate', (h) => h.onUpdate?.(prev, o));
      else this.emit('onAdd', (h) => h.onAdd?.(o, false));
    }
    if (rv) this.resourceVersion = rv;
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs ?? 0;
    if (period <= 0 || this.controller?.signal.aborted) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      for (const o of this.indexer.list()) this.emit('onUpdate', (h) => h.onUpdate?.(o, o));
      this.scheduleResync();
    }, period);
  }

  private emit(what: keyof InformerHandlers<T>, f: (h: InformerHandlers<T>) => void): void {
    for (const h of this.handlers) this.safely(what, () => f(h));
  }

  private safely(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log(`${what} handler failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }

  private log(msg: string): void {
    this.opts.log?.(`${this.name}: ${msg}`);
  }
}

/** Handlers that add the changed object's key (`namespace/name`) to a work queue, for controllers whose only reaction is to reconcile that object. */
export function enqueueKeys(queue: { add(key: string): void }): InformerHandlers {
  return {
    onAdd: (o) => queue.add(objectKey(o)),
    onUpdate: (_old, o) => queue.add(objectKey(o)),
    onDelete: (o) => queue.add(objectKey(o)),
  };
}

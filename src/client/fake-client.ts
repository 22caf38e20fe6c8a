// FakeClient: a hand-written, in-memory fake of the Client interface for unit tests of code that
// uses a client (informers, leader election, event recorder, controllers). It is not a server:
// no validation, defaulting or admission; strategic-merge and apply patches behave as JSON merge
// patches; grace periods are ignored (finalizers are honoured). What it does keep is the part of
// the contract that client code relies on, and it passes client-contract.ts to prove it:
// revisions and compare-and-swap, selectors, consistent paginated lists, watches that replay from
// a resourceVersion, 410 Gone once history is compacted, status/scale/binding subresources.
// Test hooks: injectError, endWatches, failWatches, sendBookmarks, compact.
import { rfc3339 } from '../api/time.js';
import {
  AlreadyExistsError,
  ApiError,
  BadRequestError,
  ConflictError,
  GoneError,
  NotFoundError,
  type Subject,
} from '../api/errors.js';
import { parseFieldSelector, type FieldSelector } from '../api/fields.js';
import { parseLabelSelector, type Selector } from '../api/labels.js';
import { deepCopy, isObject, type KubeObject } from '../api/object.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import { createAddress, namespaceFor, objectAddress, requireName } from '../api/address.js';
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
import { resourceInfo } from './client.js';
import { systemClock, type Clock } from './clock.js';

/** The verbs error injection can target. */
export type FakeVerb = 'get' | 'list' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete' | 'deleteCollection' | 'watch' | 'bind' | 'getScale' | 'updateScale';

type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Change {
  readonly rev: number;
  readonly resource: string;
  readonly key: string;
  readonly type: ChangeType;
  readonly object: KubeObject;
  readonly prev: KubeObject | undefined;
}

interface Watcher {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: FieldSelector;
  readonly bookmarks: boolean;
  readonly info: ResourceInfo;
  deliver(ev: WatchEvent): void;
  end(err?: unknown): void;
}

export interface FakeClientOptions {
  /** stamps creationTimestamp and deletionTimestamp; default systemClock */
  readonly clock?: Clock;
}

export class FakeClient implements Client {
  private readonly clock: Clock;
  private rev = 0;
  private compacted = 0;
  private uid = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly injected: { verb: FakeVerb; error: Error; times: number }[] = [];

  constructor(opts: FakeClientOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  // ---- test hooks ----

  /** The next `times` calls of `verb` fail with `error` (before touching any state). */
  injectError(verb: FakeVerb, error: Error, times = 1): void {
    this.injected.push({ verb, error, times });
  }

  /** Ends every open watch cleanly, as a server timeout does. */
  endWatches(): void {
    for (const w of [...this.watchers]) w.end();
  }

  /** Ends every open watch with `error`: an ApiError as an ERROR event does, another Error as a broken connection does. */
  failWatches(error: Error): void {
    for (const w of [...this.watchers]) w.end(error);
  }

  /** Sends a BOOKMARK at the current revision to every watch that asked for bookmarks. */
  sendBookmarks(): void {
    for (const w of this.watchers) {
      if (w.bookmarks) w.deliver({ type: 'BOOKMARK', object: { apiVersion: groupVersion(w.info), kind: w.info.kind, metadata: { resourceVersion: String(this.rev) } } });
    }
  }

  /** Forgets history up to `revision` (default: all of it): older resourceVersions now get 410 Gone. */
  compact(revision = this.rev): void {
    this.compacted = Math.max(this.compacted, revision);
    this.history = this.history.filter((c) => c.rev > this.compacted);
  }

  /** Number of open watches. */
  watchCount(): number {
    return this.watchers.size;
  }

  /** The current revision (the resourceVersion of the latest write). */
  revision(): number {
    return this.rev;
  }

  // ---- reads ----

  async get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, opts: RequestOptions = {}): Promise<T> {
    await this.enter('get', opts.signal);
    const ns = namespaceFor(info, namespace, requireName(info, name));
    const obj = this.table(info).get(key(ns, name));
    if (!obj) throw new NotFoundError(subject(info, name));
    return deepCopy(obj) as T;
  }

  async list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult<T>> {
    await this.enter('list', opts.signal);
    const ns = namespaceFor(info, namespace, undefined);
    const labels = parseLabelSelector(opts.labelSelector ?? '');
    const fields = parseFieldSelector(opts.fieldSelector ?? '');
    let at = this.rev;
    let start = '';
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      at = t.rev;
      start = t.start;
    } else if (opts.resourceVersion && opts.resourceVersion !== '0' && opts.resourceVersionMatch === 'Exact') {
      at = parseRV(opts.resourceVersion);
    }
    if (at < this.compacted) {
      throw new GoneError(
        opts.continue
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
          : `too old resource version: ${at} (${this.compacted})`,
      );
    }
    const state = this.stateAt(info, at);
    const keys = [...state.keys()].filter((k) => k > start && inNamespace(k, ns)).sort();
    const items: KubeObject[] = [];
    let more = false;
    let last = '';
    for (const k of keys) {
      const o = state.get(k)!;
      if (!matches(o, labels, fields)) continue;
      if (opts.limit && items.length >= opts.limit) {
        more = true;
        break;
      }
      items.push(deepCopy(o));
      last = k;
    }
    return {
      items: items as T[],
      resourceVersion: String(at),
      ...(more ? { continue: encodeContinue(at, last) } : {}),
    };
  }

  // ---- writes ----

  async create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    await this.enter('create', opts.signal);
    const { namespace } = createAddress(info, obj);
    const o = deepCopy(obj) as KubeObject;
    const meta = (o.metadata ??= {});
    if (meta.resourceVersion) throw new BadRequestError('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${(++this.uid).toString(36).padStart(5, '0')}`;
    if (!meta.name) throw new ApiError(422, 'Invalid', `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    const k = key(namespace, meta.name);
    if (this.table(info).has(k)) throw new AlreadyExistsError(subject(info, meta.name));
    o.apiVersion = groupVersion(info);
    o.kind = info.kind;
    if (namespace) meta.namespace = namespace;
    meta.uid = `fake-uid-${++this.uid}`;
    meta.creationTimestamp = rfc3339(this.clock.now());
    meta.generation = 1;
    delete meta.deletionTimestamp;
    if (opts.dryRun) return deepCopy(o) as T;
    return deepCopy(this.write(info, k, 'ADDED', o, undefined)) as T;
  }

  async update<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    await this.enter('update', opts.signal);
    const { namespace, name } = objectAddress(info, obj);
    return this.replace(info, namespace, name, obj.metadata?.resourceVersion, (live) => {
      const o = deepCopy(obj) as KubeObject;
      if (info.subresources.includes('status')) {
        if (live.status === undefined) delete o.status;
        else o.status = deepCopy(live.status);
      }
      return o;
    }, opts) as Promise<T>;
  }

  async updateStatus<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<T> {
    await this.enter('updateStatus', opts.signal);
    const { namespace, name } = objectAddress(info, obj);
    if (!info.subresources.includes('status')) throw notFoundPath();
    return this.replace(info, namespace, name, obj.metadata?.resourceVersion, (live) => {
      const o = deepCopy(live);
      if (obj.status === undefined) delete o.status;
      else o.status = deepCopy(obj.status);
      return o;
    }, opts) as Promise<T>;
  }

  async patch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    await this.enter('patch', opts.signal);
    const ns = namespaceFor(info, namespace, requireName(info, name));
    if (type === 'apply' && !opts.fieldManager) throw new BadRequestError('PATCH, application/apply-patch+yaml requires fieldManager to be set');
    if (opts.subresource && !info.subresources.includes(opts.subresource)) throw notFoundPath();
    const k = key(ns, name);
    const live = this.table(info).get(k);
    if (!live) {
      if (type !== 'apply' || opts.subresource) throw new NotFoundError(subject(info, name));
      const base: KubeObject = { apiVersion: groupVersion(info), kind: info.kind, metadata: { name, ...(ns ? { namespace: ns } : {}) } };
      const created = applyPatchBody(base, body, type);
      if (created.metadata) delete created.metadata.resourceVersion;
      return this.createUnchecked(info, ns, name, created, opts) as T;
    }
    const patched = applyPatchBody(deepCopy(live), body, type);
    const pinned = isObject(body) && isObject(body.metadata) && typeof body.metadata.resourceVersion === 'string' ? body.metadata.resourceVersion : undefined;
    return this.replace(info, ns, name, pinned, (current) => {
      if (opts.subresource === 'status') {
        const o = deepCopy(current);
        if (patched.status === undefined) delete o.status;
        else o.status = patched.status;
        return o;
      }
      const o = patched;
      if (info.subresources.includes('status')) {
        if (current.status === undefined) delete o.status;
        else o.status = deepCopy(current.status);
      }
      if (o.metadata) delete o.metadata.resourceVersion;
      return o;
    }, opts) as Promise<T>;
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    await this.enter('delete', opts.signal);
    const ns = namespaceFor(info, namespace, requireName(info, name));
    this.deleteOne(info, ns, name, opts);
  }

  async deleteCollection(info: ResourceInfo, namespace: string | undefined, opts: DeleteCollectionOptions = {}): Promise<void> {
    await this.enter('deleteCollection', opts.signal);
    const ns = namespaceFor(info, namespace, undefined);
    const labels = parseLabelSelector(opts.labelSelector ?? '');
    const fields = parseFieldSelector(opts.fieldSelector ?? '');
    for (const [k, o] of [...this.table(info)]) {
      if (inNamespace(k, ns) && matches(o, labels, fields)) this.deleteOne(info, o.metadata?.namespace, o.metadata?.name ?? '', opts);
    }
  }

  // ---- subresources ----

  async bind(namespace: string, pod: string, node: string, opts: WriteOptions = {}): Promise<void> {
    await this.enter('bind', opts.signal);
    const info = resourceInfo('', 'v1', 'pods');
    const ns = namespaceFor(info, namespace, requireName(info, pod));
    await this.replace(info, ns, pod, undefined, (live) => {
      const o = deepCopy(live);
      if (o.metadata?.deletionTimestamp) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${pod}": pod ${pod} is being deleted, cannot be assigned to a host`);
      const spec = isObject(o.spec) ? o.spec : (o.spec = {});
      if (spec.nodeName) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${pod}": pod ${pod} is already assigned to node "${String(spec.nodeName)}"`);
      spec.nodeName = node;
      const status = isObject(o.status) ? o.status : (o.status = {});
      const conditions = Array.isArray(status.conditions) ? status.conditions.filter((c) => !(isObject(c) && c.type === 'PodScheduled')) : [];
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.clock.now()) });
      status.conditions = conditions;
      return o;
    }, opts);
  }

  async getScale(info: ResourceInfo, namespace: string | undefined, name: string, opts: RequestOptions = {}): Promise<Scale> {
    await this.enter('getScale', opts.signal);
    const ns = namespaceFor(info, namespace, requireName(info, name));
    if (!info.subresources.includes('scale')) throw notFoundPath();
    const live = this.table(info).get(key(ns, name));
    if (!live) throw new NotFoundError(subject(info, name));
    return toScale(live);
  }

  async updateScale(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    replicas: number,
    opts: WriteOptions & { readonly resourceVersion?: string } = {},
  ): Promise<Scale> {
    await this.enter('updateScale', opts.signal);
    const ns = namespaceFor(info, namespace, requireName(info, name));
    if (!info.subresources.includes('scale')) throw notFoundPath();
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`);
    }
    const o = await this.replace(info, ns, name, opts.resourceVersion, (live) => {
      const x = deepCopy(live);
      const spec = isObject(x.spec) ? x.spec : (x.spec = {});
      spec.replicas = replicas;
      return x;
    }, opts);
    return toScale(o);
  }

  // ---- watch ----

  async watch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.enter('watch', undefined);
    if (signal?.aborted) return;
    const ns = namespaceFor(info, namespace, undefined);
    const labels = parseLabelSelector(opts.labelSelector ?? '');
    const fields = parseFieldSelector(opts.fieldSelector ?? '');
    const resource = resourceKey(info);

    const initial: WatchEvent[] = [];
    const rvParam = opts.resourceVersion ?? '';
    if (rvParam === '' || rvParam === '0' || opts.sendInitialEvents) {
      const state = this.stateAt(info, this.rev);
      for (const k of [...state.keys()].sort()) {
        const o = state.get(k)!;
        if (inNamespace(k, ns) && matches(o, labels, fields)) initial.push({ type: 'ADDED', object: deepCopy(o) });
      }
      if (opts.sendInitialEvents && opts.allowWatchBookmarks) {
        initial.push({
          type: 'BOOKMARK',
          object: { apiVersion: groupVersion(info), kind: info.kind, metadata: { resourceVersion: String(this.rev), annotations: { 'k8s.io/initial-events-end': 'true' } } },
        });
      }
    } else {
      const from = parseRV(rvParam);
      if (from < this.compacted) throw new GoneError(`too old resource version: ${from} (${this.compacted})`);
      for (const c of this.history) {
        if (c.rev <= from || c.resource !== resource || !inNamespace(c.key, ns)) continue;
        const ev = filterChange(c, labels, fields);
        if (ev) initial.push(ev);
      }
    }

    await new Promise<void>((resolve, reject) => {
      const queue: WatchEvent[] = [...initial];
      let scheduled = false;
      let ended = false;
      const end = (err?: unknown) => {
        if (ended) return;
        ended = true;
        this.watchers.delete(watcher);
        signal?.removeEventListener('abort', onAbort);
        queue.length = 0;
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = () => end();
      const flush = () => {
        scheduled = false;
        while (!ended && queue.length) {
          const ev = queue.shift()!;
          try {
            onEvent(ev as WatchEvent<T>);
          } catch (e) {
            end(e);
          }
        }
      };
      const watcher: Watcher = {
        resource,
        namespace: ns,
        labels,
        fields,
        bookmarks: opts.allowWatchBookmarks === true,
        info,
        deliver(ev) {
          if (ended) return;
          queue.push(ev);
          if (!scheduled) {
            scheduled = true;
            queueMicrotask(flush);
          }
        },
        // A clean end lets already queued events through first, as a stream's tail would.
        end(err) {
          if (err !== undefined) return end(err);
          queueMicrotask(() => {
            flush();
            end();
          });
        },
      };
      this.watchers.add(watcher);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (queue.length) {
        scheduled = true;
        queueMicrotask(flush);
      }
    });
  }

  // ---- internals ----

  private async enter(verb: FakeVerb, signal: AbortSignal | undefined): Promise<void> {
    await Promise.resolve();
    if (signal?.aborted) throw new DOMException('This operation was aborted', 'AbortError');
    const i = this.injected.findIndex((x) => x.verb === verb);
    if (i >= 0) {
      const inj = this.injected[i]!;
      if (--inj.times <= 0) this.injected.splice(i, 1);
      throw inj.error;
    }
  }

  private table(info: ResourceInfo): Map<string, KubeObject> {
    const r = resourceKey(info);
    let t = this.objects.get(r);
    if (!t) this.objects.set(r, (t = new Map()));
    return t;
  }

  /** The objects of a resource as they were at revision `at` (undoing later changes). */
  private stateAt(info: ResourceInfo, at: number): Map<string, KubeObject> {
    const state = new Map(this.table(info));
    const resource = resourceKey(info);
    for (let i = this.history.length - 1; i >= 0 && this.history[i]!.rev > at; i--) {
      const c = this.history[i]!;
      if (c.resource !== resource) continue;
      if (c.prev) state.set(c.key, c.prev);
      else state.delete(c.key);
    }
    return state;
  }

  private write(info: ResourceInfo, k: string, type: ChangeType, obj: KubeObject, prev: KubeObject | undefined): KubeObject {
    const rev = ++this.rev;
    (obj.metadata ??= {}).resourceVersion = String(rev);
    const table = this.table(info);
    if (type === 'DELETED') table.delete(k);
    else table.set(k, obj);
    const change: Change = { rev, resource: resourceKey(info), key: k, type, object: obj, prev };
    this.history.push(change);
    for (const w of this.watchers) {
      if (w.resource !== change.resource || !inNamespace(k, w.namespace)) continue;
      const ev = filterChange(change, w.labels, w.fields);
      if (ev) w.deliver(ev);
    }
    return obj;
  }

  private createUnchecked(info: ResourceInfo, ns: string | undefined, name: string, obj: KubeObject, opts: WriteOptions): KubeObject {
    const meta = (obj.metadata ??= {});
    meta.name = name;
    if (ns) meta.namespace = ns;
    meta.uid = `fake-uid-${++this.uid}`;
    meta.creationTimestamp = rfc3339(this.clock.now());
    meta.generation = 1;
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    if (opts.dryRun) return deepCopy(obj);
    return deepCopy(this.write(info, key(ns, name), 'ADDED', obj, undefined));
  }

  /** Read-modify-write of one object: `pinned` is the resourceVersion the caller saw (Conflict if stale). */
  private async replace(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    pinned: string | undefined,
    change: (live: KubeObject) => KubeObject,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    const k = key(ns, name);
    const live = this.table(info).get(k);
    if (!live) throw new NotFoundError(subject(info, name));
    if (pinned && pinned !== live.metadata?.resourceVersion) throw new ConflictError(subject(info, name));
    const o = change(deepCopy(live));
    const meta = (o.metadata ??= {});
    if (meta.name !== undefined && meta.name !== name) throw new BadRequestError(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    const lm = live.metadata ?? {};
    Object.assign(meta, { name, uid: lm.uid, creationTimestamp: lm.creationTimestamp, generation: lm.generation });
    if (ns) meta.namespace = ns;
    if (lm.deletionTimestamp) meta.deletionTimestamp = lm.deletionTimestamp;
    else delete meta.deletionTimestamp;
    o.apiVersion = groupVersion(info);
    o.kind = info.kind;
    if (JSON.stringify(withoutMetaStatus(o)) !== JSON.stringify(withoutMetaStatus(live))) meta.generation = (lm.generation ?? 0) + 1;
    if (opts.dryRun) return deepCopy({ ...o, metadata: { ...meta, resourceVersion: lm.resourceVersion } });
    // A deleting object whose last finalizer went away is removed.
    if (meta.deletionTimestamp && !meta.finalizers?.length) {
      this.write(info, k, 'DELETED', o, live);
      return deepCopy(o);
    }
    return deepCopy(this.write(info, k, 'MODIFIED', o, live));
  }

  private deleteOne(info: ResourceInfo, ns: string | undefined, name: string, opts: DeleteOptions): void {
    const k = key(ns, name);
    const live = this.table(info).get(k);
    if (!live) throw new NotFoundError(subject(info, name));
    const p = opts.preconditions;
    if (p?.uid && p.uid !== live.metadata?.uid) {
      throw new ConflictError(subject(info, name), `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${live.metadata?.uid ?? ''}`);
    }
    if (p?.resourceVersion && p.resourceVersion !== live.metadata?.resourceVersion) {
      throw new ConflictError(subject(info, name), `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${live.metadata?.resourceVersion ?? ''}`);
    }
    if (opts.dryRun) return;
    const o = deepCopy(live);
    if (o.metadata?.finalizers?.length) {
      if (!o.metadata.deletionTimestamp) {
        o.metadata.deletionTimestamp = rfc3339(this.clock.now());
        this.write(info, k, 'MODIFIED', o, live);
      }
      return;
    }
    this.write(info, k, 'DELETED', o, live);
  }
}


function resourceKey(info: ResourceInfo): string {
  return `${info.group}/${info.plural}`;
}

function key(ns: string | undefined, name: string): string {
  return ns ? `${ns}/${name}` : name;
}

function inNamespace(k: string, ns: string | undefined): boolean {
  return !ns || k.startsWith(`${ns}/`);
}

function subject(info: ResourceInfo, name: string): Subject {
  return { resource: info.plural, group: info.group, kind: info.kind, name };
}

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

function parseRV(s: string): number {
  if (!/^\d+$/.test(s)) throw new BadRequestError(`invalid resource version "${s}"`);
  return Number(s);
}

function encodeContinue(rev: number, start: string): string {
  return Buffer.from(JSON.stringify({ rev, start })).toString('base64url');
}

function decodeContinue(token: string): { rev: number; start: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isObject(v) && typeof v.rev === 'number' && typeof v.start === 'string') return { rev: v.rev, start: v.start };
  } catch {
    // reported below
  }
  throw new BadRequestError('continue key is not valid');
}

/** The value of a dotted field path (`metadata.name`, `spec.nodeName`, `status.phase`) as a string. */
function fieldValue(obj: KubeObject, path: string): string | undefined {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(v)) return undefined;
    v = v[part];
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function matches(obj: KubeObject, labels: Selector, fields: FieldSelector): boolean {
  return labels.matches(obj.metadata?.labels) && fields.matches((f) => fieldValue(obj, f));
}

/** The event a watcher with selectors sees for a change (objects moving in or out of the selection become ADDED/DELETED). */
function filterChange(c: Change, labels: Selector, fields: FieldSelector): WatchEvent | undefined {
  const now = matches(c.object, labels, fields);
  const before = c.prev ? matches(c.prev, labels, fields) : false;
  const object = deepCopy(c.object);
  if (c.type === 'DELETED') return before || now ? { type: 'DELETED', object } : undefined;
  if (c.type === 'ADDED') return now ? { type: 'ADDED', object } : undefined;
  if (now && before) return { type: 'MODIFIED', object };
  if (now) return { type: 'ADDED', object };
  if (before) return { type: 'DELETED', object };
  return undefined;
}

function withoutMetaStatus(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o;
  void _m;
  void _s;
  return rest;
}

function toScale(o: KubeObject): Scale {
  const spec = isObject(o.spec) ? o.spec : {};
  const status = isObject(o.status) ? o.status : {};
  const m = o.metadata ?? {};
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0 },
  };
}

function applyPatchBody(base: KubeObject, body: unknown, type: PatchType): KubeObject {
  const out = type === 'json' ? jsonPatch(base, body) : mergePatch(base, body);
  if (!isObject(out)) throw new BadRequestError('the patch produced something that is not an object');
  return out as KubeObject;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepCopy(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new BadRequestError('json patch: expected an array of operations');
  let root = deepCopy(doc);
  const parse = (p: unknown): string[] => {
    if (typeof p !== 'string' || (p !== '' && !p.startsWith('/'))) throw new BadRequestError(`json patch: invalid path ${JSON.stringify(p)}`);
    return p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parentOf = (path: string[]): { parent: unknown; last: string } => {
    let cur: unknown = root;
    for (const seg of path.slice(0, -1)) {
      cur = Array.isArray(cur) ? cur[Number(seg)] : isObject(cur) ? cur[seg] : undefined;
      if (cur === undefined) throw new ApiError(422, 'Invalid', `json patch: path /${path.join('/')} does not exist`);
    }
    return { parent: cur, last: path[path.length - 1]! };
  };
  const get = (path: string[]): unknown => {
    if (!path.length) return root;
    const { parent, last } = parentOf(path);
    const v = Array.isArray(parent) ? parent[Number(last)] : isObject(parent) ? parent[last] : undefined;
    if (v === undefined) throw new ApiError(422, 'Invalid', `json patch: path /${path.join('/')} does not exist`);
    return v;
  };
  const remove = (path: string[]): unknown => {
    const v = get(path);
    const { parent, last } = parentOf(path);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else if (isObject(parent)) delete parent[last];
    return v;
  };
  const add = (path: string[], value: unknown, replace: boolean): void => {
    if (!path.length) {
      root = value;
      return;
    }
    const { parent, last } = parentOf(path);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new ApiError(422, 'Invalid', `json patch: index ${last} out of range`);
      if (replace) parent[i] = value;
      else parent.splice(i, 0, value);
    } else if (isObject(parent)) parent[last] = value;
    else throw new ApiError(422, 'Invalid', `json patch: path /${path.join('/')} does not exist`);
  };
  for (const op of ops) {
    if (!isObject(op)) throw new BadRequestError('json patch: each operation must be an object');
    const path = parse(op.path);
    switch (op.op) {
      case 'add':
        add(path, deepCopy(op.value), false);
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        get(path);
        add(path, deepCopy(op.value), true);
        break;
      case 'move':
        add(path, remove(parse(op.from)), false);
        break;
      case 'copy':
        add(path, deepCopy(get(parse(op.from))), false);
        break;
      case 'test':
        if (JSON.stringify(get(path)) !== JSON.stringify(op.value)) throw new ApiError(422, 'Invalid', `json patch: test failed at /${path.join('/')}`);
        break;
      default:
        throw new BadRequestError(`json patch: unknown operation ${JSON.stringify(op.op)}`);
    }
  }
  return root;
}

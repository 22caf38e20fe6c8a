// The generic registry: create, read, update, delete, list and watch for one resource, the same
// way for every kind. What differs between kinds comes from its Strategy; what is shared —
// metadata (uid, creationTimestamp, generation, generateName, deletionTimestamp), optimistic
// concurrency on resourceVersion, namespaces, finalizers, dry-run — lives here.
//
// Errors: every refusal is an ApiError (NotFound, AlreadyExists, Conflict, Invalid, BadRequest,
// Gone). Store errors never escape untranslated.
import { rfc3339 } from '../api/time.js';
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  ApiError,
  BadRequestError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  TimeoutError,
  type Subject,
} from '../api/errors.js';
import type { FieldError } from '../api/field-errors.js';
import { invalid } from '../api/field-errors.js';
import { parseFieldSelector, type FieldSelector } from '../api/fields.js';
import { parseLabelSelector, type Selector } from '../api/labels.js';
import { isObject, type KubeObject } from '../api/object.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../api/validation/names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../api/validation/metadata.js';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  type KeyValue,
  type Store,
  type WatchHandle,
} from '../storage/store.js';
import { copyJSON, decode, decodeShared, encodeForStorage, withResourceVersion, withResourceVersionPieces } from './codec.js';
import { deletionPlan } from './deletion.js';
import { listPrefix, objectStoreKey } from './keys.js';
import type { Strategy, StrategyContext } from './strategy.js';

/** One object as read from the store. `object` is shared (copy before mutating); `json` is response-ready. */
export interface Entry {
  readonly kv: KeyValue;
  readonly object: KubeObject;
  readonly json: string;
  /** `json` in pieces to write one after the other (see withResourceVersionPieces); cheaper than `json` for long responses */
  readonly jsonPieces: readonly (string | undefined)[];
}

export interface WriteOptions {
  readonly dryRun?: boolean;
  /** the field manager recorded in managedFields */
  readonly fieldManager?: string;
  /** 'status' for the status subresource */
  readonly subresource?: string;
  /** 'Apply' for server-side apply (which maintains managedFields itself); default 'Update' */
  readonly operation?: 'Apply' | 'Update';
  /**
   * create and replace: the caller hands the input over, a JSON value it made for this call
   * (decoded from a request body) and never touches again, so the registry uses it instead of a copy
   */
  readonly owned?: boolean;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
}

export interface ListResult {
  readonly items: Entry[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export interface DeleteOptions extends WriteOptions {
  readonly preconditions?: { uid?: string; resourceVersion?: string };
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: string;
}

export interface DeleteResult {
  readonly entry: Entry;
  /** false when the object still exists (graceful deletion or finalizers pending) */
  readonly deleted: boolean;
}

export type WatchEventKind = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** deliver events after this revision */
  readonly afterRevision: number;
}

/** Called for every object written, so the API layer can maintain managedFields. */
export type WriteObserver = (oldObj: KubeObject | undefined, newObj: KubeObject, info: { manager: string; subresource?: string; operation?: 'Apply' | 'Update' }) => void;

export interface RegistryDeps {
  readonly store: Store;
  readonly strategy: Strategy;
  readonly context: () => StrategyContext;
  /** Throws NotFound if the namespace is missing, Forbidden if it is terminating (creates only). */
  readonly checkNamespace?: (namespace: string, forCreate: boolean) => Promise<void>;
  readonly onWrite?: WriteObserver;
  /**
   * Admission on create that reads other objects (a pod's PriorityClass): runs after defaulting,
   * before validation; may change `obj`; throws an ApiError (Forbidden) to refuse it.
   */
  readonly admitCreate?: (obj: KubeObject) => Promise<void>;
  /** The same on an update of the main resource: `obj` is the desired object, `old` the stored one; both read only. */
  readonly admitUpdate?: (obj: KubeObject, old: KubeObject) => Promise<void>;
  /** Refuses the deletion of `name` by throwing an ApiError (Forbidden), before anything is read. */
  readonly admitDelete?: (name: string) => void;
}

const MAX_CAS_RETRIES = 16;

export class GenericRegistry {
  readonly info: ResourceInfo;
  /** the resource whose keys hold the data (differs for events.k8s.io) */
  readonly storageInfo: ResourceInfo;
  private readonly store: Store;
  private readonly strategy: Strategy;

  constructor(private readonly deps: RegistryDeps) {
    this.store = deps.store;
    this.strategy = deps.strategy;
    this.info = deps.strategy.info;
    this.storageInfo = deps.strategy.storage?.resource ?? deps.strategy.info;
  }

  subject(name?: string): Subject & { kind: string } {
    return { resource: this.info.plural, group: this.info.group, kind: this.info.kind, name };
  }

  // ---- reads ----

  async get(namespace: string | undefined, name: string): Promise<Entry> {
    const kv = await this.store.get(objectStoreKey(this.storageInfo, namespace, name));
    if (!kv) throw new NotFoundError(this.subject(name));
    return this.entry(kv);
  }

  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const labels = parseSelectorOrEmpty(opts.labelSelector);
    const fields = this.parseFields(opts.fieldSelector);
    // A selector that names the namespace (metadata.namespace=NS) or the object (metadata.name=NAME,
    // as `kubectl wait` and client-go's one-object informers send) narrows what is read to that
    // namespace's keys or to one key, as Kubernetes' registry does (SelectionPredicate.MatchesSingle),
    // instead of scanning every object of the resource; the selector is still checked on what is read.
    const only = (field: string) => fields.requirements.find((r) => r.field === field && r.operator === '=')?.value;
    if (this.info.namespaced && namespace === undefined) namespace = only('metadata.namespace');
    const name = only('metadata.name');
    if (name !== undefined && !opts.continue && (namespace !== undefined || !this.info.namespaced)) {
      return this.listOne(objectStoreKey(this.storageInfo, namespace, name), labels, fields, opts);
    }
    const prefix = listPrefix(this.storageInfo, namespace);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;

    let startKey: string | undefined;
    let revision = 0;
    if (opts.continue) {
      const token = decodeContinue(opts.continue, prefix);
      startKey = token.start;
      revision = token.rv;
    } else {
      revision = this.requestedRevision(opts);
    }

    const items: Entry[] = [];
    const filtering = !labels.empty || !fields.empty;
    let more = false;
    let lastKey: string | undefined;
    let listRevision = revision;
    let remaining: number | undefined;
    // With selectors, keep reading batches until `limit` matching items are found (as etcd3 storage does).
    for (;;) {
      const want = limit ? (filtering ? Math.max(limit * 2, 64) : limit + 0) : undefined;
      let res;
      try {
        res = await this.store.list(prefix, { startKey, limit: want, revision: listRevision || undefined });
      } catch (e) {
        throw this.translateReadError(e, Boolean(opts.continue));
      }
      listRevision = res.revision;
      for (let i = 0; i < res.kvs.length; i++) {
        const kv = res.kvs[i];
        lastKey = kv.key;
        if (filtering && !this.matches(decodeShared(kv), labels, fields)) continue;
        items.push(this.entry(kv));
        if (limit && items.length >= limit) {
          more = res.more || i < res.kvs.length - 1;
          if (more && !filtering) remaining = res.count - (i + 1);
          break;
        }
      }
      if ((limit && items.length >= limit) || !res.more || !want) break;
      startKey = `${lastKey}\u0000`;
    }
    return {
      items,
      resourceVersion: String(listRevision || this.store.currentRevision()),
      continue: more && lastKey !== undefined ? encodeContinue(listRevision, `${lastKey}\u0000`) : undefined,
      remainingItemCount: remaining,
    };
  }

  /** `list` of the one object at `key` (a selector named it): at the revision asked for, never a continue token. */
  private async listOne(key: string, labels: Selector, fields: FieldSelector, opts: ListOptions): Promise<ListResult> {
    const revision = this.requestedRevision(opts);
    let res;
    try {
      // the key is the smallest one under itself as a prefix: the first key read is it, if it exists
      res = await this.store.list(key, { limit: 1, revision: revision || undefined });
    } catch (e) {
      throw this.translateReadError(e, false);
    }
    const kv = res.kvs[0];
    const items = kv && kv.key === key && this.matches(decodeShared(kv), labels, fields) ? [this.entry(kv)] : [];
    return { items, resourceVersion: String(res.revision || this.store.currentRevision()) };
  }

  /**
   * The revision a list without a continue token reads: `resourceVersion` with match Exact, else 0
   * (the current one; a resourceVersion newer than the store's is a Timeout, as Kubernetes answers).
   */
  private requestedRevision(opts: ListOptions): number {
    if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const rv = parseRV(opts.resourceVersion);
      if (opts.resourceVersionMatch === 'Exact') return rv;
      if (rv > this.store.currentRevision()) throw new TimeoutError(`Too large resource version: ${rv}, current: ${this.store.currentRevision()}`);
    } else if (opts.resourceVersionMatch === 'Exact') {
      throw new BadRequestError('resourceVersionMatch "Exact" requires a resourceVersion');
    }
    return 0;
  }

  /** Streams changes; the handle stops it. Throws Gone when afterRevision is too old. */
  watch(namespace: string | undefined, opts: WatchOptions, onEvent: (type: WatchEventKind, entry: Entry) => void): WatchHandle {
    const labels = parseSelectorOrEmpty(opts.labelSelector);
    const fields = this.parseFields(opts.fieldSelector);
    const filtering = !labels.empty || !fields.empty;
    const prefix = listPrefix(this.storageInfo, namespace);
    try {
      return this.store.watch(prefix, opts.afterRevision, (events) => {
        for (const ev of events) {
          if (!filtering) {
            onEvent(ev.type === 'create' ? 'ADDED' : ev.type === 'update' ? 'MODIFIED' : 'DELETED', this.entry(ev.kv));
            continue;
          }
          const now = this.matches(decodeShared(ev.kv), labels, fields);
          const before = ev.prevKv ? this.matches(decodeShared(ev.prevKv), labels, fields) : false;
          if (ev.type === 'delete') {
            if (now || before) onEvent('DELETED', this.entry(ev.kv));
          } else if (now && (ev.type === 'create' || !before)) onEvent('ADDED', this.entry(ev.kv));
          else if (now) onEvent('MODIFIED', this.entry(ev.kv));
          else if (before) onEvent('DELETED', this.entry(ev.kv));
        }
      });
    } catch (e) {
      throw this.translateReadError(e, false);
    }
  }

  // ---- writes ----

  async create(namespace: string | undefined, input: KubeObject, opts: WriteOptions = {}): Promise<Entry> {
    const ctx = this.deps.context();
    const obj = opts.owned ? input : copyJSON(input);
    const meta = (obj.metadata ??= {});
    if (meta.resourceVersion) throw new BadRequestError('resourceVersion should not be set on objects to be created');
    if (this.info.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(ctx.now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    // Only kinds with a desired state (spec) track generations, as in Kubernetes.
    if ('spec' in obj) meta.generation = 1;
    else delete meta.generation;
    this.strategy.prepareForCreate(obj, ctx);
    if (!this.strategy.prepareForCreateDefaults) this.strategy.defaults(obj, ctx);
    // as Kubernetes' admission chain: the namespace's lifecycle first, then the other admission
    // plugins, all before validation
    if (namespace && this.info.namespaced && this.deps.checkNamespace) await this.deps.checkNamespace(namespace, true);
    if (this.deps.admitCreate) await this.deps.admitCreate(obj);
    const errors = [...this.validateMeta(obj), ...this.strategy.validate(obj, ctx)];
    if (errors.length) throw new InvalidError(this.subject(meta.name), errors);

    this.strategy.allocation?.allocate(obj);
    try {
      this.deps.onWrite?.(undefined, obj, { manager: opts.fieldManager ?? 'unknown', subresource: opts.subresource, operation: opts.operation });
      this.strategy.admitCreate?.(obj, ctx);
      const stored = this.toStorage(obj);
      if (opts.dryRun) return this.dryEntry(stored, this.store.currentRevision());
      const key = objectStoreKey(this.storageInfo, namespace, meta.name ?? '');
      try {
        const res = await this.store.create(key, encodeForStorage(stored));
        return this.entry(res.kv);
      } catch (e) {
        if (e instanceof KeyExistsError) throw new AlreadyExistsError(this.subject(meta.name));
        throw e;
      }
    } catch (e) {
      this.strategy.allocation?.release(obj);
      throw e;
    } finally {
      if (opts.dryRun) this.strategy.allocation?.release(obj);
    }
  }

  /**
   * Read-modify-write with compare-and-swap. `tryUpdate` gets a caller-owned copy of the live
   * object (or undefined when missing and `allowCreate`) and returns the desired object: that
   * copy changed, or an object made in this call, which the registry then owns and changes (it
   * must not be kept or shared). If the desired object carries a resourceVersion, it must equal
   * the live one (409 otherwise); without one, a concurrent write makes the loop run again on
   * the newer object.
   */
  async update(
    namespace: string | undefined,
    name: string,
    tryUpdate: (live: KubeObject | undefined) => KubeObject,
    opts: WriteOptions & { allowCreate?: boolean; leavesLiveAlone?: boolean } = {},
  ): Promise<{ entry: Entry; created: boolean }> {
    // With leavesLiveAlone (tryUpdate changes nothing it is given, it builds a new object that may
    // share the unchanged parts), tryUpdate gets the copy the write decoded for itself: one
    // decode of the stored object instead of two.
    return this.#readModifyWrite(namespace, name, opts, (kv, live) => ({
      desired: tryUpdate(kv ? (opts.leavesLiveAlone && live ? live : this.fromStorage(decode(kv))) : undefined),
      owned: true,
    }));
  }

  /**
   * Replaces the object with `desired` (PUT), with compare-and-swap as update does, but without
   * copying the live object for a caller that does not read it. `desired` is copied, except when
   * `opts.owned` and it pins a resourceVersion: such a write is never tried again (a conflict is
   * the caller's), so the registry may change `desired` itself.
   */
  async replace(
    namespace: string | undefined,
    name: string,
    desired: KubeObject,
    opts: WriteOptions & { allowCreate?: boolean } = {},
  ): Promise<{ entry: Entry; created: boolean }> {
    const rv = desired.metadata?.resourceVersion;
    const owned = opts.owned === true && typeof rv === 'string' && rv !== '';
    return this.#readModifyWrite(namespace, name, opts, (kv) => ({ desired, owned: kv !== undefined && owned, once: kv !== undefined && owned }));
  }

  /**
   * update's and replace's loop. `desiredFor` gives the desired object for the live key-value
   * (undefined when missing), whether the registry owns it, and whether it is the caller's own
   * object that this attempt changes (`once`), which leaves nothing to try again with.
   */
  async #readModifyWrite(
    namespace: string | undefined,
    name: string,
    opts: WriteOptions & { allowCreate?: boolean },
    desiredFor: (kv: KeyValue | undefined, live?: KubeObject) => { desired: KubeObject; owned: boolean; once?: boolean },
  ): Promise<{ entry: Entry; created: boolean }> {
    const key = objectStoreKey(this.storageInfo, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) {
        if (!opts.allowCreate) throw new NotFoundError(this.subject(name));
        const { desired: input, owned } = desiredFor(undefined);
        const desired = owned ? input : copyJSON(input);
        const meta = (desired.metadata ??= {});
        if (meta.name && meta.name !== name) throw this.nameMismatch(meta.name, name);
        meta.name = name;
        delete meta.resourceVersion;
        try {
          return { entry: await this.create(namespace, desired, { ...opts, owned: true }), created: true };
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'AlreadyExists' && attempt < MAX_CAS_RETRIES) continue;
          throw e;
        }
      }
      const live = this.fromStorage(decode(kv));
      const { desired, owned, once } = desiredFor(kv, live);
      const pinned = desired.metadata?.resourceVersion;
      if (pinned && pinned !== String(kv.modRevision)) throw new ConflictError(this.subject(name));
      if (this.deps.admitUpdate && !opts.subresource) await this.deps.admitUpdate(desired, live);
      try {
        const entry = await this.writeUpdate(kv, live, owned ? desired : copyJSON(desired), opts);
        return { entry, created: false };
      } catch (e) {
        if (e instanceof RevisionConflictError) {
          if (pinned || attempt >= MAX_CAS_RETRIES) throw new ConflictError(this.subject(name));
          continue;
        }
        if (e instanceof KeyNotFoundError) {
          if (once || attempt >= MAX_CAS_RETRIES) throw new NotFoundError(this.subject(name));
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Writes `obj` (owned by this call, changed here) over `live`, the object at `kv`, decoded for
   * this write alone: status writes move its members into `obj` instead of copying them.
   */
  private async writeUpdate(kv: KeyValue, live: KubeObject, obj: KubeObject, opts: WriteOptions): Promise<Entry> {
    const ctx = this.deps.context();
    const name = live.metadata?.name ?? '';
    const meta = (obj.metadata ??= {});
    if (meta.name !== undefined && meta.name !== name) throw this.nameMismatch(meta.name, name);
    const liveMeta = live.metadata ?? {};
    // Fields the server owns.
    meta.name = name;
    if (this.info.namespaced) meta.namespace = liveMeta.namespace;
    meta.uid = liveMeta.uid;
    meta.creationTimestamp = liveMeta.creationTimestamp;
    meta.generation = liveMeta.generation;
    if (liveMeta.deletionTimestamp) {
      meta.deletionTimestamp = liveMeta.deletionTimestamp;
      meta.deletionGracePeriodSeconds = liveMeta.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (!meta.managedFields && liveMeta.managedFields) meta.managedFields = liveMeta.managedFields;

    let errors: FieldError[];
    if (opts.subresource === 'status') {
      if (!this.strategy.prepareForStatusUpdate) throw new BadRequestError(`${this.info.plural} has no status subresource`);
      this.strategy.prepareForStatusUpdate(obj, live, ctx);
      // As Kubernetes' ResetObjectMetaForStatus: a status write cannot change labels, annotations, finalizers or owners.
      for (const k of this.strategy.statusKeepsMetadata ?? (['labels', 'annotations', 'finalizers', 'ownerReferences'] as const)) {
        if (liveMeta[k] === undefined) delete meta[k];
        else (meta as Record<string, unknown>)[k] = liveMeta[k];
      }
      errors = [...(this.strategy.validateStatusUpdate?.(obj, live, ctx) ?? [])];
    } else if (opts.subresource === 'binding') {
      // Server-side mutation by the binding handler: only spec.nodeName and the PodScheduled condition changed.
      errors = [];
    } else if (opts.subresource === 'finalize') {
      // Namespace finalize: only spec.finalizers may change.
      const finalizers = isObject(obj.spec) ? obj.spec.finalizers : undefined;
      const keep = structuredClone(live);
      keep.metadata = obj.metadata;
      keep.spec = { ...(isObject(keep.spec) ? keep.spec : {}), finalizers: Array.isArray(finalizers) ? finalizers : [] };
      for (const k of Object.keys(obj)) delete obj[k];
      Object.assign(obj, keep);
      errors = [];
    } else {
      this.strategy.prepareForUpdate(obj, live, ctx);
      this.strategy.defaults(obj, ctx);
      errors = [...this.validateMetaUpdate(obj, live), ...this.strategy.validateUpdate(obj, live, ctx)];
      const changed = this.strategy.specChanged ? this.strategy.specChanged(obj, live) : JSON.stringify(obj.spec) !== JSON.stringify(live.spec);
      if (changed && liveMeta.generation !== undefined) meta.generation = liveMeta.generation + 1;
    }
    if (errors.length) throw new InvalidError(this.subject(name), errors);

    if (opts.subresource !== 'status') this.strategy.allocation?.reallocate(obj, live);
    try {
      this.deps.onWrite?.(live, obj, { manager: opts.fieldManager ?? 'unknown', subresource: opts.subresource, operation: opts.operation });
      const stored = this.toStorage(obj);
      // No-op updates do not create a revision (as etcd3 storage does).
      const text = encodeForStorage(stored);
      if (text === kv.value) return this.entry(kv);
      if (opts.dryRun) {
        this.strategy.allocation?.release(obj, live);
        return this.dryEntry(stored, kv.modRevision);
      }
      // Terminating object whose last finalizer went: delete it for good.
      if (meta.deletionTimestamp && !meta.deletionGracePeriodSeconds && !(meta.finalizers?.length) && !hasSpecFinalizers(obj)) {
        const res = await this.store.delete(kv.key, kv.modRevision);
        this.strategy.allocation?.release(live);
        return this.entry({ ...res.kv, value: text });
      }
      const res = await this.store.update(kv.key, text, kv.modRevision);
      this.strategy.allocation?.release(live, obj);
      return this.entry(res.kv);
    } catch (e) {
      this.strategy.allocation?.release(obj, live);
      throw e;
    }
  }

  async delete(namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    this.deps.admitDelete?.(name);
    const key = objectStoreKey(this.storageInfo, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw new NotFoundError(this.subject(name));
      const live = this.fromStorage(decode(kv));
      const lm = live.metadata ?? {};
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== lm.uid) {
        throw new ConflictError(this.subject(name), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${lm.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== lm.resourceVersion) {
        throw new ConflictError(
          this.subject(name),
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${lm.resourceVersion}`,
        );
      }
      const plan = deletionPlan(this.info, live, opts, this.deps.context().now);
      try {
        if (plan.kind === 'now') {
          if (opts.dryRun) return { entry: this.entry(kv), deleted: true };
          const res = await this.store.delete(key, kv.modRevision);
          this.strategy.allocation?.release(live);
          return { entry: this.entry(res.kv), deleted: true };
        }
        // Graceful or finalized: mark it terminating and keep it.
        const obj = plan.object;
        if (opts.dryRun) return { entry: this.dryEntry(this.toStorage(obj), kv.modRevision), deleted: false };
        const text = encodeForStorage(this.toStorage(obj));
        if (text === kv.value) return { entry: this.entry(kv), deleted: false };
        const res = await this.store.update(key, text, kv.modRevision);
        return { entry: this.entry(res.kv), deleted: false };
      } catch (e) {
        if ((e instanceof RevisionConflictError || e instanceof KeyNotFoundError) && attempt < MAX_CAS_RETRIES) continue;
        throw e;
      }
    }
  }

  async deleteCollection(namespace: string | undefined, listOpts: ListOptions, opts: DeleteOptions): Promise<Entry[]> {
    const { items } = await this.list(namespace, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    const out: Entry[] = [];
    for (const it of items) {
      try {
        const r = await this.delete(it.object.metadata?.namespace, it.object.metadata?.name ?? '', opts);
        out.push(r.entry);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'NotFound') continue;
        throw e;
      }
    }
    return out;
  }

  // ---- helpers ----

  /** The strategy, for callers that need table conversion or schema facts. */
  get strategyFor(): Strategy {
    return this.strategy;
  }

  entry(kv: KeyValue): Entry {
    return this.strategy.storage ? new ConvertedEntry(kv, this.strategy.storage) : new StoredEntry(kv);
  }

  private dryEntry(stored: KubeObject, revision: number): Entry {
    const text = encodeForStorage(stored);
    return this.entry({ key: '', value: text, createRevision: revision, modRevision: revision });
  }

  private toStorage(obj: KubeObject): KubeObject {
    const o = this.strategy.storage ? this.strategy.storage.toStorage(obj) : obj;
    const gv = groupVersion(this.storageInfo);
    return { ...o, apiVersion: gv, kind: this.storageInfo.kind };
  }

  private fromStorage(obj: KubeObject): KubeObject {
    return this.strategy.storage ? this.strategy.storage.fromStorage(obj) : obj;
  }

  private matches(obj: KubeObject, labels: Selector, fields: FieldSelector): boolean {
    if (!labels.empty && !labels.matches(obj.metadata?.labels)) return false;
    if (!fields.empty) {
      const o = this.strategy.storage ? this.strategy.storage.fromStorage(obj) : obj;
      return fields.matches((f) => this.fieldValue(o, f));
    }
    return true;
  }

  private fieldValue(obj: KubeObject, field: string): string | undefined {
    if (field === 'metadata.name') return obj.metadata?.name ?? '';
    if (field === 'metadata.namespace') return obj.metadata?.namespace ?? '';
    return this.strategy.fieldSelectors[field]?.(obj) ?? '';
  }

  private parseFields(s: string | undefined): FieldSelector {
    const sel = parseFieldSelector(s ?? '');
    for (const r of sel.requirements) {
      if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !(r.field in this.strategy.fieldSelectors)) {
        throw new BadRequestError(`field label not supported: ${r.field}`);
      }
    }
    return sel;
  }

  private validateMeta(obj: KubeObject): FieldError[] {
    const nameFn = this.info.plural === 'namespaces' || this.info.plural === 'services' ? isDNS1123Label : isDNS1123Subdomain;
    const errs = validateObjectMeta(obj.metadata, { namespaced: this.info.namespaced, nameFn });
    if (this.info.plural === 'services') {
      const name = obj.metadata?.name ?? '';
      if (name && /^[0-9]/.test(name) && !errs.some((e) => e.field === 'metadata.name')) {
        errs.push(invalid('metadata.name', name, 'a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')'));
      }
    }
    return errs;
  }

  private validateMetaUpdate(obj: KubeObject, live: KubeObject): FieldError[] {
    return [...this.validateMeta(obj), ...validateObjectMetaUpdate(obj.metadata, live.metadata)];
  }

  private nameMismatch(bodyName: string, urlName: string): ApiError {
    return new BadRequestError(`the name of the object (${bodyName}) does not match the name on the URL (${urlName})`);
  }

  private translateReadError(e: unknown, forContinue: boolean): unknown {
    if (e instanceof CompactedError) {
      return new GoneError(
        forContinue
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'
          : `too old resource version: ${e.requested} (${e.compacted})`,
      );
    }
    if (e instanceof FutureRevisionError) return new TimeoutError(`Too large resource version: ${e.requested}, current: ${e.current}`);
    return e;
  }
}

function hasSpecFinalizers(obj: KubeObject): boolean {
  const spec = obj.spec;
  return isObject(spec) && Array.isArray(spec.finalizers) && spec.finalizers.length > 0 && obj.kind === 'Namespace';
}

function parseSelectorOrEmpty(s: string | undefined): Selector {
  return parseLabelSelector(s ?? '');
}

export function parseRV(s: string): number {
  if (!/^\d+$/.test(s)) throw new BadRequestError(`invalid resource version "${s}"`);
  return Number(s);
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
export function generateName(base: string): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return `${base.slice(0, 58)}${s}`;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'skiff.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string, prefix: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (t.v === 'skiff.io/v1' && typeof t.rv === 'number' && typeof t.start === 'string' && t.start.startsWith(prefix)) {
      return { rv: t.rv, start: t.start };
    }
  } catch {
    // fall through
  }
  throw new BadRequestError('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

// Entries are classes rather than object literals with getters: a literal with accessors is
// created through V8's slow path, and every read and list makes one per object.

/** An Entry of a kind stored as it is served: `json` is the stored text with resourceVersion spliced in. */
class StoredEntry implements Entry {
  #json: string | undefined;
  constructor(readonly kv: KeyValue) {}
  get object(): KubeObject {
    return decodeShared(this.kv);
  }
  get json(): string {
    return (this.#json ??= withResourceVersion(this.kv.value, this.kv.modRevision));
  }
  get jsonPieces(): readonly (string | undefined)[] {
    return this.#json === undefined ? withResourceVersionPieces(this.kv.value, this.kv.modRevision) : [this.#json];
  }
}

/** An Entry of a kind whose stored form differs from what is served (Strategy.storage). */
class ConvertedEntry implements Entry {
  #object: KubeObject | undefined;
  #json: string | undefined;
  constructor(
    readonly kv: KeyValue,
    private readonly conv: NonNullable<Strategy['storage']>,
  ) {}
  get object(): KubeObject {
    return (this.#object ??= this.conv.fromStorage(decode(this.kv)));
  }
  get json(): string {
    return (this.#json ??= JSON.stringify(this.object));
  }
  get jsonPieces(): readonly (string | undefined)[] {
    return [this.json];
  }
}

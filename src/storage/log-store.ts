// The Store semantics shared by the embedded drivers: latest state in a KeyIndex, writes through
// group commit into a RevisionLog, watches fed by a WatchHub. The index, the revision and the
// watchers change only after the log has made a batch durable, so readers never see a write that
// could still be lost.
import { GroupCommit, type Outcomes } from './group-commit.js';
import { KeyIndex } from './key-index.js';
import { checkLimit, checkReadRevision, checkWatchRevision } from './revision-bounds.js';
import type { RecoveredState, RevisionLog } from './revision-log.js';
import {
  FutureRevisionError,
  StoreClosedError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchEvent,
  type WatchHandle,
  type WriteResult,
} from './store.js';
import { WatchHub } from './watch-hub.js';
import { planBatch, type WriteOp } from './write-batch.js';

export interface LogStoreOptions {
  /** most writes committed in one log append; default DEFAULT_MAX_BATCH (1000) */
  readonly maxBatch?: number;
}

export class LogStore implements Store {
  readonly #log: RevisionLog;
  readonly #index: KeyIndex;
  readonly #hub = new WatchHub();
  readonly #writes: GroupCommit;
  #revision: number;
  #compacted: number;
  #closed = false;
  #refuseWrites = false;
  #closing: Promise<void> | undefined;

  constructor(log: RevisionLog, recovered: RecoveredState, options: LogStoreOptions = {}) {
    this.#log = log;
    this.#index = KeyIndex.from(recovered.kvs);
    this.#revision = recovered.revision;
    this.#compacted = recovered.compacted;
    this.#writes = new GroupCommit((ops) => this.#commit(ops), options);
  }

  currentRevision(): number {
    return this.#revision;
  }

  compactedRevision(): number {
    return this.#compacted;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#checkOpen();
    return this.#index.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    checkLimit(opts.limit);
    const revision = opts.revision || this.#revision;
    checkReadRevision(revision, this.#compacted, this.#revision);
    const range =
      revision === this.#revision
        ? this.#index.range(prefix, opts.startKey, opts.limit)
        : this.#index.rangeAt(prefix, opts.startKey, opts.limit, this.#log.statesAt(prefix, revision));
    return { ...range, revision };
  }

  async count(prefix: string): Promise<number> {
    this.#checkOpen();
    return this.#index.count(prefix);
  }

  create(key: string, value: string): Promise<WriteResult> {
    return this.#submit({ kind: 'create', key, value });
  }

  update(key: string, value: string, expectedRevision: number): Promise<WriteResult> {
    return this.#submit({ kind: 'update', key, value, expectedRevision });
  }

  delete(key: string, expectedRevision?: number): Promise<WriteResult> {
    return this.#submit({ kind: 'delete', key, expectedRevision });
  }

  watch(prefix: string, afterRevision: number, onEvents: (events: readonly WatchEvent[]) => void): WatchHandle {
    this.#checkOpen();
    checkWatchRevision(afterRevision, this.#compacted, this.#revision);
    // The log may already hold a batch whose fsync is in flight: it is not published yet, and
    // reaches this watch through the hub once it is.
    const replay = afterRevision < this.#revision ? this.#log.eventsAfter(prefix, afterRevision).filter((e) => e.revision <= this.#revision) : [];
    return this.#hub.add(prefix, replay, onEvents);
  }

  /** Idempotent: a revision at or below compactedRevision() only finishes pending pruning. */
  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    if (!Number.isInteger(revision) || revision < 0) {
      throw new RangeError(`revision: expected a non-negative integer, got ${revision}`);
    }
    if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
    if (revision > this.#compacted) {
      this.#log.markCompacted(revision);
      this.#compacted = revision;
    }
    await this.#log.prune();
  }

  /** Commits the writes already submitted (later ones fail with StoreClosedError), stops every watch, then releases the log. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#refuseWrites = true;
      await this.#writes.flush();
      this.#closed = true;
      this.#hub.cancelAll();
      this.#log.close();
    })();
    return this.#closing;
  }

  /** The number of active watches (for metrics and leak checks in tests). */
  get watchCount(): number {
    return this.#hub.size;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  #submit(op: WriteOp): Promise<WriteResult> {
    if (this.#refuseWrites) return Promise.reject(new StoreClosedError());
    return this.#writes.submit(op);
  }

  /** Plans ops on the durable state, makes them durable, then applies and publishes them (GroupCommit runs one at a time). */
  #commit(ops: readonly WriteOp[]): Outcomes | Promise<Outcomes> {
    const plan = planBatch(ops, (key) => this.#index.get(key), this.#revision);
    if (plan.events.length === 0) return plan.outcomes;
    const apply = (): Outcomes => {
      this.#index.apply(plan.changes);
      this.#revision = plan.revision;
      this.#hub.publish(plan.events);
      return plan.outcomes;
    };
    const durable = this.#log.append(plan.events);
    return durable ? durable.then(apply) : apply();
  }
}

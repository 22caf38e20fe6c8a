// The Store contract: a revisioned key-value store with etcd semantics (see DESIGN.md, modelled
// on what kine offers k3s). Every driver (memory, sqlite, later etcd) implements this interface
// and passes the one contract suite in store-contract.ts.
//
// - Every successful write gets the next global revision (1, 2, 3, ... with no reuse).
// - Keys are strings like `/registry/pods/default/web-1`; values are opaque strings (JSON text).
// - `update` and `delete` are compare-and-swap on the key's modRevision.
// - `watch(prefix, afterRevision)` delivers every event with revision > afterRevision, in
//   revision order, with no gaps: first the history, then live events.
// - After `compact(rev)`, reads and watches that need history before `rev` fail with
//   CompactedError (the apiserver answers 410 Gone).
// - A write's promise resolves only after the write is durable (for sqlite: committed to disk).

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** revision at which the key was created (since its last deletion) */
  readonly createRevision: number;
  /** revision of the last write to the key */
  readonly modRevision: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  readonly type: WatchEventType;
  /** the revision of this event (for delete: the revision of the deletion) */
  readonly revision: number;
  /** the key-value after the event; for delete: the value as it was before deletion, with modRevision = revision of deletion */
  readonly kv: KeyValue;
  /** the previous value, for update and delete */
  readonly prevKv?: KeyValue;
}

export interface ListOptions {
  /** only keys >= startKey (used for pagination: continue tokens) */
  readonly startKey?: string;
  /** at most this many keys; `more` tells whether more exist */
  readonly limit?: number;
  /** read as of this revision (must be >= compacted revision and <= current); 0/undefined = latest */
  readonly revision?: number;
}

export interface ListResult {
  readonly kvs: KeyValue[];
  /** the revision the list reflects */
  readonly revision: number;
  /** true when limit cut the result */
  readonly more: boolean;
  /** number of keys under the prefix from startKey at that revision, including the returned ones */
  readonly count: number;
}

export interface WriteResult {
  readonly revision: number;
  readonly kv: KeyValue;
}

export interface WatchHandle {
  /** stops delivering events; idempotent */
  cancel(): void;
}

export interface Store {
  /** The revision of the latest write (0 for an empty store). */
  currentRevision(): number;
  /** The oldest revision whose history is still kept (0 if nothing was compacted). */
  compactedRevision(): number;

  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Counts the keys under a prefix at the latest revision. */
  count(prefix: string): Promise<number>;

  /** Fails with KeyExistsError if the key exists. */
  create(key: string, value: string): Promise<WriteResult>;
  /**
   * Replaces the value if the key's modRevision equals expectedRevision.
   * Fails with KeyNotFoundError if missing, RevisionConflictError (carrying the current kv) if changed.
   */
  update(key: string, value: string, expectedRevision: number): Promise<WriteResult>;
  /**
   * Deletes the key; with expectedRevision, only if its modRevision matches.
   * Fails with KeyNotFoundError / RevisionConflictError. Resolves with the deleted kv.
   */
  delete(key: string, expectedRevision?: number): Promise<WriteResult>;

  /**
   * Streams events under prefix with revision > afterRevision, in order, batched.
   * Throws CompactedError synchronously if afterRevision < compactedRevision() - 1
   * (history after afterRevision is no longer complete), FutureRevisionError if afterRevision > currentRevision().
   * onEvents is called synchronously from the store's event loop turn; it must not throw.
   */
  watch(prefix: string, afterRevision: number, onEvents: (events: readonly WatchEvent[]) => void): WatchHandle;

  /** Drops history before revision (keeps the latest value of every key). */
  compact(revision: number): Promise<void>;

  /** Finishes pending writes, then closes. Further calls fail. */
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
    this.name = 'KeyExistsError';
  }
}

export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
    this.name = 'KeyNotFoundError';
  }
}

export class RevisionConflictError extends Error {
  constructor(
    readonly key: string,
    readonly current: KeyValue,
  ) {
    super(`revision conflict on ${key}: current modRevision ${current.modRevision}`);
    this.name = 'RevisionConflictError';
  }
}

export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (oldest kept: ${compacted})`);
    this.name = 'CompactedError';
  }
}

export class FutureRevisionError extends Error {
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`required revision ${requested} is a future revision (current: ${current})`);
    this.name = 'FutureRevisionError';
  }
}

export class StoreClosedError extends Error {
  constructor() {
    super('store is closed');
    this.name = 'StoreClosedError';
  }
}

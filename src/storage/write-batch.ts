// The write semantics every driver shares: how one create/update/delete turns the current state of
// its key into a watch event, and how a batch of writes gets consecutive revisions. Pure: drivers
// persist the planned batch and then apply `changes` to their state.
import type { KeyStates } from './key-index.js';
import {
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  type KeyValue,
  type WatchEvent,
  type WriteResult,
} from './store.js';

export type WriteOp =
  | { readonly kind: 'create'; readonly key: string; readonly value: string }
  | { readonly kind: 'update'; readonly key: string; readonly value: string; readonly expectedRevision: number }
  | { readonly kind: 'delete'; readonly key: string; readonly expectedRevision?: number };

export interface AppliedWrite {
  readonly result: WriteResult;
  readonly event: WatchEvent;
}

/**
 * Applies one write to the current kv of its key at the given revision. Returns the error the
 * write fails with (KeyExistsError, KeyNotFoundError, RevisionConflictError) instead of throwing.
 * A delete resolves with the deleted kv as it was (modRevision = its last write, as Kubernetes
 * returns a deleted object); its watch event carries modRevision = the deletion's revision.
 */
export function applyWrite(op: WriteOp, current: KeyValue | undefined, revision: number): AppliedWrite | Error {
  const { key } = op;
  switch (op.kind) {
    case 'create': {
      if (current) return new KeyExistsError(key);
      const kv: KeyValue = { key, value: op.value, createRevision: revision, modRevision: revision };
      return { result: { revision, kv }, event: { type: 'create', revision, kv } };
    }
    case 'update': {
      if (!current) return new KeyNotFoundError(key);
      if (current.modRevision !== op.expectedRevision) return new RevisionConflictError(key, current);
      const kv: KeyValue = { key, value: op.value, createRevision: current.createRevision, modRevision: revision };
      return { result: { revision, kv }, event: { type: 'update', revision, kv, prevKv: current } };
    }
    case 'delete': {
      if (!current) return new KeyNotFoundError(key);
      if (op.expectedRevision !== undefined && current.modRevision !== op.expectedRevision) {
        return new RevisionConflictError(key, current);
      }
      const kv: KeyValue = { ...current, modRevision: revision };
      return { result: { revision, kv: current }, event: { type: 'delete', revision, kv, prevKv: current } };
    }
  }
}

export interface PlannedBatch {
  /** per op, in op order: its result or the error it fails with */
  readonly outcomes: readonly (WriteResult | Error)[];
  /** the successful writes, in revision order */
  readonly events: readonly WatchEvent[];
  /** the new state of every key the batch wrote: its kv, or null if deleted */
  readonly changes: KeyStates;
  /** the revision of the last write (unchanged when every op failed) */
  readonly revision: number;
}

/**
 * Plans ops in order on top of `lookup` (the state at `revision`): each successful write gets the
 * next revision and is seen by the later ops of the batch; failed ops take no revision.
 */
export function planBatch(
  ops: readonly WriteOp[],
  lookup: (key: string) => KeyValue | undefined,
  revision: number,
): PlannedBatch {
  const outcomes: (WriteResult | Error)[] = [];
  const events: WatchEvent[] = [];
  const changes = new Map<string, KeyValue | null>();
  let rev = revision;
  for (const op of ops) {
    const current = changes.has(op.key) ? (changes.get(op.key) ?? undefined) : lookup(op.key);
    const applied = applyWrite(op, current, rev + 1);
    if (applied instanceof Error) {
      outcomes.push(applied);
      continue;
    }
    rev++;
    outcomes.push(applied.result);
    events.push(applied.event);
    changes.set(op.key, applied.event.type === 'delete' ? null : applied.event.kv);
  }
  return { outcomes, events, changes, revision: rev };
}

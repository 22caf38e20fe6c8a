// What a driver persists: the history of writes, one WatchEvent per revision. LogStore keeps the
// latest state in memory and asks the log only for durability, history and past state; a driver
// is a RevisionLog (array for memory, a table for sqlite) plus how to open it.
import type { KeyStates } from './key-index.js';
import type { KeyValue, WatchEvent } from './store.js';

/** The state a log was opened with. */
export interface RecoveredState {
  /** the latest kv of every live key, in any order */
  readonly kvs: Iterable<KeyValue>;
  /** the revision of the last write (0 if none) */
  readonly revision: number;
  /** the oldest revision whose history is kept (0 if never compacted) */
  readonly compacted: number;
}

export interface RevisionLog {
  /**
   * Appends a batch of events with consecutive revisions following the last appended one; returns
   * once they are durable, or returns a promise that resolves once they are (the caller issues
   * no other append meanwhile). Throws if the batch could not be written, and then none of it
   * was. A rejected promise means the batch was written but not made durable: the log is then
   * ahead of its caller, whose later appends fail (as a failed fsync is fatal to databases).
   */
  append(events: readonly WatchEvent[]): void | Promise<void>;

  /** The events under prefix with revision > after, in revision order; after >= compacted - 1. */
  eventsAfter(prefix: string, after: number): WatchEvent[];

  /**
   * For every key under prefix written after `revision`: its kv at `revision`, or null if it did
   * not exist then. Keys not written since are not included. revision >= compacted - 1.
   */
  statesAt(prefix: string, revision: number): KeyStates;

  /**
   * Durably records that history before `revision` may be dropped; the caller has already checked
   * that revision is newer than the recorded one and not newer than the last write.
   */
  markCompacted(revision: number): void;

  /**
   * Drops the history that the recorded compacted revision allows dropping, keeping the state at
   * compacted - 1 and every later event. May work in steps across event loop turns; resumes
   * after a restart; stops early (without error) when the log is closed.
   */
  prune(): Promise<void>;

  /** Releases the log; no call may follow. */
  close(): void;
}

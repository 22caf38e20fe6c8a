// The memory driver: the whole history in an array. For tests and throwaway clusters; nothing
// survives the process.
import type { KeyStates } from './key-index.js';
import { LogStore, type LogStoreOptions } from './log-store.js';
import type { RevisionLog } from './revision-log.js';
import type { KeyValue, WatchEvent } from './store.js';

export type MemoryStoreOptions = LogStoreOptions;

export class MemoryStore extends LogStore {
  constructor(options: MemoryStoreOptions = {}) {
    super(new MemoryLog(), { kvs: [], revision: 0, compacted: 0 }, options);
  }
}

/** History as an array of events, one per revision from the compacted revision on. */
class MemoryLog implements RevisionLog {
  #events: WatchEvent[] = [];
  #compacted = 0;

  append(events: readonly WatchEvent[]): void {
    for (const event of events) this.#events.push(event);
  }

  eventsAfter(prefix: string, after: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let i = this.#firstAfter(after); i < this.#events.length; i++) {
      const event = this.#events[i];
      if (event.kv.key.startsWith(prefix)) out.push(event);
    }
    return out;
  }

  statesAt(prefix: string, revision: number): KeyStates {
    const states = new Map<string, KeyValue | null>();
    // Newest first, so the state before a key's oldest change since `revision` is what remains.
    for (let i = this.#events.length - 1; i >= 0 && this.#events[i].revision > revision; i--) {
      const event = this.#events[i];
      if (event.kv.key.startsWith(prefix)) states.set(event.kv.key, event.prevKv ?? null);
    }
    return states;
  }

  markCompacted(revision: number): void {
    this.#compacted = revision;
  }

  async prune(): Promise<void> {
    // An event's prevKv carries the older state it needs, so events before the compacted
    // revision can all go.
    const keepFrom = this.#firstAfter(this.#compacted - 1);
    if (keepFrom > 0) this.#events.splice(0, keepFrom);
  }

  close(): void {
    this.#events = [];
  }

  /** The position of the first event with revision > after. */
  #firstAfter(after: number): number {
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#events[mid].revision <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// The live side of Store.watch: every watcher first gets its replayed history, then every published
// event under its prefix, in revision order, with nothing skipped or repeated.
import type { WatchEvent, WatchHandle } from './store.js';

type OnEvents = (events: readonly WatchEvent[]) => void;

interface Watcher {
  readonly prefix: string;
  readonly onEvents: OnEvents;
  /** events waiting for the first delivery (the replay); undefined once it happened */
  pending: WatchEvent[] | undefined;
  cancelled: boolean;
}

export class WatchHub {
  readonly #watchers = new Set<Watcher>();

  get size(): number {
    return this.#watchers.size;
  }

  /**
   * Adds a watcher. `replay` must hold exactly the events under prefix after the watcher's
   * starting revision up to the store's current revision, in order; later events must come
   * through publish. The replay is delivered in a microtask, so onEvents never runs before
   * watch() has returned the handle; events published meanwhile are queued behind it.
   */
  add(prefix: string, replay: WatchEvent[], onEvents: OnEvents): WatchHandle {
    const watcher: Watcher = { prefix, onEvents, pending: replay, cancelled: false };
    this.#watchers.add(watcher);
    queueMicrotask(() => {
      const events = watcher.pending ?? [];
      watcher.pending = undefined;
      if (events.length > 0) deliver(watcher, events);
    });
    return {
      cancel: () => {
        watcher.cancelled = true;
        watcher.pending = undefined;
        this.#watchers.delete(watcher);
      },
    };
  }

  /** Delivers a committed batch (in revision order) to every watcher whose prefix matches. */
  publish(events: readonly WatchEvent[]): void {
    if (events.length === 0 || this.#watchers.size === 0) return;
    for (const watcher of [...this.#watchers]) {
      const matching = watcher.prefix === '' ? events : events.filter((e) => e.kv.key.startsWith(watcher.prefix));
      if (matching.length === 0) continue;
      if (watcher.pending) watcher.pending.push(...matching);
      else deliver(watcher, matching);
    }
  }

  /** Stops every watcher; they get no further events. */
  cancelAll(): void {
    for (const watcher of this.#watchers) {
      watcher.cancelled = true;
      watcher.pending = undefined;
    }
    this.#watchers.clear();
  }
}

// onEvents must not throw (Store.watch). If it does, that bug surfaces as an uncaught exception
// rather than breaking delivery to the other watchers or the writers whose commit published it.
function deliver(watcher: Watcher, events: readonly WatchEvent[]): void {
  if (watcher.cancelled) return;
  try {
    watcher.onEvents(events);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

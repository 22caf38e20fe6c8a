// The Compactor component: keeps store history bounded under churn. Every interval it compacts
// the store to currentRevision - keep (pruning the superseded history), and every few runs it lets
// stores that can shrink their files (sqlite) return the freed space.
//
// Defaults: keep = 1000 revisions (kine's minimum retention), interval = 5 minutes (the
// apiserver's etcd compaction interval). Watchers and paginated lists older than the kept history
// get CompactedError (410 Gone) and relist, as Kubernetes clients do.
import { StoreClosedError, type Store } from './store.js';

export const DEFAULT_COMPACTION_KEEP = 1000;
export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;
/** reclaimSpace runs after every this many compactions (hourly with the default interval) */
export const DEFAULT_RECLAIM_EVERY_RUNS = 12;

/** Runs fn once after ms; returns a function that cancels it if it has not run yet. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export interface CompactorOptions {
  /** revisions of history kept behind the current revision; default DEFAULT_COMPACTION_KEEP */
  readonly keep?: number;
  /** time between the end of a run and the next; default DEFAULT_COMPACTION_INTERVAL_MS */
  readonly intervalMs?: number;
  /** runs between two reclaimSpace calls; default DEFAULT_RECLAIM_EVERY_RUNS */
  readonly reclaimEveryRuns?: number;
  /** the timer; default setTimeout */
  readonly schedule?: Schedule;
  /** receives the error of a failed run (the compactor keeps going); default: one line on stderr */
  readonly onError?: (err: unknown) => void;
}

export interface CompactionRun {
  /** the revision compacted to, or undefined if history was still within `keep` */
  readonly compactedTo: number | undefined;
  /** whether this run reclaimed file space */
  readonly reclaimed: boolean;
}

/** A store that can return space freed by compaction to the file system (SqliteStore). */
interface SpaceReclaiming {
  reclaimSpace(): Promise<void>;
}

export class Compactor {
  readonly #store: Store;
  readonly #keep: number;
  readonly #intervalMs: number;
  readonly #reclaimEveryRuns: number;
  readonly #schedule: Schedule;
  readonly #onError: (err: unknown) => void;
  #cancelTimer: (() => void) | undefined;
  #running: Promise<unknown> | undefined;
  #started = false;
  #runs = 0;
  #detach: (() => void) | undefined;

  constructor(store: Store, options: CompactorOptions = {}) {
    this.#store = store;
    this.#keep = positiveInteger('keep', options.keep ?? DEFAULT_COMPACTION_KEEP, 0);
    this.#intervalMs = positiveInteger('intervalMs', options.intervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS, 1);
    this.#reclaimEveryRuns = positiveInteger('reclaimEveryRuns', options.reclaimEveryRuns ?? DEFAULT_RECLAIM_EVERY_RUNS, 1);
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#onError = options.onError ?? logError;
  }

  /** Starts the periodic runs (the first one interval from now) until stop() or signal aborts. */
  start(signal?: AbortSignal): void {
    if (this.#started) throw new Error('compactor: already started');
    if (signal?.aborted) return;
    this.#started = true;
    if (signal) {
      const onAbort = (): void => void this.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.#arm();
  }

  /** Cancels the timer and waits for a run in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#detach?.();
    this.#detach = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One compaction now (also what the timer runs). Rejects with the store's error. */
  runOnce(): Promise<CompactionRun> {
    const run = this.#compact();
    this.#running = run;
    return run;
  }

  async #compact(): Promise<CompactionRun> {
    const target = this.#store.currentRevision() - this.#keep;
    let compactedTo: number | undefined;
    if (target > this.#store.compactedRevision()) {
      await this.#store.compact(target);
      compactedTo = target;
    }
    this.#runs++;
    const store = this.#store;
    const reclaim = this.#runs % this.#reclaimEveryRuns === 0 && canReclaimSpace(store);
    if (reclaim) await store.reclaimSpace();
    return { compactedTo, reclaimed: reclaim };
  }

  #arm(): void {
    this.#cancelTimer = this.#schedule(() => {
      this.#cancelTimer = undefined;
      this.runOnce().then(
        () => this.#rearm(),
        (err: unknown) => {
          if (err instanceof StoreClosedError) return;
          this.#onError(err);
          this.#rearm();
        },
      );
    }, this.#intervalMs);
  }

  #rearm(): void {
    if (this.#started) this.#arm();
  }
}

function canReclaimSpace(store: Store): store is Store & SpaceReclaiming {
  return typeof (store as Partial<SpaceReclaiming>).reclaimSpace === 'function';
}

/** setTimeout as a Schedule (the timed store components' default). */
export function defaultSchedule(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

function logError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`storage compactor: run failed: ${JSON.stringify(message)}\n`);
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name}: expected an integer >= ${min}, got ${value}`);
  }
  return value;
}

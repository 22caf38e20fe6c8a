// The KeyExpiry component: the keys under one prefix live `ttl` after their last write, as the
// keys kube-apiserver writes with an etcd lease do (Events: `--event-ttl`, 1 h by default).
// Without it Events pile up for ever: each restart of 10,000 simulated pods adds ~30,000, and the
// store keeps every live key's value in memory.
//
// How: the component watches the prefix and notes, per key, when it was last written and at
// which revision; every sweep deletes the keys whose time is up, each with compare-and-swap on
// the revision it saw (a key written again meanwhile stays: the watch re-arms it). Deletes go to
// the store itself, as a lease's expiry does in etcd, so every watcher sees them as DELETED.
// The store keeps no write times: a key already there at start is timed from what `writtenAt`
// reads in its value (an Event's lastTimestamp...), else from the start.
// At most `maxDeletesPerSweep` per sweep (etcd also revokes expired leases at a bounded rate);
// a sweep that left some behind runs again after `backlogIntervalMs`.
import { KeyNotFoundError, RevisionConflictError, StoreClosedError, type Store, type WatchHandle } from './store.js';
import { defaultSchedule, type Schedule } from './compactor.js';

export interface KeyExpiryOptions {
  /** the keys that expire: every key starting with it */
  readonly prefix: string;
  /** how long a key lives after its last write, ms (> 0) */
  readonly ttlMs: number;
  /** wall clock, ms; default Date.now */
  readonly now?: () => number;
  /** the timer; default setTimeout */
  readonly schedule?: Schedule;
  /** time between sweeps; default a tenth of the TTL, within 1 s–60 s */
  readonly sweepIntervalMs?: number;
  /** deletes per sweep at most; default 1,000 */
  readonly maxDeletesPerSweep?: number;
  /** time to the next sweep when one left expired keys behind; default 1 s */
  readonly backlogIntervalMs?: number;
  /** receives a failed delete or sweep (the component keeps going); default: one line on stderr */
  readonly onError?: (err: unknown) => void;
  /** when a key found at start was last written (ms), as its value tells; undefined: unknown (timed from start) */
  readonly writtenAt?: (value: string) => number | undefined;
}

interface Lease {
  /** when the key expires, ms */
  readonly at: number;
  /** the revision of the write that set `at` */
  readonly revision: number;
}

export class KeyExpiry {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #schedule: Schedule;
  readonly #sweepIntervalMs: number;
  readonly #maxDeletes: number;
  readonly #backlogIntervalMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #writtenAt: ((value: string) => number | undefined) | undefined;
  readonly #leases = new Map<string, Lease>();
  #watch: WatchHandle | undefined;
  #cancelTimer: (() => void) | undefined;
  #sweeping: Promise<unknown> | undefined;
  #started = false;
  #detach: (() => void) | undefined;

  constructor(store: Store, options: KeyExpiryOptions) {
    if (!(options.ttlMs > 0)) throw new Error(`key expiry: ttlMs must be > 0, got ${options.ttlMs}`);
    this.#store = store;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? Math.min(60_000, Math.max(1_000, Math.round(options.ttlMs / 10)));
    this.#maxDeletes = options.maxDeletesPerSweep ?? 1_000;
    this.#backlogIntervalMs = options.backlogIntervalMs ?? 1_000;
    this.#onError = options.onError ?? logError;
    this.#writtenAt = options.writtenAt;
  }

  /** Lists the prefix, watches it from there, and sweeps every interval until stop() or signal aborts. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#started) throw new Error('key expiry: already started');
    if (signal?.aborted) return;
    this.#started = true;
    const listed = await this.#store.list(this.#prefix);
    if (signal?.aborted || !this.#started) {
      this.#started = false;
      return;
    }
    const now = this.#now();
    for (const kv of listed.kvs) {
      // a write time read from the value, at most ttl ago (older: due now); none from the future
      const written = this.#writtenAt?.(kv.value);
      const from = written === undefined || !(written <= now) ? now : Math.max(written, now - this.#ttlMs);
      this.#leases.set(kv.key, { at: from + this.#ttlMs, revision: kv.modRevision });
    }
    this.#watch = this.#store.watch(this.#prefix, listed.revision, (events) => {
      const at = this.#now() + this.#ttlMs;
      for (const ev of events) {
        if (ev.type === 'delete') this.#leases.delete(ev.kv.key);
        else this.#leases.set(ev.kv.key, { at, revision: ev.kv.modRevision });
      }
    });
    if (signal) {
      const onAbort = (): void => void this.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.#arm(this.#sweepIntervalMs);
  }

  /** Stops the watch and the timer and waits for a sweep in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#watch?.cancel();
    this.#watch = undefined;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#detach?.();
    this.#detach = undefined;
    await this.#sweeping?.catch(() => undefined);
  }

  /** Keys the component is timing. */
  size(): number {
    return this.#leases.size;
  }

  /** One sweep now (also what the timer runs): deletes up to maxDeletesPerSweep expired keys; resolves how many it deleted and whether expired ones are left. */
  sweepOnce(): Promise<{ deleted: number; backlog: boolean }> {
    const run = this.#sweep();
    this.#sweeping = run;
    return run;
  }

  async #sweep(): Promise<{ deleted: number; backlog: boolean }> {
    const now = this.#now();
    const due: [string, Lease][] = [];
    let backlog = false;
    for (const entry of this.#leases) {
      if (entry[1].at > now) continue;
      if (due.length === this.#maxDeletes) {
        backlog = true;
        break;
      }
      due.push(entry);
    }
    // all at once, so the store commits them together (one after another, each would be a commit of its own)
    const results = await Promise.allSettled(due.map(([key, lease]) => this.#store.delete(key, lease.revision)));
    let deleted = 0;
    let closed: unknown;
    results.forEach((r, i) => {
      const [key, lease] = due[i]!;
      const err: unknown = r.status === 'rejected' ? r.reason : undefined;
      if (err instanceof StoreClosedError) closed = err;
      // deleted, or already gone: no longer timed (written again: the watch has re-armed it)
      else if (err === undefined || err instanceof KeyNotFoundError) {
        if (err === undefined) deleted++;
        if (this.#leases.get(key) === lease) this.#leases.delete(key);
      } else if (!(err instanceof RevisionConflictError)) this.#onError(err);
    });
    if (closed) throw closed;
    return { deleted, backlog };
  }

  #arm(ms: number): void {
    this.#cancelTimer = this.#schedule(() => {
      this.#cancelTimer = undefined;
      this.sweepOnce().then(
        (r) => this.#rearm(r.backlog ? this.#backlogIntervalMs : this.#sweepIntervalMs),
        (err: unknown) => {
          if (err instanceof StoreClosedError) return;
          this.#onError(err);
          this.#rearm(this.#sweepIntervalMs);
        },
      );
    }, ms);
  }

  #rearm(ms: number): void {
    if (this.#started) this.#arm(ms);
  }
}

function logError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`key expiry: ${JSON.stringify(message)}\n`);
}

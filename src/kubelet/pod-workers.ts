// One worker per pod (by uid): syncs of a pod never overlap, requests that arrive while a sync
// runs collapse into one more sync after it, and a pod can ask to be looked at again at a given
// time (back-off expiry, readiness delay, active deadline) — one timer per pod, the earliest wins.
// Different pods sync concurrently. A sync that throws is retried after a per-pod back-off.
import type { Clock, TimerHandle } from '../client/clock.js';

/** Retry delays after a failed sync: doubled from the first up to the max. */
export const SYNC_RETRY_INITIAL_MS = 1_000;
export const SYNC_RETRY_MAX_MS = 60_000;

interface Worker {
  running: boolean;
  dirty: boolean;
  wakeAt?: number;
  timer?: TimerHandle;
  retryMs: number;
  forgotten: boolean;
  done?: Promise<void>;
}

export interface PodWorkersOptions {
  readonly clock: Clock;
  /** syncs one pod; throwing schedules a retry */
  readonly sync: (uid: string) => Promise<void>;
  readonly log: (line: string) => void;
}

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private stopped = false;

  constructor(private readonly opts: PodWorkersOptions) {}

  /** Asks for a sync of the pod as soon as possible. */
  enqueue(uid: string): void {
    if (this.stopped) return;
    const w = this.worker(uid);
    w.forgotten = false;
    if (w.running) {
      w.dirty = true;
      return;
    }
    w.running = true;
    w.done = this.run(uid, w);
  }

  /** Asks for a sync at `at` (ms since the epoch), unless an earlier one is already planned. */
  wakeAt(uid: string, at: number): void {
    if (this.stopped) return;
    const w = this.worker(uid);
    if (w.wakeAt !== undefined && w.wakeAt <= at) return;
    w.timer?.cancel();
    w.wakeAt = at;
    w.timer = this.opts.clock.setTimeout(() => {
      w.wakeAt = undefined;
      w.timer = undefined;
      this.enqueue(uid);
    }, Math.max(0, at - this.opts.clock.now()));
  }

  /** Forgets the pod's worker (after its last sync): pending wake-ups are cancelled. */
  forget(uid: string): void {
    const w = this.workers.get(uid);
    if (!w) return;
    w.timer?.cancel();
    w.timer = undefined;
    w.wakeAt = undefined;
    w.dirty = false;
    w.forgotten = true;
    if (!w.running) this.workers.delete(uid);
  }

  /** Uids with a worker. */
  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** Stops taking work; resolves when running syncs have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.workers.values()) w.timer?.cancel();
    await Promise.all([...this.workers.values()].map((w) => w.done));
  }

  private worker(uid: string): Worker {
    let w = this.workers.get(uid);
    if (!w) this.workers.set(uid, (w = { running: false, dirty: false, retryMs: SYNC_RETRY_INITIAL_MS, forgotten: false }));
    return w;
  }

  private async run(uid: string, w: Worker): Promise<void> {
    do {
      w.dirty = false;
      try {
        await this.opts.sync(uid);
        w.retryMs = SYNC_RETRY_INITIAL_MS;
      } catch (e) {
        const delay = w.retryMs;
        w.retryMs = Math.min(SYNC_RETRY_MAX_MS, w.retryMs * 2);
        this.opts.log(`sync of pod ${uid} failed, retrying in ${delay}ms: ${e instanceof Error ? e.message : String(e)}`);
        if (!this.stopped) this.wakeAt(uid, this.opts.clock.now() + delay);
      }
    } while (w.dirty && !this.stopped);
    w.running = false;
    if (w.forgotten && this.workers.get(uid) === w) this.workers.delete(uid);
  }
}

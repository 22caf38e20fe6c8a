// Group commit: writes submitted while the previous commit is in flight (or during one event loop
// turn) are committed together, in submission order, by one call of the driver's commit function
// (one transaction, one fsync for sqlite). At most one commit is in flight: when the commit
// function is asynchronous (sqlite's fsync runs on the thread pool), the event loop serves the
// next requests meanwhile, and their writes form the next, larger batch.
import type { WriteOp } from './write-batch.js';
import type { WriteResult } from './store.js';

export type Outcomes = readonly (WriteResult | Error)[];

/**
 * Commits ops in order and returns (or resolves with) one outcome per op (its result or its
 * error), once the batch is durable and its watch events are published. It throws (rejects) only
 * when the whole batch failed.
 */
export type CommitFn = (ops: readonly WriteOp[]) => Outcomes | Promise<Outcomes>;

/** Largest number of writes committed in one call by default. */
export const DEFAULT_MAX_BATCH = 1000;

interface Pending {
  readonly op: WriteOp;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (err: Error) => void;
}

export class GroupCommit {
  readonly #commit: CommitFn;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #busy = false;
  #idleWaiters: (() => void)[] = [];

  constructor(commit: CommitFn, options: { readonly maxBatch?: number } = {}) {
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(`maxBatch: expected a positive integer, got ${maxBatch}`);
    }
    this.#commit = commit;
    this.#maxBatch = maxBatch;
  }

  /** Queues op for the next commit; settles once that commit is done (durable for sqlite). */
  submit(op: WriteOp): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      // While a commit is in flight, its loop takes this op next.
      if (!this.#busy) {
        this.#scheduled ??= setImmediate(() => {
          this.#scheduled = undefined;
          void this.#run();
        });
      }
    });
  }

  /** Commits everything queued now; resolves once nothing is queued or in flight. */
  async flush(): Promise<void> {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    while (this.#busy || this.#queue.length > 0) {
      if (this.#busy) await new Promise<void>((r) => this.#idleWaiters.push(r));
      else await this.#run();
    }
  }

  /** Commits batches until the queue is empty; synchronous all the way when the commit function is. */
  async #run(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        let outcomes: Outcomes;
        try {
          const r = this.#commit(batch.map((p) => p.op));
          outcomes = r instanceof Promise ? await r : r;
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          for (const p of batch) p.reject(error);
          continue;
        }
        batch.forEach((p, i) => {
          const outcome = outcomes[i];
          if (outcome instanceof Error) p.reject(outcome);
          else p.resolve(outcome);
        });
      }
    } finally {
      this.#busy = false;
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }
}

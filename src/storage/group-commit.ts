// Group commit: writes submitted during one event loop turn are committed together, in submission
// order, by one call of the driver's commit function (one transaction, one fsync for sqlite).
import type { WriteOp } from './write-batch.js';
import type { WriteResult } from './store.js';

/**
 * Commits ops in order and returns one outcome per op (its result or its error). It runs
 * synchronously, publishes the batch's watch events before it returns, and throws only when the
 * whole batch failed (nothing of it was committed).
 */
export type CommitFn = (ops: readonly WriteOp[]) => readonly (WriteResult | Error)[];

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
      this.#scheduled ??= setImmediate(() => {
        this.#scheduled = undefined;
        this.flush();
      });
    });
  }

  /** Commits everything queued now, synchronously (in batches of at most maxBatch). */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      let outcomes: readonly (WriteResult | Error)[];
      try {
        outcomes = this.#commit(batch.map((p) => p.op));
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
  }
}

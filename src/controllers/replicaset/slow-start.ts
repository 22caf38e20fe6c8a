// Slow start (Kubernetes' slowStartBatch): run `count` calls of `fn` in batches of 1, 2, 4, ...
// (doubling from `initialBatchSize`), each batch concurrently; stop after the first batch in which a
// call fails. A create that fails (quota, admission) then costs one call instead of hundreds.

/** Kubernetes' SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface SlowStartResult {
  /** calls that succeeded */
  readonly successes: number;
  /** the first failure, when a batch failed (later calls were not made) */
  readonly error?: unknown;
  /** the sizes of the batches that ran, in order */
  readonly batches: readonly number[];
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<SlowStartResult> {
  let remaining = count;
  let successes = 0;
  const batches: number[] = [];
  for (let size = Math.min(remaining, initialBatchSize); size > 0; size = Math.min(2 * size, remaining)) {
    batches.push(size);
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failures.length;
    if (failures.length) return { successes, error: failures[0]!.reason, batches };
    remaining -= size;
  }
  return { successes, batches };
}

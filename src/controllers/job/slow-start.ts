// Slow start, as Kubernetes' controllers create pods: batches of 1, 2, 4, ... up to `count`,
// stopping after the first batch in which a call failed, so a quota or admission refusal costs
// one failed request per sync instead of `count`.

export interface SlowStartResult {
  /** calls that resolved */
  readonly succeeded: number;
  /** calls never made because an earlier batch failed */
  readonly skipped: number;
  /** the failures of the last batch */
  readonly errors: unknown[];
}

/** Calls `fn(i)` for i in [0, count) in doubling batches; never rejects. */
export async function slowStart(count: number, fn: (i: number) => Promise<void>, initialBatch = 1): Promise<SlowStartResult> {
  let done = 0;
  let succeeded = 0;
  for (let batch = Math.min(count, initialBatch); done < count; batch = Math.min(2 * batch, count - done)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, k) => fn(done + k)));
    done += batch;
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    succeeded += batch - errors.length;
    if (errors.length) return { succeeded, skipped: count - done, errors };
  }
  return { succeeded, skipped: 0, errors: [] };
}

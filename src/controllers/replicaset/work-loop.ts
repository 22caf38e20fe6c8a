// The worker loop every controller in this folder (and deployment/) runs, as client-go controllers
// do: take a key, reconcile it, forget its backoff on success (requeueing after a delay when asked),
// requeue it rate-limited on failure, and always mark it done. Workers start once the caches have
// synced and stop when the queue shuts down.
import type { WorkQueue } from '../../client/work-queue.js';
import { errorMessage } from './status.js';

export interface WorkLoopOptions {
  /** first word of every log line, e.g. "replicaset" */
  readonly name: string;
  readonly queue: WorkQueue;
  readonly workers: number;
  /** resolves true once the informers the reconciler reads have synced; false if stopped first */
  readonly waitForSync: () => Promise<boolean>;
  readonly reconcile: (key: string) => Promise<{ readonly requeueAfterMs?: number }>;
  readonly log: (line: string) => void;
}

/** Runs the workers; resolves when the queue has shut down and every worker has returned. Never rejects. */
export async function runWorkers(opts: WorkLoopOptions): Promise<void> {
  if (!(await opts.waitForSync())) return;
  await Promise.all(Array.from({ length: opts.workers }, () => worker(opts)));
}

async function worker({ name, queue, reconcile, log }: WorkLoopOptions): Promise<void> {
  for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
    try {
      const result = await reconcile(key);
      queue.forget(key);
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) queue.addAfter(key, result.requeueAfterMs);
    } catch (e) {
      log(`${name}: sync of ${key} failed, requeued: ${errorMessage(e)}`);
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}

// The worker loop every controller runs, as client-go controllers do: take a key, reconcile it,
// forget its backoff on success (looking at it again after a delay when asked), requeue it
// rate-limited on failure, and always mark it done. A worker returns when its queue shuts down.
import type { WorkQueue } from '../client/work-queue.js';

/** Reconciles one key; a returned number (ms) looks at the key again after that delay. */
export type Reconcile = (key: string) => Promise<number | undefined | void>;

/** Told about every failed reconcile: the key, the error, and how many times the key was retried before. */
export type OnReconcileError = (key: string, error: unknown, retries: number) => void;

/** One worker; resolves when the queue has shut down. Never rejects. */
export async function runWorker(queue: WorkQueue, reconcile: Reconcile, onError: OnReconcileError): Promise<void> {
  for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
    try {
      const again = await reconcile(key);
      queue.forget(key);
      if (typeof again === 'number' && again > 0) queue.addAfter(key, Math.ceil(again));
    } catch (e) {
      onError(key, e, queue.numRequeues(key));
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}

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

/** Waits for the caches, then runs `workers` workers; resolves when they have all returned. Never rejects. */
export async function runWorkers(opts: WorkLoopOptions): Promise<void> {
  if (!(await opts.waitForSync())) return;
  const reconcile: Reconcile = async (key) => (await opts.reconcile(key)).requeueAfterMs;
  const onError: OnReconcileError = (key, e) => opts.log(`${opts.name}: sync of ${key} failed, requeued: ${errorMessage(e)}`);
  await Promise.all(Array.from({ length: opts.workers }, () => runWorker(opts.queue, reconcile, onError)));
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

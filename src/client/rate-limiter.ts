// Rate limiters for the work queue, as client-go's workqueue: `when(item)` says how long to wait
// before the item may be processed again. The default controller limiter is the slower of a
// per-item exponential backoff (5 ms doubling to 1000 s) and an overall token bucket (10 qps,
// burst 100), so one failing item backs off alone while a storm of requeues is throttled as a whole.
import { systemClock, type Clock } from './clock.js';

export interface RateLimiter {
  /** Milliseconds to wait before `item` is processed again; records one more requeue of it. */
  when(item: string): number;
  /** The item succeeded: its per-item history is cleared. */
  forget(item: string): void;
  /** How many times `item` has been requeued since it was last forgotten. */
  numRequeues(item: string): number;
}

export const ITEM_BASE_DELAY_MS = 5;
export const ITEM_MAX_DELAY_MS = 1000 * 1000;
export const BUCKET_QPS = 10;
export const BUCKET_BURST = 100;

/** base × 2^(failures so far), capped at max; per item. */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = ITEM_BASE_DELAY_MS,
    private readonly maxMs = ITEM_MAX_DELAY_MS,
  ) {}

  when(item: string): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    const delay = this.baseMs * 2 ** n;
    return Number.isFinite(delay) && delay < this.maxMs ? delay : this.maxMs;
  }

  forget(item: string): void {
    this.failures.delete(item);
  }

  numRequeues(item: string): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * A token bucket shared by all items: `burst` tokens, refilled at `qps`. Each `when` takes a
 * token, possibly one not yet refilled, and returns how long until it is (golang's rate.Limiter.Reserve).
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = BUCKET_QPS,
    private readonly burst = BUCKET_BURST,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The longest wait any of `limiters` asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(item: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: string): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** client-go's DefaultControllerRateLimiter. */
export function defaultControllerRateLimiter(clock: Clock = systemClock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(), new BucketRateLimiter(BUCKET_QPS, BUCKET_BURST, clock));
}

// A token bucket on an injected clock: `rate` tokens per second up to `burst`; a rate of 0 never
// gives a token. Used to rate-limit NoExecute tainting per zone (Kubernetes uses burst 1).
import type { Clock } from '../../client/clock.js';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes a token if one is there. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token will be there (0: now; Infinity: never at this rate). */
  msUntilNext(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return this.rate > 0 ? Math.ceil(((1 - this.tokens) / this.rate) * 1000) : Infinity;
  }

  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
  }

  getRate(): number {
    return this.rate;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}

// Exponential backoff with jitter, as client-go's wait.Backoff: each delay is the previous one
// times `factor`, capped at `maxMs`, then stretched by up to `jitter` × itself at random.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** default 2 */
  readonly factor?: number;
  /** 0 (default): no jitter; 1: each delay is between d and 2d */
  readonly jitter?: number;
  /** a number in [0, 1); default Math.random */
  readonly random?: () => number;
}

export class Backoff {
  private current: number;

  constructor(private readonly opts: BackoffOptions) {
    this.current = opts.initialMs;
  }

  /** The delay to wait now; the following one grows. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.opts.maxMs, this.current * (this.opts.factor ?? 2));
    const jitter = this.opts.jitter ?? 0;
    return jitter > 0 ? base * (1 + (this.opts.random ?? Math.random)() * jitter) : base;
  }

  /** Back to the initial delay (after a success). */
  reset(): void {
    this.current = this.opts.initialMs;
  }
}

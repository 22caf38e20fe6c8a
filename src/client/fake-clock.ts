// A manual clock for tests: time moves only when the test says so. Timers fire in due order
// (ties in the order they were set). Exported for every component's tests, not for production.
import type { Clock, TimerHandle } from './clock.js';

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets every pending promise continuation run (microtasks and the macrotasks they queue). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Number of timers set and neither fired nor cancelled. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextAt(): number | undefined {
    return this.next()?.at;
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due at its own time, and letting
   * promise continuations settle after each one (so a loop that sleeps again is seen).
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const t = this.next();
      if (!t || t.at > target) break;
      this.timers.splice(this.timers.indexOf(t), 1);
      this.time = Math.max(this.time, t.at);
      t.fn();
      await settle();
    }
    this.time = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
    await settle();
  }

  private next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

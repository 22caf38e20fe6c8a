// A manual RuntimeClock for runtime tests (src/runtime may not import src/client's FakeClock):
// time moves only through advance(), firing due timers in order. Not for production use.
import type { RuntimeClock } from '../runtime.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements RuntimeClock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const t: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Timers neither fired nor cancelled. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing each due timer at its own time (synchronously). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const live = this.timers.filter((t) => !t.cancelled && t.at <= target);
      if (!live.length) break;
      const t = live.reduce((a, b) => (b.at < a.at || (b.at === a.at && b.seq < a.seq) ? b : a));
      this.timers.splice(this.timers.indexOf(t), 1);
      this.time = Math.max(this.time, t.at);
      t.fn();
    }
    this.time = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }
}

// A Schedule for tests of the store's timed components (Compactor, KeyExpiry): its callbacks run
// only when the test fires them, and it tells what intervals they were scheduled with.
import type { Schedule } from './compactor.js';

export class ManualTimer {
  readonly waiting = new Map<number, { fn: () => void; ms: number }>();
  #next = 0;
  readonly schedule: Schedule = (fn, ms) => {
    const id = ++this.#next;
    this.waiting.set(id, { fn, ms });
    return () => this.waiting.delete(id);
  };

  /** Runs the callbacks waiting now; returns the intervals they were scheduled with. */
  fire(): number[] {
    const due = [...this.waiting.values()];
    this.waiting.clear();
    for (const t of due) t.fn();
    return due.map((t) => t.ms);
  }

  /** The intervals of the callbacks waiting now. */
  intervals(): number[] {
    return [...this.waiting.values()].map((t) => t.ms);
  }
}

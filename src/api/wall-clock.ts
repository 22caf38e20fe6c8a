// The real clock for components that take a clock (src/client's Clock, src/runtime's
// RuntimeClock): Date.now, and timers that never fire before `ms` have passed by Date.now.
//
// Node's timers run on the event loop's monotonic millisecond clock, which does not round as
// Date.now does: measured here, one timer in five fires 1 ms before `Date.now() + ms`. Code that
// sets a timer for the moment a deadline passes and then checks `now() >= deadline` (a simulated
// readiness delay, say) would find it not yet passed, and nothing would look again. So a timer
// that fires early by Date.now is set again for the rest, and its callback runs only once the
// wall clock agrees. (Timers may still fire late, as any timer.)

export interface WallClockTimer {
  /** Idempotent; a cancelled timer never fires. */
  cancel(): void;
}

/** Calls `fn` once, when at least `ms` milliseconds have passed by Date.now (kept referenced, as node's timers). */
export function wallClockTimeout(fn: () => void, ms: number): WallClockTimer {
  const wait = Math.max(0, ms);
  const due = Date.now() + wait;
  let cancelled = false;
  let timer: NodeJS.Timeout;
  const fire = () => {
    if (cancelled) return;
    const left = due - Date.now();
    if (left > 0) timer = setTimeout(fire, left);
    else fn();
  };
  timer = setTimeout(fire, wait);
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

/** Date.now and wallClockTimeout. */
export const wallClock = {
  now: (): number => Date.now(),
  setTimeout: wallClockTimeout,
} as const;

// The real clock for components that take a clock (src/client's Clock, src/runtime's
// RuntimeClock): Date.now, and timers that never fire before `ms` have passed by Date.now.
//
// Node's timers run on the event loop's monotonic millisecond clock, which does not round as
// Date.now does: measured here, one timer in five fires 1 ms before `Date.now() + ms`. Code that
// sets a timer for the moment a deadline passes and then checks `now() >= deadline` (a simulated
// readiness delay, say) would find it not yet passed, and nothing would look again. So a timer
// that fires a few milliseconds early by Date.now is set again for the rest. (Timers may still
// fire late, as any timer.)
//
// The wait itself is measured on the monotonic clock: a wall clock set back (NTP, a resumed VM)
// does not hold timers up, and waits longer than node's limit (2^31 - 1 ms, ~24.8 days; node
// turns longer ones into 1 ms) are waited in parts. An infinite wait never fires.

export interface WallClockTimer {
  /** Idempotent; a cancelled timer never fires. */
  cancel(): void;
}

/** The longest delay node's setTimeout takes as it is. */
const MAX_NODE_DELAY_MS = 2 ** 31 - 1;
/** How early by Date.now a timer may find itself and still be set again for the rest (node's are 1 ms early); more means the wall clock was set back, and the timer fires. */
const WALL_SLACK_MS = 5;

/** Calls `fn` once, when at least `ms` milliseconds have passed (kept referenced, as node's timers). */
export function wallClockTimeout(fn: () => void, ms: number): WallClockTimer {
  const wait = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  const start = performance.now();
  const due = Date.now() + wait;
  let cancelled = false;
  let timer: NodeJS.Timeout;
  const arm = (delay: number) => {
    timer = setTimeout(fire, Math.min(Math.max(0, delay), MAX_NODE_DELAY_MS));
  };
  const fire = () => {
    if (cancelled) return;
    const monotonicLeft = wait - (performance.now() - start);
    if (monotonicLeft >= 1) return arm(monotonicLeft); // a long wait's next part
    const wallLeft = due - Date.now();
    if (wallLeft > 0 && wallLeft <= WALL_SLACK_MS) return arm(wallLeft);
    fn();
  };
  arm(wait);
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

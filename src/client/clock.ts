// Time as the client's components see it: a clock that reads the time and sets timers, so
// that backoff, rate limits, lease renewal and resync are tested with fake time, without sleeping.
import { wallClock } from '../api/wall-clock.js';

/** A pending timer; `cancel()` is idempotent and a cancelled timer never fires. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** milliseconds since the Unix epoch */
  now(): number;
  /** Calls `fn` once, after at least `ms` milliseconds. The caller owns the handle and cancels it on stop. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/**
 * The real clock: Date.now, and node timers that never fire before `ms` have passed by Date.now
 * (api/wall-clock.ts; node's alone fire 1 ms early about one time in five). Kept referenced: a
 * component that forgets to stop keeps the process alive, and tests notice.
 */
export const systemClock: Clock = wallClock;

/** Resolves after `ms` on `clock`, or as soon as `signal` aborts (never rejects: cancellation is not a failure). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An AbortSignal that aborts after `ms` on `clock` or when `parent` aborts; `dispose()` releases the timer and listener. */
export function timeoutSignal(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onAbort = () => ac.abort(parent?.reason);
  const timer = clock.setTimeout(() => ac.abort(new Error(`timed out after ${ms}ms`)), ms);
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    dispose() {
      timer.cancel();
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

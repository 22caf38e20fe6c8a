// Back-off between restarts of a container, as the kubelet's CrashLoopBackOff: the first restart
// after an exit is immediate; each later one waits 10 s, then 20 s, 40 s... up to 5 min, counted
// from when the container exited. A container that ran for 10 minutes without exiting starts
// again from no back-off. Also used for image pulls and sandbox creation failures (other keys).
// Pure bookkeeping on the times it is given; it holds no timers.

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** An entry older than this (2 × max, as Kubernetes) is forgotten: the next failure starts again from the initial delay. */
export const BACKOFF_RESET_MS = 600_000;

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly resetMs?: number;
}

export class CrashBackoff {
  private readonly entries = new Map<string, Map<string, Entry>>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? BACKOFF_INITIAL_MS;
    this.maxMs = opts.maxMs ?? BACKOFF_MAX_MS;
    this.resetMs = opts.resetMs ?? BACKOFF_RESET_MS;
  }

  /**
   * How long (ms) a restart of `key` of pod `podUid`, whose last run failed at `failedAt`, must
   * still wait at `now` (0: it may restart now), and the delay that applies.
   */
  remaining(podUid: string, key: string, failedAt: number, now: number): { remainingMs: number; delayMs: number } {
    const e = this.entries.get(podUid)?.get(key);
    if (!e || failedAt - e.lastUpdate > this.resetMs) return { remainingMs: 0, delayMs: 0 };
    return { remainingMs: Math.max(0, failedAt + e.delayMs - now), delayMs: e.delayMs };
  }

  /** How long (ms) `key` must still wait at `now`, counted from the last failure recorded with next() (0: not backing off). */
  remainingSinceLast(podUid: string, key: string, now: number): number {
    const e = this.entries.get(podUid)?.get(key);
    if (!e || now - e.lastUpdate > this.resetMs) return 0;
    return Math.max(0, e.lastUpdate + e.delayMs - now);
  }

  /** Records a restart after a failure at `failedAt`: the next one waits longer (or the initial delay, after a long healthy run). */
  next(podUid: string, key: string, failedAt: number): void {
    let pod = this.entries.get(podUid);
    if (!pod) this.entries.set(podUid, (pod = new Map()));
    const e = pod.get(key);
    if (!e || failedAt - e.lastUpdate > this.resetMs) pod.set(key, { delayMs: this.initialMs, lastUpdate: failedAt });
    else {
      e.delayMs = Math.min(this.maxMs, e.delayMs * 2);
      e.lastUpdate = failedAt;
    }
  }

  /** Drops the entry of one key (after a success). */
  reset(podUid: string, key: string): void {
    const pod = this.entries.get(podUid);
    pod?.delete(key);
    if (pod && pod.size === 0) this.entries.delete(podUid);
  }

  /** Drops every entry of a pod (it is gone). */
  forgetPod(podUid: string): void {
    this.entries.delete(podUid);
  }
}

/** "10s", "1m20s", "5m0s": a duration as Go prints it in kubelet messages (whole seconds). */
export function formatGoDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

// Choosing an endpoint for one connection (or UDP session) of a service port: at random among the
// usable ones, the client's previous one while its ClientIP affinity lasts, never one already
// tried for this connection. Time and randomness are injected.
import type { ProxyEndpoint } from '../model.js';

export const endpointKey = (e: ProxyEndpoint) => `${e.ip}:${e.port}`;

export interface PickerOptions {
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Affinity and choice for one service port. The caller replaces `endpoints` on every sync. */
export class EndpointPicker {
  private readonly now: () => number;
  private readonly random: () => number;
  /** client IP → endpoint key and expiry (ms) */
  private readonly affinity = new Map<string, { key: string; expires: number }>();

  constructor(
    /** ClientIP affinity timeout in seconds; undefined: none */
    public affinitySeconds: number | undefined,
    opts: PickerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** An endpoint of `endpoints` not in `tried` for `clientIP`, or undefined when none is left. */
  pick(endpoints: readonly ProxyEndpoint[], clientIP: string, tried: ReadonlySet<string> = new Set()): ProxyEndpoint | undefined {
    const left = endpoints.filter((e) => !tried.has(endpointKey(e)));
    if (left.length === 0) return undefined;
    if (this.affinitySeconds !== undefined) {
      const a = this.affinity.get(clientIP);
      if (a && a.expires > this.now()) {
        const e = left.find((x) => endpointKey(x) === a.key);
        if (e) return e;
      }
    }
    return left[Math.floor(this.random() * left.length) % left.length];
  }

  /** Records that `clientIP` was served by `e` (renews its affinity). */
  served(clientIP: string, e: ProxyEndpoint): void {
    if (this.affinitySeconds === undefined) return;
    const now = this.now();
    if (this.affinity.size > 10_000) for (const [k, v] of this.affinity) if (v.expires <= now) this.affinity.delete(k);
    this.affinity.set(clientIP, { key: endpointKey(e), expires: now + this.affinitySeconds * 1000 });
  }

  /** Drops the affinity of `clientIP` (its endpoint failed). */
  forget(clientIP: string): void {
    this.affinity.delete(clientIP);
  }
}

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection: so that of
// several controller managers (or schedulers) on one cluster, exactly one acts at a time.
//
// A candidate tries every retryPeriod (jittered) to take the Lease: it may when the Lease does not
// exist, names nobody, or has not changed for leaseDurationSeconds *as measured on the candidate's
// own clock since it first saw that version* (no trust in other machines' clocks). Every write is
// compare-and-swap on the Lease's resourceVersion, so two candidates cannot both win. The leader
// renews every retryPeriod; if it has not renewed for renewDeadline (< leaseDuration), it steps
// down — aborting the signal given to onStartedLeading, then calling onStoppedLeading — before any
// other candidate may take over, and becomes a candidate again. stop() steps down and releases
// the Lease (holderIdentity "") so a successor need not wait for it to expire.
import { isNotFound } from '../api/errors.js';
import { isObject, type KubeObject } from '../api/object.js';
import type { Client } from './client.js';
import { resourceInfo } from './client.js';
import { sleep, systemClock, timeoutSignal, type Clock } from './clock.js';

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** Candidates wait retryPeriod × (1 + random × JITTER_FACTOR) between attempts (client-go's value). */
export const JITTER_FACTOR = 1.2;

const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');

export interface LeaderElectionOptions {
  readonly client: Client;
  /** the Lease, e.g. kube-system / kube-controller-manager */
  readonly namespace: string;
  readonly name: string;
  /** unique per candidate, e.g. `${hostname}_${uuid}` */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  /** Called on becoming leader; `signal` aborts on losing leadership. Must return promptly (start work, don't await it). */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  /** Called after leadership was lost or given up (after the leading signal aborted). */
  readonly onStoppedLeading: () => void;
  /** Called when the observed holder changes (including to this candidate). */
  readonly onNewLeader?: (identity: string) => void;
  /** Release the Lease on stop() (default true). */
  readonly releaseOnStop?: boolean;
  readonly clock?: Clock;
  /** jitter source in [0, 1); default Math.random */
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

/** The LeaseSpec fields leader election reads and writes. */
interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private controller?: AbortController;
  private loop?: Promise<void>;
  private leading?: AbortController;
  /** the Lease as last read or written, and when (local clock) its record last changed */
  private observed?: KubeObject;
  private observedRecord?: LeaseRecord;
  private observedAt = 0;
  private lastRenewAt = 0;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!opts.identity) throw new TypeError('leader election: identity must not be empty');
    if (this.leaseDurationMs <= this.renewDeadlineMs) {
      throw new TypeError(`leader election: leaseDuration (${this.leaseDurationMs}ms) must be greater than renewDeadline (${this.renewDeadlineMs}ms)`);
    }
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) {
      throw new TypeError(`leader election: renewDeadline (${this.renewDeadlineMs}ms) must be greater than retryPeriod × ${JITTER_FACTOR} (${JITTER_FACTOR * this.retryPeriodMs}ms)`);
    }
  }

  /** Starts campaigning; `signal` aborting is the same as stop(). Throws if already started. */
  start(signal?: AbortSignal): void {
    if (this.controller) throw new Error(`leader election ${this.lease()}: already started`);
    const ac = (this.controller = new AbortController());
    signal?.addEventListener('abort', () => ac.abort(), { once: true });
    if (signal?.aborted) ac.abort();
    this.loop = this.run(ac.signal);
  }

  /** Steps down (releasing the Lease unless releaseOnStop is false) and stops campaigning; resolves when done. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
  }

  isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** The holder this candidate last saw ("" when none). */
  leader(): string {
    return this.observedRecord?.holderIdentity ?? '';
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      const leading = (this.leading = new AbortController());
      this.log('became leader');
      this.safely('onStartedLeading', () => this.opts.onStartedLeading(leading.signal));
      await this.renew(signal);
      this.leading = undefined;
      leading.abort();
      if (signal.aborted && this.opts.releaseOnStop !== false) await this.release();
      this.log(signal.aborted ? 'stopped leading' : 'lost leadership: could not renew the lease in time');
      this.safely('onStoppedLeading', () => this.opts.onStoppedLeading());
    }
  }

  /** Tries until the Lease is ours (true) or `signal` aborts (false). */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      await sleep(this.clock, this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR), signal);
    }
    return false;
  }

  /** Renews every retryPeriod; returns when a renewal missed renewDeadline, or when `signal` aborts. */
  private async renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.clock, this.retryPeriodMs, signal);
      let renewed = false;
      for (;;) {
        if (signal.aborted) return;
        const left = this.lastRenewAt + this.renewDeadlineMs - this.clock.now();
        if (left <= 0) break;
        const t = timeoutSignal(this.clock, left, signal);
        try {
          renewed = await this.tryAcquireOrRenew(t.signal);
        } finally {
          t.dispose();
        }
        if (renewed) break;
        const wait = Math.min(this.retryPeriodMs, this.lastRenewAt + this.renewDeadlineMs - this.clock.now());
        if (wait <= 0) break;
        await sleep(this.clock, wait, signal);
      }
      if (!renewed && !signal.aborted) return;
    }
  }

  /** One attempt to create, take over or renew the Lease. Never throws: failures are logged and return false. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity } = this.opts;
    const now = this.clock.now();
    const mine: LeaseRecord = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: KubeObject;
    try {
      lease = await client.get(LEASES, namespace, name, { signal });
    } catch (e) {
      if (!isNotFound(e)) return this.failed('get', e);
      try {
        const created = await client.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { ...mine } }, { signal });
        this.observe(created, now);
        this.lastRenewAt = now;
        return true;
      } catch (e2) {
        return this.failed('create', e2);
      }
    }

    this.observe(lease, now);
    const old = this.observedRecord!;
    const held = old.holderIdentity !== '' && old.holderIdentity !== identity;
    if (held && this.observedAt + old.leaseDurationSeconds * 1000 > now) return false;

    const record: LeaseRecord =
      old.holderIdentity === identity && this.isLeader()
        ? { ...mine, acquireTime: old.acquireTime ?? mine.acquireTime, leaseTransitions: old.leaseTransitions }
        : { ...mine, leaseTransitions: old.leaseTransitions + (old.holderIdentity === identity ? 0 : 1) };
    try {
      const updated = await client.update(LEASES, { ...lease, spec: { ...(isObject(lease.spec) ? lease.spec : {}), ...record } }, { signal });
      this.observe(updated, now);
      this.lastRenewAt = now;
      return true;
    } catch (e) {
      return this.failed('update', e);
    }
  }

  /** Gives the Lease up (holderIdentity "", 1 s duration) if we still hold what we last wrote. Best effort. */
  private async release(): Promise<void> {
    const lease = this.observed;
    if (!lease || this.observedRecord?.holderIdentity !== this.opts.identity) return;
    const now = this.clock.now();
    const t = timeoutSignal(this.clock, this.renewDeadlineMs);
    try {
      const spec = { ...(isObject(lease.spec) ? lease.spec : {}), holderIdentity: '', leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now) };
      const released = await this.opts.client.update(LEASES, { ...lease, spec }, { signal: t.signal });
      this.observe(released, now);
      this.log('released the lease');
    } catch (e) {
      this.failed('release', e);
    } finally {
      t.dispose();
    }
  }

  /** Records the Lease as seen at `now`; the observed time moves only when the record changed. */
  private observe(lease: KubeObject, now: number): void {
    const record = readRecord(lease.spec);
    const prev = this.observedRecord;
    this.observed = lease;
    if (!prev || prev.holderIdentity !== record.holderIdentity || prev.renewTime !== record.renewTime || prev.leaseTransitions !== record.leaseTransitions) {
      this.observedRecord = record;
      this.observedAt = now;
      if (prev?.holderIdentity !== record.holderIdentity && record.holderIdentity) {
        this.safely('onNewLeader', () => this.opts.onNewLeader?.(record.holderIdentity));
      }
    }
  }

  private failed(what: string, e: unknown): false {
    this.log(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }

  private safely(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log(`${what} callback failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }

  private lease(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }

  private log(msg: string): void {
    this.opts.log?.(`leader-election ${this.lease()} ${this.opts.identity}: ${msg}`);
  }
}

function readRecord(spec: unknown): LeaseRecord {
  const s = isObject(spec) ? spec : {};
  return {
    holderIdentity: typeof s.holderIdentity === 'string' ? s.holderIdentity : '',
    leaseDurationSeconds: typeof s.leaseDurationSeconds === 'number' && s.leaseDurationSeconds > 0 ? s.leaseDurationSeconds : 0,
    ...(typeof s.acquireTime === 'string' ? { acquireTime: s.acquireTime } : {}),
    ...(typeof s.renewTime === 'string' ? { renewTime: s.renewTime } : {}),
    leaseTransitions: typeof s.leaseTransitions === 'number' ? s.leaseTransitions : 0,
  };
}

/** metav1.MicroTime: RFC 3339 with microseconds, UTC. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

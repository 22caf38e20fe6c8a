// One timer for many kubelets' periodic work (lease renewal, node status, pod resync): members are
// spread over `slots` slots and each slot's turn comes every periodMs/slots, so a thousand
// simulated nodes renew their Leases as a steady trickle rather than a burst, with a bounded number
// of calls in flight (across ticks). A member whose previous beat is still running skips its turn.
import type { Clock, TimerHandle } from '../client/clock.js';

export interface HeartbeatMember {
  /** Called once per period; failures are the member's to log. */
  beat(): Promise<void>;
}

export interface HeartbeatSchedulerOptions {
  readonly clock: Clock;
  /** each member beats once per period; default 10 s (the node lease renew interval) */
  readonly periodMs?: number;
  /** default 1 (every member on every tick) */
  readonly slots?: number;
  /** beats in flight at once; default 32 */
  readonly concurrency?: number;
}

export class HeartbeatScheduler {
  private readonly periodMs: number;
  private readonly slots: Set<HeartbeatMember>[];
  private readonly concurrency: number;
  private readonly busy = new Set<HeartbeatMember>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private next = 0;
  private tick = 0;
  private timer?: TimerHandle;
  private running = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly opts: HeartbeatSchedulerOptions) {
    this.periodMs = opts.periodMs ?? 10_000;
    this.slots = Array.from({ length: Math.max(1, opts.slots ?? 1) }, () => new Set<HeartbeatMember>());
    this.concurrency = Math.max(1, opts.concurrency ?? 32);
  }

  /** Adds a member (to the slot after the last one used); returns the function that removes it. */
  add(member: HeartbeatMember): () => void {
    const slot = this.slots[this.next++ % this.slots.length]!;
    slot.add(member);
    return () => void slot.delete(member);
  }

  start(signal?: AbortSignal): void {
    if (this.running) return;
    this.running = true;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.arm();
  }

  /** Stops ticking; resolves when beats in flight have finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.inFlight;
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.opts.clock.setTimeout(() => {
      const slot = this.slots[this.tick++ % this.slots.length]!;
      const members = [...slot].filter((m) => !this.busy.has(m));
      this.inFlight = Promise.all([this.inFlight, this.run(members)]).then(() => undefined);
      this.arm();
    }, this.periodMs / this.slots.length);
  }

  private async run(members: HeartbeatMember[]): Promise<void> {
    await Promise.all(members.map((m) => this.beatOne(m)));
  }

  /** One beat, once a slot of the global concurrency limit is free. */
  private async beatOne(m: HeartbeatMember): Promise<void> {
    this.busy.add(m);
    // A finishing beat hands its slot straight to the next waiter, so `active` never overshoots.
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      await m.beat();
    } catch {
      // members log their own failures; a throwing member must not stop the others
    } finally {
      this.busy.delete(m);
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

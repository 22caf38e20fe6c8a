// The pod lifecycle event generator: tells the kubelet which pods' containers changed state in the
// runtime. Runtimes that report events (onContainerEvent) are subscribed to; others are relisted
// every second and compared with the previous listing, as Kubernetes' generic PLEG does.
import type { Clock, TimerHandle } from '../client/clock.js';
import type { Runtime } from '../runtime/runtime.js';

export const PLEG_RELIST_MS = 1_000;

export interface PlegOptions {
  readonly runtime: Runtime;
  readonly clock: Clock;
  /** a container of the pod with this uid changed state */
  readonly onPodChanged: (podUid: string) => void;
  readonly log: (line: string) => void;
  readonly relistMs?: number;
}

export class Pleg {
  private unsubscribe?: () => void;
  private timer?: TimerHandle;
  private last = new Map<string, string>();
  private running = false;
  private relisting?: Promise<void>;

  constructor(private readonly opts: PlegOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const { runtime } = this.opts;
    if (runtime.onContainerEvent) {
      this.unsubscribe = runtime.onContainerEvent((e) => this.opts.onPodChanged(e.podUid));
      return;
    }
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.timer?.cancel();
    await this.relisting;
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.relisting = this.relist().finally(() => this.arm());
    }, this.opts.relistMs ?? PLEG_RELIST_MS);
  }

  private async relist(): Promise<void> {
    try {
      const now = new Map<string, string>();
      const changed = new Set<string>();
      for (const c of await this.opts.runtime.listContainers()) {
        now.set(c.id, `${c.podUid}\u0000${c.state}`);
        if (this.last.get(c.id) !== now.get(c.id)) changed.add(c.podUid);
      }
      for (const [id, v] of this.last) if (!now.has(id)) changed.add(v.slice(0, v.indexOf('\u0000')));
      this.last = now;
      if (this.running) for (const uid of changed) this.opts.onPodChanged(uid);
    } catch (e) {
      this.opts.log(`pleg: relisting containers failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

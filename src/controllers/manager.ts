// The controller manager: runs a set of controllers while it holds the
// kube-system/kube-controller-manager Lease, so that of several managers on one store exactly
// one acts at a time. Each leadership term gets fresh informers; losing the Lease stops them.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Client } from '../client/client.js';
import { systemClock, type Clock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import { LeaderElector } from '../client/leader-election.js';
import { SharedInformerFactory } from '../client/shared-informers.js';
import type { Controller, ControllerFactory } from './controller.js';

export interface ControllerManagerOptions {
  readonly client: Client;
  readonly controllers: readonly ControllerFactory[];
  /** unique per manager; default a random id */
  readonly identity?: string;
  /** the Lease to hold; default kube-system/kube-controller-manager */
  readonly leaseName?: string;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
  /** lease timings (tests shorten them) */
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

export class ControllerManager {
  private readonly elector: LeaderElector;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private running: Controller[] = [];
  private recorders: EventRecorder[] = [];
  private informers?: SharedInformerFactory;

  constructor(private readonly opts: ControllerManagerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? (() => {});
    const identity = opts.identity ?? `skiff_${randomUUID()}`;
    this.elector = new LeaderElector({
      client: opts.client,
      namespace: 'kube-system',
      name: opts.leaseName ?? 'kube-controller-manager',
      identity,
      clock: this.clock,
      leaseDurationMs: opts.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs,
      log: this.log,
      onStartedLeading: (signal) => this.lead(signal),
      onStoppedLeading: () => this.stepDown(),
    });
  }

  /** true while this manager holds the Lease and runs its controllers */
  isLeader(): boolean {
    return this.elector.isLeader();
  }

  start(signal: AbortSignal): void {
    this.elector.start(signal);
  }

  async stop(): Promise<void> {
    await this.elector.stop();
    this.stepDown();
  }

  private lead(signal: AbortSignal): void {
    setMaxListeners(0, signal); // every informer and controller listens for the end of the term
    this.log(`controller-manager: became leader, starting ${this.opts.controllers.length} controllers`);
    const informers = new SharedInformerFactory({ client: this.opts.client, clock: this.clock, log: this.log });
    this.informers = informers;
    const recorder = (component: string) => {
      const r = new EventRecorder({ client: this.opts.client, component, clock: this.clock, log: this.log });
      this.recorders.push(r);
      return r;
    };
    this.running = this.opts.controllers.map((make) => make({ client: this.opts.client, informers, recorder, clock: this.clock, log: this.log }));
    for (const c of this.running) c.start(signal);
    informers.start(signal);
  }

  private stepDown(): void {
    if (!this.informers) return;
    this.log('controller-manager: stopped leading');
    this.informers.stop();
    this.informers = undefined;
    for (const r of this.recorders) void r.stop();
    this.recorders = [];
    this.running = [];
  }
}

// Runs the scheduler against a cluster: feeds its cache and queue from node and pod informers,
// binds through pods/binding, reports failures as the PodScheduled=False condition plus a
// FailedScheduling event, and acts only while holding the kube-system/kube-scheduler Lease.
import { rfc3339 } from '../api/time.js';
import { randomUUID } from 'node:crypto';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo, type Client } from '../client/client.js';
import { systemClock, type Clock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import { LeaderElector } from '../client/leader-election.js';
import { SharedInformerFactory } from '../client/shared-informers.js';
import { Scheduler, type SchedulerBinder, type SchedulingFailure } from './scheduler.js';

const PODS = resourceInfo('', 'v1', 'pods');
const NODES = resourceInfo('', 'v1', 'nodes');
export const SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerRunnerOptions {
  readonly client: Client;
  readonly clock?: Clock;
  readonly identity?: string;
  readonly log?: (line: string) => void;
  readonly verbosity?: number;
  /** Lease timings (tests shorten them) */
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** The binder over the API: POST pods/NAME/binding; failures as a status condition and an event. */
export function apiBinder(client: Client, recorder: EventRecorder, now: () => Date): SchedulerBinder {
  return {
    async bind(pod: Pod, nodeName: string): Promise<void> {
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      await client.bind(ns, name, nodeName);
      recorder.event(pod as unknown as KubeObject, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`);
    },
    async reportFailure(pod: Pod, failure: SchedulingFailure): Promise<void> {
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      recorder.event(pod as unknown as KubeObject, 'Warning', 'FailedScheduling', failure.message);
      const existing = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      if (existing?.status === 'False' && existing.reason === failure.reason && existing.message === failure.message) return;
      const condition = { type: 'PodScheduled', status: 'False', reason: failure.reason, message: failure.message, lastProbeTime: null, lastTransitionTime: rfc3339(now()) };
      const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), condition];
      try {
        await client.patch(PODS, ns, name, { status: { conditions } }, 'merge', { subresource: 'status' });
      } catch (e) {
        if (!(isApiError(e) && e.reason === 'NotFound')) throw e;
      }
    },
  };
}

export class SchedulerRunner {
  private readonly elector: LeaderElector;
  private readonly clock: Clock;
  private current?: { scheduler: Scheduler; informers: SharedInformerFactory; recorder: EventRecorder };

  constructor(private readonly opts: SchedulerRunnerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.elector = new LeaderElector({
      client: opts.client,
      namespace: 'kube-system',
      name: 'kube-scheduler',
      identity: opts.identity ?? `skiff_${randomUUID()}`,
      clock: this.clock,
      leaseDurationMs: opts.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs,
      log: opts.log,
      onStartedLeading: (signal) => this.lead(signal),
      onStoppedLeading: () => void this.stepDown(),
    });
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  start(signal: AbortSignal): void {
    this.elector.start(signal);
  }

  async stop(): Promise<void> {
    await this.elector.stop();
    await this.stepDown();
  }

  private lead(signal: AbortSignal): void {
    const { client } = this.opts;
    const recorder = new EventRecorder({ client, component: SCHEDULER_NAME, clock: this.clock, log: this.opts.log });
    const scheduler = new Scheduler({
      binder: apiBinder(client, recorder, () => new Date(this.clock.now())),
      clock: () => this.clock.now(),
      log: this.opts.log,
      verbosity: this.opts.verbosity,
    });
    const informers = new SharedInformerFactory({ client, clock: this.clock, log: this.opts.log });
    const nodes = informers.forResource(NODES);
    const pods = informers.forResource(PODS);
    const node = (o: KubeObject) => o as unknown as Node;
    const pod = (o: KubeObject) => o as unknown as Pod;
    nodes.addEventHandler({
      onAdd: (n) => scheduler.onNodeAdd(node(n)),
      onUpdate: (o, n) => scheduler.onNodeUpdate(node(o), node(n)),
      onDelete: (n) => scheduler.onNodeDelete(node(n)),
    });
    pods.addEventHandler({
      onAdd: (p) => scheduler.onPodAdd(pod(p)),
      onUpdate: (o, p) => scheduler.onPodUpdate(pod(o), pod(p)),
      onDelete: (p) => scheduler.onPodDelete(pod(p)),
    });
    this.current = { scheduler, informers, recorder };
    informers.start(signal);
    void informers.waitForSync(signal).then((ok) => {
      if (ok && !signal.aborted) scheduler.start(signal);
    });
  }

  private async stepDown(): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    c.informers.stop();
    await c.scheduler.stop();
    await c.recorder.stop();
  }
}

// Probes on simulated nodes: nothing is probed. A container is started once its startupProbe's
// initialDelaySeconds have passed since it started, and ready once its readinessProbe's have too
// (at once without probes); it is never unhealthy. One timer per container that becomes ready
// later tells the kubelet when to look again.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import type { ProbeManager, ProbeManagerHooks, RunningContainer } from './prober.js';
import { NO_IDS, containerSpec } from './prober.js';

interface Tracked {
  readonly podUid: string;
  readonly startedAt: number;
  readonly readyAt: number;
  timer?: TimerHandle;
}

export class SimulatedProbeManager implements ProbeManager {
  private readonly containers = new Map<string, Tracked>();
  private readonly byPod = new Map<string, Set<string>>();

  constructor(private readonly deps: { readonly clock: Clock; readonly hooks: ProbeManagerHooks }) {}

  syncPod(pod: Pod, running: readonly RunningContainer[]): void {
    const uid = pod.metadata?.uid ?? '';
    const ids = this.byPod.get(uid) ?? new Set<string>();
    const keep = new Set(running.map((r) => r.id));
    for (const id of ids) if (!keep.has(id)) this.drop(id, ids);
    const now = this.deps.clock.now();
    for (const r of running) {
      if (this.containers.has(r.id)) continue;
      const spec = containerSpec(pod, r.name);
      const startupDelay = (spec?.startupProbe?.initialDelaySeconds ?? 0) * 1000;
      const readyDelay = (spec?.readinessProbe?.initialDelaySeconds ?? 0) * 1000;
      const t: Tracked = { podUid: uid, startedAt: r.startedAt + startupDelay, readyAt: r.startedAt + Math.max(startupDelay, readyDelay) };
      if (t.readyAt > now) t.timer = this.deps.clock.setTimeout(() => this.deps.hooks.onChange(uid), t.readyAt - now);
      this.containers.set(r.id, t);
      ids.add(r.id);
    }
    if (ids.size) this.byPod.set(uid, ids);
    else this.byPod.delete(uid);
  }

  removePod(podUid: string): void {
    const ids = this.byPod.get(podUid);
    if (!ids) return;
    for (const id of ids) this.drop(id, ids);
    this.byPod.delete(podUid);
  }

  isReady(containerId: string): boolean {
    const t = this.containers.get(containerId);
    return t !== undefined && this.deps.clock.now() >= t.readyAt;
  }

  isStarted(containerId: string): boolean {
    const t = this.containers.get(containerId);
    return t !== undefined && this.deps.clock.now() >= t.startedAt;
  }

  unhealthy(): ReadonlySet<string> {
    return NO_IDS;
  }

  stop(): void {
    for (const t of this.containers.values()) t.timer?.cancel();
    this.containers.clear();
    this.byPod.clear();
  }

  private drop(id: string, ids: Set<string>): void {
    this.containers.get(id)?.timer?.cancel();
    this.containers.delete(id);
    ids.delete(id);
  }
}

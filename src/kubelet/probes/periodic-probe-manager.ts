// Probes run for real: one worker per (container, probe type) calls the Prober every periodSeconds,
// starting initialDelaySeconds after the container started, each call bounded by timeoutSeconds.
// A result flips after successThreshold successes or failureThreshold failures in a row (as the
// kubelet's prober workers). Until a startupProbe succeeds, readiness and liveness probes wait.
// Results start as: readiness not ready, liveness healthy, startup not started.
// Every failed probe is reported (Unhealthy events); every flip asks the kubelet for a pod sync.
import type { Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import type { ProbeManager, ProbeManagerHooks, ProbeResult, ProbeType, Prober, RunningContainer } from './prober.js';
import { NO_IDS, containerSpec } from './prober.js';

export const DEFAULT_PERIOD_SECONDS = 10;
export const DEFAULT_TIMEOUT_SECONDS = 1;
export const DEFAULT_SUCCESS_THRESHOLD = 1;
export const DEFAULT_FAILURE_THRESHOLD = 3;

interface Worker {
  readonly type: ProbeType;
  readonly probe: Probe;
  result: ProbeResult | undefined;
  successes: number;
  failures: number;
  timer?: TimerHandle;
  abort?: AbortController;
}

interface Tracked {
  readonly podUid: string;
  readonly pod: Pod;
  readonly name: string;
  readonly podIP: string | undefined;
  readonly workers: Map<ProbeType, Worker>;
}

export interface PeriodicProbeManagerDeps {
  readonly clock: Clock;
  readonly hooks: ProbeManagerHooks;
  readonly prober: Prober;
}

export class PeriodicProbeManager implements ProbeManager {
  private readonly containers = new Map<string, Tracked>();
  private readonly byPod = new Map<string, Set<string>>();
  private stopped = false;

  constructor(private readonly deps: PeriodicProbeManagerDeps) {}

  syncPod(pod: Pod, running: readonly RunningContainer[], podIP?: string): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? '';
    const ids = this.byPod.get(uid) ?? new Set<string>();
    const keep = new Set(running.map((r) => r.id));
    for (const id of [...ids]) if (!keep.has(id)) this.drop(id, ids);
    const now = this.deps.clock.now();
    for (const r of running) {
      if (this.containers.has(r.id)) continue;
      const spec = containerSpec(pod, r.name);
      const t: Tracked = { podUid: uid, pod, name: r.name, podIP: podIP ?? pod.status?.podIP, workers: new Map() };
      const probes: [ProbeType, Probe | undefined][] = [
        ['startup', spec?.startupProbe],
        ['readiness', spec?.readinessProbe],
        ['liveness', spec?.livenessProbe],
      ];
      for (const [type, probe] of probes) {
        if (!probe) continue;
        const w: Worker = { type, probe, result: undefined, successes: 0, failures: 0 };
        t.workers.set(type, w);
        this.schedule(r.id, t, w, Math.max(0, r.startedAt + (probe.initialDelaySeconds ?? 0) * 1000 - now));
      }
      this.containers.set(r.id, t);
      ids.add(r.id);
    }
    if (ids.size) this.byPod.set(uid, ids);
    else this.byPod.delete(uid);
  }

  removePod(podUid: string): void {
    const ids = this.byPod.get(podUid);
    if (!ids) return;
    for (const id of [...ids]) this.drop(id, ids);
    this.byPod.delete(podUid);
  }

  isReady(containerId: string): boolean {
    const t = this.containers.get(containerId);
    if (!t || !this.isStarted(containerId)) return false;
    const w = t.workers.get('readiness');
    return w ? w.result === 'success' : true;
  }

  isStarted(containerId: string): boolean {
    const t = this.containers.get(containerId);
    if (!t) return false;
    const w = t.workers.get('startup');
    return w ? w.result === 'success' : true;
  }

  unhealthy(podUid: string): ReadonlySet<string> {
    const ids = this.byPod.get(podUid);
    if (!ids) return NO_IDS;
    const out = new Set<string>();
    for (const id of ids) {
      const t = this.containers.get(id)!;
      if (t.workers.get('liveness')?.result === 'failure' || t.workers.get('startup')?.result === 'failure') out.add(id);
    }
    return out;
  }

  failedProbe(containerId: string): 'liveness' | 'startup' | undefined {
    const t = this.containers.get(containerId);
    if (t?.workers.get('startup')?.result === 'failure') return 'startup';
    if (t?.workers.get('liveness')?.result === 'failure') return 'liveness';
    return undefined;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.containers.values()) for (const w of t.workers.values()) this.cancel(w);
    this.containers.clear();
    this.byPod.clear();
  }

  private schedule(id: string, t: Tracked, w: Worker, delayMs: number): void {
    w.timer = this.deps.clock.setTimeout(() => void this.run(id, t, w), delayMs);
  }

  private async run(id: string, t: Tracked, w: Worker): Promise<void> {
    w.timer = undefined;
    if (this.containers.get(id) !== t) return;
    const period = (w.probe.periodSeconds ?? DEFAULT_PERIOD_SECONDS) * 1000;
    // Readiness and liveness wait for the startup probe; a startup probe stops once it succeeded.
    if (w.type !== 'startup' && !this.isStarted(id)) return this.schedule(id, t, w, period);
    if (w.type === 'startup' && w.result === 'success') return;
    const spec = containerSpec(t.pod, t.name);
    if (!spec) return;
    const abort = (w.abort = new AbortController());
    const timeout = this.deps.clock.setTimeout(() => abort.abort(), (w.probe.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000);
    let outcome: { result: ProbeResult; output: string };
    try {
      outcome = await this.deps.prober.probe(w.type, w.probe, { pod: t.pod, container: spec, containerId: id, podIP: t.podIP }, abort.signal);
      if (abort.signal.aborted && outcome.result === 'success') outcome = { result: 'failure', output: `timeout: probe did not finish in ${w.probe.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS}s` };
    } catch (e) {
      outcome = { result: 'failure', output: e instanceof Error ? e.message : String(e) };
    } finally {
      timeout.cancel();
      w.abort = undefined;
    }
    if (this.stopped || this.containers.get(id) !== t) return;
    this.record(t, w, outcome);
    this.schedule(id, t, w, period);
  }

  private record(t: Tracked, w: Worker, outcome: { result: ProbeResult; output: string }): void {
    const before = w.result;
    if (outcome.result === 'success') {
      w.failures = 0;
      if (++w.successes >= (w.probe.successThreshold ?? DEFAULT_SUCCESS_THRESHOLD)) w.result = 'success';
    } else {
      w.successes = 0;
      this.deps.hooks.onFailure?.(t.pod, t.name, w.type, outcome.output);
      if (++w.failures >= (w.probe.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD)) w.result = 'failure';
    }
    if (w.result !== before) this.deps.hooks.onChange(t.podUid);
  }

  private drop(id: string, ids: Set<string>): void {
    const t = this.containers.get(id);
    if (t) for (const w of t.workers.values()) this.cancel(w);
    this.containers.delete(id);
    ids.delete(id);
  }

  private cancel(w: Worker): void {
    w.timer?.cancel();
    w.timer = undefined;
    w.abort?.abort();
  }
}

// The `endpoints.kubernetes.io/last-change-trigger-time` annotation: when the change that the
// next write of a Service's endpoints reflects happened. As Kubernetes' TriggerTimeTracker, a
// pod's change is dated by its Ready condition's lastTransitionTime and the Service's by its
// creationTimestamp; the annotation is the earliest of the changes seen since the previous sync
// of that Service. One tracker per controller; state per Service key.
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { readyTransitionTime } from './pod-endpoints.js';

export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

interface ServiceState {
  /** pod name → the last trigger time seen for it (ms) */
  pods: Map<string, number>;
  service: number;
}

export class TriggerTimeTracker {
  private readonly services = new Map<string, ServiceState>();

  /**
   * Records the current trigger times of `service` and its `pods`, and returns the earliest one
   * that is newer than what the previous call for this Service saw (undefined: nothing new; the
   * annotation is then dropped). Call it on every sync, written or not, so that state follows.
   */
  compute(key: string, service: Service, pods: readonly Pod[]): number | undefined {
    const prev = this.services.get(key);
    let min: number | undefined;
    const seen = new Map<string, number>();
    for (const pod of pods) {
      const t = parseTime(readyTransitionTime(pod));
      const name = pod.metadata?.name;
      if (t === undefined || !name) continue;
      seen.set(name, t);
      const before = prev?.pods.get(name);
      if (before === undefined || t > before) min = min === undefined ? t : Math.min(min, t);
    }
    const svc = parseTime(service.metadata?.creationTimestamp) ?? 0;
    if (!prev || svc > prev.service) min = svc > 0 ? (min === undefined ? svc : Math.min(min, svc)) : min;
    this.services.set(key, { pods: seen, service: svc });
    return min;
  }

  /** Forgets a deleted Service. */
  delete(key: string): void {
    this.services.delete(key);
  }
}

function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** RFC 3339 in UTC with Go's RFC3339Nano trimming (no fraction when whole seconds). */
export function formatTriggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

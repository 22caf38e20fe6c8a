// Container lifecycle hooks (postStart, preStop) as Kubernetes' handler runner: an exec in the
// container, an httpGet from the node (pod IP by default), or a sleep. Resolves whether the
// handler succeeded and, when not, Kubernetes' message for the FailedPostStartHook /
// FailedPreStopHook event. Bounded by `signal` (the grace period for preStop).
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../client/clock.js';
import { sleep, systemClock } from '../client/clock.js';
import type { Runtime } from '../runtime/runtime.js';
import { formatPod } from './pod-status.js';
import { execCheck, httpGetCheck } from './probes/probe-actions.js';

export interface HookTarget {
  readonly pod: Pod;
  readonly container: Container;
  readonly containerId: string;
  readonly podIP?: string;
}

export async function runLifecycleHandler(
  handler: LifecycleHandler,
  target: HookTarget,
  runtime: Runtime,
  signal: AbortSignal,
  clock: Clock = systemClock,
): Promise<{ ok: boolean; message: string }> {
  const { container, pod } = target;
  const where = `for Container "${container.name}" in Pod "${formatPod(pod)}"`;
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const r = await execCheck(handler.exec, runtime, target.containerId, signal);
    if (r.ok) return { ok: true, message: '' };
    const err = r.exitCode !== undefined ? `command '${command.join(' ')}' exited with ${r.exitCode}: ${r.output}` : r.output;
    return { ok: false, message: `Exec lifecycle hook ([${command.join(' ')}]) ${where} failed - error: ${err}, message: ${JSON.stringify(r.output)}` };
  }
  if (handler.httpGet) {
    const r = await httpGetCheck(handler.httpGet, container, target.podIP, signal);
    if (r.ok) return { ok: true, message: '' };
    return { ok: false, message: `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${where} failed - error: ${r.output}` };
  }
  if (handler.sleep) {
    await sleep(clock, Math.max(0, handler.sleep.seconds) * 1000, signal);
    return { ok: true, message: '' };
  }
  return { ok: false, message: `a lifecycle handler ${where} has no exec, httpGet or sleep action` };
}

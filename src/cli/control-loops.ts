// The control loops of `skiff server` — the controller manager, the scheduler and the simulated
// nodes — started together on clients of their own user agents (hence field managers). The same
// composition runs on the main thread (in-process clients) or in a worker thread
// (components-thread.ts, PortClients).
import type { Client } from '../client/client.js';
import { ControllerManager } from '../controllers/manager.js';
import { startSimulatedNodes, type SimulatedNodes } from '../kubelet/simulated-nodes.js';
import { SchedulerRunner } from '../scheduler/scheduler-runner.js';
import type { ControllerSettings } from './controllers.js';
import { defaultControllers } from './controllers.js';
import { saveSimulatedNodeState, takeSimulatedNodeState } from './simulated-node-state.js';

export const CONTROLLER_MANAGER_USER_AGENT = 'kube-controller-manager/skiff';
export const SCHEDULER_USER_AGENT = 'kube-scheduler/skiff';
export const SIMULATED_KUBELET_USER_AGENT = 'kubelet/skiff-simulated';

/** What to run (structured-cloneable, so that a worker thread can be told). */
export interface ControlLoopsSpec {
  readonly controllers?: ControllerSettings;
  readonly scheduler?: { readonly verbosity: number };
  readonly simulatedNodes?: {
    readonly count: number;
    readonly capacity: Readonly<Record<string, string>>;
    readonly leaseRenewIntervalMs: number;
    /** where the simulated containers are kept across a graceful restart (simulated-node-state.ts; persistent stores only) */
    readonly stateFile?: string;
  };
}

export interface ControlLoops {
  /** simulated nodes registered */
  readonly registered: number;
  /** Stops the simulated nodes, the scheduler and the controllers, in that order. Idempotent. */
  stop(): Promise<void>;
}

/** Starts what `spec` names; resolves once the simulated nodes are registered. */
export async function startControlLoops(spec: ControlLoopsSpec, clientFor: (userAgent: string) => Client, log?: (line: string) => void): Promise<ControlLoops> {
  const lifetime = new AbortController();
  // what must be seen even without component logs
  const warn = log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  let manager: ControllerManager | undefined;
  let scheduler: SchedulerRunner | undefined;
  let simulated: SimulatedNodes | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      lifetime.abort();
      // saved first, from memory at once: stopping 1,000 kubelets (their Event recorders flush
      // through the API) may outlast the server's shutdown limit. What a kubelet still does after
      // this is redone after the restart, as after a crash.
      const file = spec.simulatedNodes?.stateFile;
      if (simulated && file) {
        try {
          saveSimulatedNodeState(file, simulated.runtimes);
        } catch (e) {
          warn(`simulated nodes: saving the containers to ${file} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      await simulated?.stop();
      await scheduler?.stop();
      await manager?.stop();
    })());
  try {
    if (spec.controllers) {
      manager = new ControllerManager({ client: clientFor(CONTROLLER_MANAGER_USER_AGENT), controllers: defaultControllers(spec.controllers), log });
      manager.start(lifetime.signal);
    }
    if (spec.scheduler) {
      scheduler = new SchedulerRunner({ client: clientFor(SCHEDULER_USER_AGENT), log, verbosity: spec.scheduler.verbosity });
      scheduler.start(lifetime.signal);
    }
    if (spec.simulatedNodes) {
      const { stateFile, ...nodes } = spec.simulatedNodes;
      const restore = stateFile ? takeSimulatedNodeState(stateFile, warn) : undefined;
      simulated = await startSimulatedNodes({ client: clientFor(SIMULATED_KUBELET_USER_AGENT), ...nodes, restore, log }, lifetime.signal);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { registered: simulated?.kubelets.length ?? 0, stop };
}

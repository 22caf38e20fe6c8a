// The entry script of the worker thread in which `skiff server` runs its in-process control
// loops — the controller manager, the scheduler and the simulated nodes — started by
// components-thread.ts (not meant to be imported). Each component reaches the API server of the
// main thread through a PortClient of its own user agent (hence field manager), all over one
// port; the worker's parentPort carries only control messages:
//   worker → main: {t:'ready', registered} once started (simulated nodes registered), {t:'log', line},
//                  {t:'failed', message} when start-up failed, {t:'stopped'} after a stop;
//   main → worker: {t:'stop'} — stop the components (nodes, scheduler, controllers), close the ports.
import { parentPort, workerData } from 'node:worker_threads';
import { PortConnection } from '../client/port-client.js';
import { ControllerManager } from '../controllers/manager.js';
import { startSimulatedNodes, type SimulatedNodes } from '../kubelet/simulated-nodes.js';
import { SchedulerRunner } from '../scheduler/scheduler-runner.js';
import { CONTROLLER_MANAGER_USER_AGENT, SCHEDULER_USER_AGENT, SIMULATED_KUBELET_USER_AGENT, type ComponentsWorkerData } from './components-thread.js';
import { defaultControllers } from './controllers.js';

if (!parentPort) throw new Error('components-worker: expected to run in a worker thread');
const control = parentPort;
const data = workerData as ComponentsWorkerData;
const log = data.log ? (line: string) => control.postMessage({ t: 'log', line }) : undefined;
const lifetime = new AbortController();
const api = new PortConnection(data.port);

let manager: ControllerManager | undefined;
let scheduler: SchedulerRunner | undefined;
let simulated: SimulatedNodes | undefined;

control.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  lifetime.abort();
  void (async () => {
    try {
      await simulated?.stop();
      await scheduler?.stop();
      await manager?.stop();
    } finally {
      api.close();
      control.postMessage({ t: 'stopped' });
      control.close();
    }
  })();
});

try {
  if (data.controllers) {
    manager = new ControllerManager({ client: api.client(CONTROLLER_MANAGER_USER_AGENT), controllers: defaultControllers(data.controllers.settings), log });
    manager.start(lifetime.signal);
  }
  if (data.scheduler) {
    scheduler = new SchedulerRunner({ client: api.client(SCHEDULER_USER_AGENT), log, verbosity: data.scheduler.verbosity });
    scheduler.start(lifetime.signal);
  }
  if (data.simulatedNodes) {
    simulated = await startSimulatedNodes({ client: api.client(SIMULATED_KUBELET_USER_AGENT), ...data.simulatedNodes, log }, lifetime.signal);
  }
  if (!lifetime.signal.aborted) control.postMessage({ t: 'ready', registered: simulated?.kubelets.length ?? 0 });
} catch (e) {
  control.postMessage({ t: 'failed', message: e instanceof Error ? e.message : String(e) });
}

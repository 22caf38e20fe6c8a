// The entry script of the worker thread in which `skiff server` runs its
// control loops (control-loops.ts), started by components-thread.ts (not meant to be imported).
// Every loop reaches the API server of the main thread through a PortClient of its own user
// agent, all over one port; the worker's parentPort carries only control messages:
//   worker → main: {t:'ready', registered} once started (simulated nodes registered), {t:'log', line},
//                  {t:'failed', message} when start-up failed, {t:'stopped'} after a stop;
//   main → worker: {t:'stop'} — stop the loops, close the port.
import { parentPort, workerData } from 'node:worker_threads';
import { PortConnection } from '../client/port-client.js';
import type { ComponentsWorkerData } from './components-thread.js';
import { startControlLoops, type ControlLoops } from './control-loops.js';

if (!parentPort) throw new Error('components-worker: expected to run in a worker thread');
const control = parentPort;
const data = workerData as ComponentsWorkerData;
// the loops' informers keep no managedFields, as kube-scheduler's and kube-controller-manager's
const api = new PortConnection(data.port, { stripManagedFields: true });
let loops: Promise<ControlLoops> | undefined;

control.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  void (async () => {
    try {
      await (await loops?.catch(() => undefined))?.stop();
    } finally {
      api.close();
      control.postMessage({ t: 'stopped' });
      control.close();
    }
  })();
});

loops = startControlLoops(data.spec, (userAgent) => api.client(userAgent), data.log ? (line) => control.postMessage({ t: 'log', line }) : undefined);
loops.then(
  (l) => control.postMessage({ t: 'ready', registered: l.registered }),
  (e: unknown) => control.postMessage({ t: 'failed', message: e instanceof Error ? e.message : String(e) }),
);

// The entry script of the worker thread that runs simulated nodes for `skiff server` (started by
// simulated-nodes-thread.ts; not meant to be imported). The nodes reach the API server of the main
// thread through a PortClient on `workerData.clientPort`; the worker's parentPort carries only
// control messages:
//   worker → main: {t:'ready', registered} once every node is registered, {t:'log', line},
//                  {t:'failed', message} when start-up failed, {t:'stopped'} after a stop;
//   main → worker: {t:'stop'} — stop every node, then close the client port and exit.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PortClient } from '../client/port-client.js';
import { startSimulatedNodes, type SimulatedNodes } from './simulated-nodes.js';

/** What the main thread hands the worker (structured-cloneable options of startSimulatedNodes). */
export interface SimulatedNodesWorkerData {
  readonly clientPort: MessagePort;
  readonly count: number;
  readonly namePrefix?: string;
  readonly firstIndex?: number;
  readonly capacity?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly recordEvents?: boolean;
  readonly leaseRenewIntervalMs?: number;
  /** forward log lines to the main thread */
  readonly log: boolean;
}

if (!parentPort) throw new Error('simulated-nodes-worker: expected to run in a worker thread');
const control = parentPort;
const data = workerData as SimulatedNodesWorkerData;
const client = new PortClient(data.clientPort);
const lifetime = new AbortController();
let nodes: SimulatedNodes | undefined;

control.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  lifetime.abort();
  void (async () => {
    try {
      await nodes?.stop();
    } finally {
      client.close();
      control.postMessage({ t: 'stopped' });
      control.close();
    }
  })();
});

try {
  nodes = await startSimulatedNodes(
    {
      client,
      count: data.count,
      namePrefix: data.namePrefix,
      firstIndex: data.firstIndex,
      capacity: data.capacity,
      labels: data.labels,
      recordEvents: data.recordEvents,
      leaseRenewIntervalMs: data.leaseRenewIntervalMs,
      log: data.log ? (line) => control.postMessage({ t: 'log', line }) : undefined,
    },
    lifetime.signal,
  );
  if (!lifetime.signal.aborted) control.postMessage({ t: 'ready', registered: nodes.kubelets.length });
} catch (e) {
  control.postMessage({ t: 'failed', message: e instanceof Error ? e.message : String(e) });
}

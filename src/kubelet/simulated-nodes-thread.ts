// Simulated nodes in a worker thread of their own: `skiff server --simulated-nodes N` runs its
// hollow kubelets (their informers, pod workers, status and Event writes, Lease renewals) there,
// so the API server's thread only serves their requests and a second core does the rest. The
// nodes talk to the API through a PortClient whose calls `serveClient` runs on `client` in this
// thread: the same API semantics as in-process, objects crossing as structured clones.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Client } from '../client/client.js';
import { serveClient } from '../client/port-client.js';
import type { SimulatedNodesWorkerData } from './simulated-nodes-worker.js';

export interface SimulatedNodesThreadOptions extends Omit<SimulatedNodesWorkerData, 'clientPort' | 'log'> {
  /** serves the nodes' API calls (the in-process client) */
  readonly client: Client;
  /** default none */
  readonly log?: (line: string) => void;
}

export interface SimulatedNodesThread {
  /** how many nodes registered */
  readonly registered: number;
  /** Stops every node and ends the thread. Idempotent. */
  stop(): Promise<void>;
}

/** How long stop() waits for the nodes to stop before the thread is terminated. */
const STOP_LIMIT_MS = 30_000;

type FromWorker = { t: 'ready'; registered: number } | { t: 'log'; line: string } | { t: 'failed'; message: string } | { t: 'stopped' };

/**
 * Starts the worker and resolves once every node is registered; rejects (and ends the thread)
 * when start-up fails or the thread dies. Aborting `signal` stops the nodes.
 */
export async function startSimulatedNodesThread(opts: SimulatedNodesThreadOptions, signal?: AbortSignal): Promise<SimulatedNodesThread> {
  const { client, log, ...rest } = opts;
  const channel = new MessageChannel();
  const stopServing = serveClient(client, channel.port1);
  const workerData: SimulatedNodesWorkerData = { ...rest, clientPort: channel.port2, log: log !== undefined };
  const worker = new Worker(new URL('./simulated-nodes-worker.js', import.meta.url), { workerData, transferList: [channel.port2] });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      worker.postMessage({ t: 'stop' });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_LIMIT_MS)));
      if (await Promise.race([exited.then(() => false), late])) await worker.terminate();
      clearTimeout(timer);
      stopServing();
    })());

  const registered = await new Promise<number>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'log') log?.(m.line);
      else if (m.t === 'ready') resolve(m.registered);
      else if (m.t === 'failed') reject(new Error(m.message));
    });
    worker.on('error', (e) => {
      log?.(`simulated nodes: the thread failed: ${e.stack ?? e.message}`);
      reject(e);
    });
    void exited.then(() => reject(new Error('the simulated nodes thread exited')));
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  if (signal?.aborted) void stop();
  else signal?.addEventListener('abort', () => void stop(), { once: true });
  return { registered, stop };
}

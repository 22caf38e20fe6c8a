// `skiff server --control-loops-thread`: the control loops (control-loops.ts: controller manager,
// scheduler, simulated nodes with their informers, caches, pod workers, Events, Lease renewals)
// run in a worker thread, so the API server's thread only serves their requests and another core
// does the rest. Their API calls cross one MessagePort to `serveClients`, which runs them on
// in-process clients of this thread (one per loop's user agent): the API semantics of in-process
// calls; watch events and results cross as the API's JSON text, parsed in the worker.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { serveClients, type HostClient } from '../client/port-client.js';
import type { ControlLoops, ControlLoopsSpec } from './control-loops.js';

/** What the worker gets (structured-cloneable; the port transferred). */
export interface ComponentsWorkerData {
  /** every loop's API calls */
  readonly port: MessagePort;
  readonly spec: ControlLoopsSpec;
  /** forward log lines to the main thread */
  readonly log: boolean;
}

export interface ComponentsThreadOptions {
  /** an in-process client with this user agent (its program name becomes the field manager) */
  readonly client: (userAgent: string) => HostClient;
  readonly spec: ControlLoopsSpec;
  /** where the thread's failures go */
  readonly log: (line: string) => void;
  /** pass the components' own log lines on to `log` too; default false */
  readonly componentLogs?: boolean;
}

/** How long stop() waits for the components to stop before the thread is terminated. */
const STOP_LIMIT_MS = 30_000;

type FromWorker = { t: 'ready'; registered: number } | { t: 'log'; line: string } | { t: 'failed'; message: string } | { t: 'stopped' };

/** Starts the thread; resolves once its components started (simulated nodes registered); rejects, with the thread ended, when they could not. */
export async function startComponentsThread(opts: ComponentsThreadOptions): Promise<ControlLoops> {
  const { port1, port2 } = new MessageChannel();
  const stopServing = serveClients(opts.client, port1);
  const data: ComponentsWorkerData = {
    port: port2,
    spec: opts.spec,
    log: opts.componentLogs === true,
  };
  const worker = new Worker(new URL('./components-worker.js', import.meta.url), { workerData: data, transferList: [port2] });
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
      if (m.t === 'log') opts.log(m.line);
      else if (m.t === 'ready') resolve(m.registered);
      else if (m.t === 'failed') reject(new Error(m.message));
    });
    worker.on('error', (e) => {
      opts.log(`skiff: the control loops' thread failed: ${e.stack ?? e.message}`);
      reject(e);
    });
    void exited.then(() => reject(new Error("the control loops' thread exited")));
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { registered, stop };
}

// `skiff server`'s control loops in a worker thread: the controller manager, the scheduler and
// the simulated nodes (their informers, caches, pod workers, Events, Lease renewals) run there,
// so the API server's thread only serves their requests and the machine's second core does the
// rest. Each component's API calls go through a MessagePort to `serveClient` running them on an
// in-process client of this thread (the component's own user agent): the same API semantics as
// in-process; watch events cross as the API's JSON text, parsed once per event in the worker.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { serveClients, type HostClient } from '../client/port-client.js';
import type { ControllerSettings } from './controllers.js';

/** The user agents (hence field managers) of the components, as when they ran in-process. */
export const CONTROLLER_MANAGER_USER_AGENT = 'kube-controller-manager/skiff';
export const SCHEDULER_USER_AGENT = 'kube-scheduler/skiff';
export const SIMULATED_KUBELET_USER_AGENT = 'kubelet/skiff-simulated';

/** What the worker gets (structured-cloneable; the port transferred). */
export interface ComponentsWorkerData {
  /** every component's API calls */
  readonly port: MessagePort;
  readonly controllers?: { readonly settings: ControllerSettings };
  readonly scheduler?: { readonly verbosity: number };
  readonly simulatedNodes?: {
    readonly count: number;
    readonly capacity: Readonly<Record<string, string>>;
    readonly leaseRenewIntervalMs: number;
  };
  /** forward log lines to the main thread */
  readonly log: boolean;
}

export interface ComponentsThreadOptions {
  /** an in-process client with this user agent (its program name becomes the field manager) */
  readonly client: (userAgent: string) => HostClient;
  readonly controllers?: ControllerSettings;
  readonly scheduler?: { readonly verbosity: number };
  readonly simulatedNodes?: ComponentsWorkerData['simulatedNodes'];
  /** where the thread's failures go */
  readonly log: (line: string) => void;
  /** pass the components' own log lines on to `log` too; default false */
  readonly componentLogs?: boolean;
}

export interface ComponentsThread {
  /** simulated nodes registered */
  readonly registered: number;
  /** Stops the components and ends the thread. Idempotent. */
  stop(): Promise<void>;
}

/** How long stop() waits for the components to stop before the thread is terminated. */
const STOP_LIMIT_MS = 30_000;

type FromWorker = { t: 'ready'; registered: number } | { t: 'log'; line: string } | { t: 'failed'; message: string } | { t: 'stopped' };

/** Starts the thread; resolves once its components started (simulated nodes registered); rejects, with the thread ended, when they could not. */
export async function startComponentsThread(opts: ComponentsThreadOptions): Promise<ComponentsThread> {
  const { port1, port2 } = new MessageChannel();
  const stopServing = serveClients(opts.client, port1);
  const data: ComponentsWorkerData = {
    port: port2,
    controllers: opts.controllers ? { settings: opts.controllers } : undefined,
    scheduler: opts.scheduler,
    simulatedNodes: opts.simulatedNodes,
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

// The endpoints controller ("endpoints"): keeps an Endpoints object beside every Service that has
// a selector. Wiring only: Service events queue the Service's key; pod events queue the keys of
// the Services whose selectors match the pod (before and after the change); a deleted Endpoints
// object queues its Service so that it is recreated. reconcile.ts does the work.
import { errorMessage, runWorker } from '../work-loop.js';
import { objectKey } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import type { Lister } from '../../client/lister.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { CONTROLLER_NAME } from './desired-endpoints.js';
import { managedServiceSelector, podEndpointFingerprint, type PodObject, type ServiceObject } from './pod-endpoints.js';
import { ENDPOINTS, EndpointsReconciler, StaleCacheError, type EndpointsObject } from './reconcile.js';

export const ENDPOINTS_CONTROLLER_NAME = 'endpoints';
/** Kubernetes' --concurrent-endpoint-syncs default. */
export const DEFAULT_ENDPOINTS_WORKERS = 5;
/** Endpoints carrying this annotation are leader-election records, not a Service's endpoints. */
const LEADER_ELECTION_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export const SERVICES = resourceInfo('', 'v1', 'services');
export const PODS = resourceInfo('', 'v1', 'pods');

export interface EndpointsControllerOptions {
  /** concurrent reconciles; default DEFAULT_ENDPOINTS_WORKERS */
  readonly workers?: number;
}

export function createEndpointsController(deps: ControllerDeps, opts: EndpointsControllerOptions = {}): Controller {
  const name = ENDPOINTS_CONTROLLER_NAME;
  return {
    name,
    start(signal: AbortSignal): void {
      const log = (line: string) => deps.log(`${name}: ${line}`);
      const services = deps.informers.forResource<ServiceObject>(SERVICES);
      const pods = deps.informers.forResource<PodObject>(PODS);
      const endpoints = deps.informers.forResource<EndpointsObject>(ENDPOINTS);
      const queue = new WorkQueue({ clock: deps.clock });
      const reconciler = new EndpointsReconciler({
        client: deps.client,
        services: services.lister,
        pods: pods.lister,
        endpoints: endpoints.lister,
        recorder: deps.recorder(CONTROLLER_NAME),
      });

      const enqueueServicesOf = (pod: PodObject) => {
        for (const key of servicesSelecting(services.lister, pod)) queue.add(key);
      };
      const removers = [
        services.addEventHandler({
          onAdd: (s) => queue.add(objectKey(s)),
          onUpdate: (_o, s) => queue.add(objectKey(s)),
          onDelete: (s) => queue.add(objectKey(s)),
        }),
        pods.addEventHandler({
          onAdd: enqueueServicesOf,
          onUpdate: (old, pod) => {
            const relabelled = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {});
            if (old !== pod && !relabelled && podEndpointFingerprint(old) === podEndpointFingerprint(pod)) return;
            enqueueServicesOf(pod);
            if (relabelled) enqueueServicesOf(old);
          },
          onDelete: enqueueServicesOf,
        }),
        endpoints.addEventHandler({ onDelete: (e) => queue.add(objectKey(e)) }),
      ];
      signal.addEventListener(
        'abort',
        () => {
          queue.shutDown();
          for (const remove of removers) remove();
        },
        { once: true },
      );

      void (async () => {
        const synced = await Promise.all([services, pods, endpoints].map((i) => i.waitForSync(signal)));
        if (!synced.every(Boolean) || signal.aborted) return;
        // Endpoints left behind by Services deleted while no controller ran.
        for (const e of endpoints.lister.list()) {
          if (e.metadata?.annotations?.[LEADER_ELECTION_ANNOTATION] === undefined) queue.add(objectKey(e));
        }
        const workers = Math.max(1, opts.workers ?? DEFAULT_ENDPOINTS_WORKERS);
        for (let i = 0; i < workers; i++) void work(queue, (key) => reconciler.reconcile(key), log);
      })();
    },
  };
}

/** Keys of the Services in the pod's namespace whose endpoints this controller manages and whose selector matches the pod. */
export function servicesSelecting(services: Lister<ServiceObject>, pod: PodObject): string[] {
  const ns = pod.metadata?.namespace ?? '';
  const keys: string[] = [];
  for (const s of services.listInNamespace(ns)) {
    if (managedServiceSelector(s)?.matches(pod.metadata?.labels)) keys.push(objectKey(s));
  }
  return keys;
}

/** One worker: reconcile keys until the queue shuts down; failures are requeued with backoff (a stale cache quietly). */
export function work(queue: WorkQueue, reconcile: (key: string) => Promise<void>, log: (line: string) => void): Promise<void> {
  return runWorker(queue, reconcile, (key, e, retries) => {
    if (!(e instanceof StaleCacheError)) log(`sync ${key} failed (retry ${retries + 1}): ${errorMessage(e)}`);
  });
}

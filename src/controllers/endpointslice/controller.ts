// The EndpointSlice controller ("endpointslice"): keeps the EndpointSlices of every Service that
// has a selector. Wiring only: Service events queue the Service's key; pod events queue the keys
// of the Services selecting the pod (before and after the change); events on slices this
// controller manages queue their Service (so that edits and deletions by others are undone).
// reconcile.ts does the work.
import { objectKey } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { PODS, SERVICES, servicesSelecting, work } from '../endpoints/controller.js';
import { podEndpointFingerprint, type PodObject, type ServiceObject } from '../endpoints/pod-endpoints.js';
import { resourceInfo } from '../../client/client.js';
import { CONTROLLER_NAME, DEFAULT_MAX_ENDPOINTS_PER_SLICE, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from './desired-slices.js';
import { ENDPOINT_SLICES, EndpointSliceReconciler, type NodeObject, type SliceObject } from './reconcile.js';
import { SliceTracker } from './slice-tracker.js';

export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice';
/** Kubernetes' --concurrent-service-endpoint-syncs default. */
export const DEFAULT_ENDPOINTSLICE_WORKERS = 5;
/** Index of managed slices by the key of their Service. */
export const SLICES_BY_SERVICE_INDEX = 'endpointslice-controller/service';

const NODES = resourceInfo('', 'v1', 'nodes');

export interface EndpointSliceControllerOptions {
  /** default DEFAULT_MAX_ENDPOINTS_PER_SLICE (100) */
  readonly maxEndpointsPerSlice?: number;
  /** concurrent reconciles; default DEFAULT_ENDPOINTSLICE_WORKERS */
  readonly workers?: number;
}

/** The key of the Service a managed slice belongs to, or undefined for slices others manage. */
export function serviceKeyOfSlice(s: SliceObject): string | undefined {
  const labels = s.metadata?.labels;
  const svc = labels?.[SERVICE_NAME_LABEL];
  if (!svc || labels?.[MANAGED_BY_LABEL] !== CONTROLLER_NAME) return undefined;
  return `${s.metadata?.namespace ?? ''}/${svc}`;
}

export function createEndpointSliceController(deps: ControllerDeps, opts: EndpointSliceControllerOptions = {}): Controller {
  const name = ENDPOINTSLICE_CONTROLLER_NAME;
  return {
    name,
    start(signal: AbortSignal): void {
      const log = (line: string) => deps.log(`${name}: ${line}`);
      const services = deps.informers.forResource<ServiceObject>(SERVICES);
      const pods = deps.informers.forResource<PodObject>(PODS);
      const nodes = deps.informers.forResource<NodeObject>(NODES);
      const slices = deps.informers.forResource<SliceObject>(ENDPOINT_SLICES);
      ensureIndex(slices, SLICES_BY_SERVICE_INDEX, (s) => {
        const k = serviceKeyOfSlice(s);
        return k ? [k] : [];
      });
      const queue = new WorkQueue({ clock: deps.clock });
      const tracker = new SliceTracker();
      const reconciler = new EndpointSliceReconciler({
        client: deps.client,
        services: services.lister,
        pods: pods.lister,
        nodes: nodes.lister,
        slicesOf: (key) => slices.indexer.byIndex(SLICES_BY_SERVICE_INDEX, key),
        tracker,
        maxEndpointsPerSlice: opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE,
      });

      const enqueueServicesOf = (pod: PodObject) => {
        for (const key of servicesSelecting(services.lister, pod)) queue.add(key);
      };
      const enqueueSlice = (s: SliceObject) => {
        const key = serviceKeyOfSlice(s);
        if (key) queue.add(key);
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
        slices.addEventHandler({
          onAdd: enqueueSlice,
          onUpdate: (old, s) => {
            enqueueSlice(s);
            if (serviceKeyOfSlice(old) !== serviceKeyOfSlice(s)) enqueueSlice(old);
          },
          onDelete: (s) => {
            const key = serviceKeyOfSlice(s);
            if (!key) return;
            tracker.sliceGone(key, s.metadata?.name ?? '');
            queue.add(key);
          },
        }),
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
        const synced = await Promise.all([services, pods, nodes, slices].map((i) => i.waitForSync(signal)));
        if (!synced.every(Boolean) || signal.aborted) return;
        const workers = Math.max(1, opts.workers ?? DEFAULT_ENDPOINTSLICE_WORKERS);
        for (let i = 0; i < workers; i++) void work(queue, (key) => reconciler.reconcile(key), log);
      })();
    },
  };
}

/** Adds an index to a shared informer's cache unless a controller started earlier in this process already did. */
function ensureIndex<T extends SliceObject>(informer: Informer<T>, name: string, fn: (o: T) => readonly string[]): void {
  try {
    informer.indexer.indexValues(name);
  } catch {
    informer.indexer.addIndexers({ [name]: fn });
  }
}

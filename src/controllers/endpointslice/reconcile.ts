// One step of the EndpointSlice controller for one Service key: plan the writes that make the
// Service's managed slices match its pods (desired-slices.ts) and carry them out, or remove the
// slices once the Service is gone. Idempotent; writes only what changed. Throws (the caller
// requeues with backoff) on API failures, when the slice cache has not caught up with this
// controller's own writes, and while selected pods name a node the cache does not know.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isApiError, isNotFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import { resourceInfo } from '../../client/client.js';
import type { Lister } from '../../client/lister.js';
import { managedServiceSelector, type PodObject, type ServiceObject } from '../endpoints/pod-endpoints.js';
import { StaleCacheError, splitKey } from '../endpoints/reconcile.js';
import { TriggerTimeTracker } from '../endpoints/trigger-time-tracker.js';
import { planSlices, type MutableSlice } from './desired-slices.js';
import { SliceTracker } from './slice-tracker.js';

export const ENDPOINT_SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');

export type SliceObject = EndpointSlice & KubeObject;
export type NodeObject = Node & KubeObject;

export interface EndpointSliceReconcilerDeps {
  readonly client: Client;
  readonly services: Lister<ServiceObject>;
  readonly pods: Lister<PodObject>;
  readonly nodes: Lister<NodeObject>;
  /** the managed slices of a Service, by its key */
  readonly slicesOf: (serviceKey: string) => SliceObject[];
  readonly tracker: SliceTracker;
  readonly maxEndpointsPerSlice?: number;
}

export class EndpointSliceReconciler {
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(private readonly deps: EndpointSliceReconcilerDeps) {}

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const { client, services, pods, nodes, tracker } = this.deps;
    const existing = this.deps.slicesOf(key);
    const service = services.get(namespace, name);
    if (!service) {
      // The garbage collector removes slices with their owner; this covers a cluster without one.
      for (const s of existing) await this.delete(key, s);
      this.triggerTimes.delete(key);
      tracker.forgetService(key);
      return;
    }
    const selector = managedServiceSelector(service);
    if (!selector) return; // slices for this Service come from elsewhere (or it has none)
    if (tracker.isStale(key, existing)) throw new StaleCacheError(`endpointslices of service ${key}`);

    const selected = pods.listInNamespace(namespace, selector);
    const plan = planSlices({
      service,
      pods: selected,
      nodes: (n) => nodes.get(undefined, n),
      existing,
      maxEndpointsPerSlice: this.deps.maxEndpointsPerSlice,
      triggerTime: this.triggerTimes.compute(key, service, selected),
    });
    try {
      for (const s of plan.create) {
        const created = await client.create<SliceObject>(ENDPOINT_SLICES, s as SliceObject);
        tracker.created(key, created.metadata?.name ?? '');
      }
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      throw e;
    }
    for (const s of plan.update) await this.update(key, s);
    for (const s of plan.delete) await this.delete(key, s);
    if (plan.missingNodes.length) {
      throw new Error(`pods of service ${key} are on nodes not (yet) known: ${[...new Set(plan.missingNodes)].join(', ')}; left out for now`);
    }
  }

  private async update(key: string, s: MutableSlice): Promise<void> {
    const replaced = s.metadata?.resourceVersion ?? '';
    const updated = await this.deps.client.update<SliceObject>(ENDPOINT_SLICES, s as SliceObject);
    if (updated.metadata?.resourceVersion !== replaced) this.deps.tracker.updated(key, s.metadata?.name ?? '', replaced);
  }

  private async delete(key: string, s: EndpointSlice): Promise<void> {
    const name = s.metadata?.name ?? '';
    try {
      await this.deps.client.delete(ENDPOINT_SLICES, s.metadata?.namespace, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.deps.tracker.deleted(key, name);
  }
}

function isNamespaceTerminating(e: unknown): boolean {
  return isApiError(e) && e.code === 403 && (e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating') ?? false);
}

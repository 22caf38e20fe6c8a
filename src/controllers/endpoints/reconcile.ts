// One step of the endpoints controller for one Service key: make the Endpoints object of the same
// name hold what desired-endpoints.ts computes from the cached Service and pods, or delete it
// when the Service is gone. Idempotent; writes only when something changed. Throws (the caller
// requeues with backoff) on API failures and when the Endpoints cache has not yet seen this
// controller's last write.
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { isNotFound, isApiError, isConflict, isAlreadyExists } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import { resourceInfo } from '../../client/client.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/lister.js';
import { desiredEndpoints } from './desired-endpoints.js';
import { managedServiceSelector, type PodObject, type ServiceObject } from './pod-endpoints.js';
import { TriggerTimeTracker } from './trigger-time-tracker.js';

export const ENDPOINTS = resourceInfo('', 'v1', 'endpoints');

export type EndpointsObject = Endpoints & KubeObject;

export interface EndpointsReconcilerDeps {
  readonly client: Client;
  readonly services: Lister<ServiceObject>;
  readonly pods: Lister<PodObject>;
  readonly endpoints: Lister<EndpointsObject>;
  readonly recorder: EventRecorder;
}

/** The cache still shows an object this controller has already replaced: retry once it catches up. */
export class StaleCacheError extends Error {
  constructor(what: string) {
    super(`${what}: informer cache is out of date, retrying once it has caught up`);
    this.name = 'StaleCacheError';
  }
}

export class EndpointsReconciler {
  private readonly triggerTimes = new TriggerTimeTracker();
  /** Endpoints key → the resourceVersion this controller last replaced (the cache showing it is stale). */
  private readonly replaced = new Map<string, string>();

  constructor(private readonly deps: EndpointsReconcilerDeps) {}

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const { client, services, pods, endpoints } = this.deps;
    const service = services.get(namespace, name);
    if (!service) {
      // The Service is gone: so are its endpoints (whoever wrote them, as Kubernetes does).
      try {
        await client.delete(ENDPOINTS, namespace, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      this.triggerTimes.delete(key);
      this.replaced.delete(key);
      return;
    }
    const selector = managedServiceSelector(service);
    if (!selector) return; // someone else writes this Service's endpoints (or it has none)

    const selected = pods.listInNamespace(namespace, selector);
    const triggerTime = this.triggerTimes.compute(key, service, selected);
    const current = endpoints.get(namespace, name);
    if (current && this.replaced.get(key) === current.metadata?.resourceVersion) throw new StaleCacheError(`endpoints ${key}`);
    this.replaced.delete(key);

    const want = desiredEndpoints(service, selected, current, triggerTime);
    if (!want) return;
    try {
      if (current) {
        const updated = await client.update<EndpointsObject>(ENDPOINTS, want as EndpointsObject);
        if (updated.metadata?.resourceVersion !== current.metadata?.resourceVersion) this.replaced.set(key, current.metadata?.resourceVersion ?? '');
      } else {
        await client.create<EndpointsObject>(ENDPOINTS, want as EndpointsObject);
      }
    } catch (e) {
      if (!current && isNamespaceTerminating(e)) return; // creates will keep failing; the namespace is going away
      // Conflicts and AlreadyExists are races with a stale cache, retried quietly.
      if (!isConflict(e) && !isAlreadyExists(e)) {
        const message = e instanceof Error ? e.message : String(e);
        this.deps.recorder.event(
          want as KubeObject,
          'Warning',
          current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint',
          current ? `Failed to update endpoint ${key}: ${message}` : `Failed to create endpoint for service ${key}: ${message}`,
        );
      }
      throw e;
    }
  }
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

function isNamespaceTerminating(e: unknown): boolean {
  return isApiError(e) && e.code === 403 && (e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating') ?? false);
}

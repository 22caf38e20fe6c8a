// The namespace controller's reconcile of one namespace: when it is terminating and its
// spec.finalizers still hold `kubernetes`, delete every namespaced object in it (deletecollection,
// Background propagation, per resource), report what is left on status.conditions, and, once
// nothing is left, drop `kubernetes` from spec.finalizers through the finalize subresource —
// the API server then removes the namespace. While objects remain (pods terminating gracefully,
// finalizers of other controllers), the namespace is looked at again after a growing delay.
// Idempotent; throws on API failures (the caller requeues with backoff).
import { rfc3339 } from '../../api/time.js';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { isApiError, isConflict, isNotFound } from '../../api/errors.js';
import { deepCopy, type DeepMutable, type KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { resourceInfo, type Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { Lister } from '../../client/lister.js';
import { KUBERNETES_FINALIZER, deletionConditions, tallyRemaining } from './content.js';
import type { FinalizeNamespace } from './finalize.js';

export type NamespaceObject = Namespace & KubeObject;
export const NAMESPACES = resourceInfo('', 'v1', 'namespaces');

export interface NamespaceReconcilerDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  readonly namespaces: Lister<NamespaceObject>;
  /** what a terminating namespace is emptied of */
  readonly resources: readonly ResourceInfo[];
  /** PUT .../finalize; undefined when the client cannot (the namespace then stays Terminating) */
  readonly finalize: FinalizeNamespace | undefined;
}

export type NamespaceResult = 'done' | 'waiting';

export class NamespaceReconciler {
  constructor(private readonly deps: NamespaceReconcilerDeps) {}

  /** 'waiting' while content remains (look again later); 'done' when finalized or nothing to do. */
  async reconcile(name: string): Promise<NamespaceResult> {
    const cached = this.deps.namespaces.get(undefined, name);
    if (!cached?.metadata?.deletionTimestamp) return 'done';
    if (!cached.spec?.finalizers?.includes(KUBERNETES_FINALIZER)) return 'done';

    const errors: string[] = [];
    const left = new Map<ResourceInfo, KubeObject[]>();
    for (const info of this.deps.resources) {
      try {
        await this.deleteAll(info, name);
      } catch (e) {
        errors.push(`${info.group ? `${info.plural}.${info.group}` : info.plural}: ${message(e)}`);
      }
      try {
        left.set(info, (await this.deps.client.list(info, name)).items);
      } catch (e) {
        errors.push(`listing ${info.plural}: ${message(e)}`);
      }
    }
    const remaining = tallyRemaining(left);
    await this.writeConditions(cached, remaining, errors);
    if (errors.length || remaining.resources.size) return 'waiting';

    if (!this.deps.finalize) {
      throw new Error(`namespace ${name} is empty but cannot be finalized: the client has no finalizeNamespace (PUT /api/v1/namespaces/${name}/finalize)`);
    }
    const latest = this.deps.namespaces.get(undefined, name) ?? cached;
    const ns = deepCopy(latest) as DeepMutable<Namespace> & KubeObject;
    ns.spec = { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER) };
    try {
      await this.deps.finalize(ns);
      this.deps.log(`namespace-controller: namespace ${name} is empty; finalized`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return 'done';
  }

  /** deletecollection (Background); resources without it are deleted one by one. */
  private async deleteAll(info: ResourceInfo, namespace: string): Promise<void> {
    const { client } = this.deps;
    if (info.verbs.includes('deletecollection')) {
      try {
        await client.deleteCollection(info, namespace, { propagationPolicy: 'Background' });
        return;
      } catch (e) {
        // A resource that refuses deletecollection (405) or does not serve it (404): one by one.
        if (!isApiError(e) || (e.code !== 405 && e.code !== 404)) throw e;
      }
    }
    const { items } = await client.list(info, namespace);
    for (const o of items) {
      if (o.metadata?.deletionTimestamp) continue;
      try {
        await client.delete(info, namespace, o.metadata?.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: o.metadata?.uid } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
  }

  private async writeConditions(cached: NamespaceObject, remaining: ReturnType<typeof tallyRemaining>, errors: string[]): Promise<void> {
    const now = rfc3339(this.deps.clock.now());
    const conditions = deletionConditions(cached.status?.conditions, remaining, errors, now);
    const before = JSON.stringify(cached.status?.conditions ?? []);
    if (JSON.stringify(conditions) === before) return;
    const ns = deepCopy(cached) as DeepMutable<Namespace> & KubeObject;
    ns.status = { ...ns.status, phase: 'Terminating', conditions };
    try {
      await this.deps.client.updateStatus(NAMESPACES, ns);
    } catch (e) {
      // Conditions are informative; a stale cache or a namespace already gone is not a failure.
      if (!isConflict(e) && !isNotFound(e)) throw e;
    }
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// The service account controller ("serviceaccount"): every active namespace has a ServiceAccount
// named `default`, recreated if deleted, as Kubernetes' ServiceAccountsController keeps it.
// Namespace and ServiceAccount events queue the namespace's name; reconcile creates what is
// missing. Idempotent: AlreadyExists means another writer was first, which is fine.
import { errorMessage, runWorker } from '../work-loop.js';
import { isApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';

export const SERVICE_ACCOUNT_CONTROLLER_NAME = 'serviceaccount';
export const DEFAULT_SERVICE_ACCOUNT = 'default';
const NAMESPACES = resourceInfo('', 'v1', 'namespaces');
const SERVICE_ACCOUNTS = resourceInfo('', 'v1', 'serviceaccounts');

/** True when a namespace needs its default ServiceAccount: it exists and is not being deleted. */
export function wantsDefaultServiceAccount(ns: KubeObject | undefined): boolean {
  if (!ns || ns.metadata?.deletionTimestamp) return false;
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  return phase !== 'Terminating';
}

export function createServiceAccountController(deps: ControllerDeps): Controller {
  return {
    name: SERVICE_ACCOUNT_CONTROLLER_NAME,
    start(signal: AbortSignal): void {
      const log = (line: string) => deps.log(`${SERVICE_ACCOUNT_CONTROLLER_NAME}: ${line}`);
      const namespaces = deps.informers.forResource(NAMESPACES);
      const accounts = deps.informers.forResource(SERVICE_ACCOUNTS);
      const queue = new WorkQueue({ clock: deps.clock });
      const enqueueNamespace = (o: KubeObject) => queue.add(o.metadata?.name ?? '');
      const enqueueOwner = (o: KubeObject) => {
        if (o.metadata?.name === DEFAULT_SERVICE_ACCOUNT && o.metadata.namespace) queue.add(o.metadata.namespace);
      };
      const removers = [
        namespaces.addEventHandler({ onAdd: enqueueNamespace, onUpdate: (_o, n) => enqueueNamespace(n) }),
        accounts.addEventHandler({ onDelete: enqueueOwner }),
      ];
      signal.addEventListener(
        'abort',
        () => {
          queue.shutDown();
          for (const r of removers) r();
        },
        { once: true },
      );

      const reconcile = async (ns: string): Promise<void> => {
        if (!wantsDefaultServiceAccount(namespaces.lister.get(undefined, ns))) return;
        if (accounts.lister.get(ns, DEFAULT_SERVICE_ACCOUNT)) return;
        try {
          await deps.client.create(SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: ns } });
        } catch (e) {
          // AlreadyExists: the cache was behind; Forbidden: the namespace started terminating.
          if (isApiError(e) && (e.reason === 'AlreadyExists' || e.reason === 'Forbidden' || e.reason === 'NotFound')) return;
          throw e;
        }
      };

      void (async () => {
        const synced = (await namespaces.waitForSync(signal)) && (await accounts.waitForSync(signal));
        if (!synced || signal.aborted) return;
        await runWorker(queue, reconcile, (key, e, retries) => log(`namespace ${key}: ${errorMessage(e)} (retry ${retries + 1})`));
      })();
    },
  };
}

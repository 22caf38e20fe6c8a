// The namespace controller's wiring: the namespaces informer → names of terminating namespaces in
// a work queue → NamespaceReconciler.reconcile. A namespace still holding objects comes back
// after a per-namespace backoff (NAMESPACE_RECHECK_*), since the objects it waits for are not
// watched here.
import { Backoff } from '../../client/backoff.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { namespacedResources } from './content.js';
import { finalizeFrom, type FinalizeNamespace } from './finalize.js';
import { NAMESPACES, NamespaceReconciler, type NamespaceObject } from './reconcile.js';

export const NAMESPACE_CONTROLLER_NAME = 'namespace';
export const NAMESPACE_COMPONENT = 'namespace-controller';
/** First recheck of a namespace that still holds objects, doubled per recheck up to the max. */
export const NAMESPACE_RECHECK_INITIAL_MS = 500;
export const NAMESPACE_RECHECK_MAX_MS = 15_000;

export interface NamespaceControllerOptions {
  /** concurrent reconciles; default 5 (kube-controller-manager: --concurrent-namespace-syncs 10) */
  readonly workers?: number;
  /** PUT /api/v1/namespaces/NAME/finalize; default: the client's finalizeNamespace, when it has one */
  readonly finalize?: FinalizeNamespace;
}

export function createNamespaceController(deps: ControllerDeps, opts: NamespaceControllerOptions = {}): Controller {
  return {
    name: NAMESPACE_CONTROLLER_NAME,
    start: (signal) => startNamespaceController(deps, opts, signal),
  };
}

function startNamespaceController(deps: ControllerDeps, opts: NamespaceControllerOptions, signal: AbortSignal): void {
  const log = (line: string) => deps.log(`${NAMESPACE_COMPONENT}: ${line}`);
  const queue = new WorkQueue({ clock: deps.clock });
  const namespaces = deps.informers.forResource<NamespaceObject>(NAMESPACES);
  const finalize = opts.finalize ?? finalizeFrom(deps.client);
  if (!finalize) log('the client cannot PUT /api/v1/namespaces/NAME/finalize: deleted namespaces will be emptied but stay Terminating');
  const reconciler = new NamespaceReconciler({
    client: deps.client,
    clock: deps.clock,
    log: deps.log,
    namespaces: namespaces.lister,
    resources: namespacedResources(),
    finalize,
  });
  const backoffs = new Map<string, Backoff>();
  const enqueueTerminating = (ns: NamespaceObject): void => {
    if (ns.metadata?.deletionTimestamp) queue.add(ns.metadata.name ?? '');
  };
  const removeHandlers = namespaces.addEventHandler({
    onAdd: enqueueTerminating,
    onUpdate: (_old, ns) => enqueueTerminating(ns),
    onDelete: (ns) => backoffs.delete(ns.metadata?.name ?? ''),
  });

  const run = async (): Promise<void> => {
    for (let name = await queue.get(); name !== undefined; name = await queue.get()) {
      try {
        const result = await reconciler.reconcile(name);
        queue.forget(name);
        if (result === 'waiting') {
          let b = backoffs.get(name);
          if (!b) backoffs.set(name, (b = new Backoff({ initialMs: NAMESPACE_RECHECK_INITIAL_MS, maxMs: NAMESPACE_RECHECK_MAX_MS })));
          queue.addAfter(name, b.next());
        } else {
          backoffs.delete(name);
        }
      } catch (e) {
        log(`deleting namespace ${name} failed, retrying: ${e instanceof Error ? e.message : String(e)}`);
        queue.addRateLimited(name);
      } finally {
        queue.done(name);
      }
    }
  };

  const stop = (): void => {
    removeHandlers();
    queue.shutDown();
  };
  if (signal.aborted) return stop();
  signal.addEventListener('abort', stop, { once: true });
  void (async () => {
    if (!(await namespaces.waitForSync(signal))) return;
    log('caches synced; starting workers');
    for (let i = 0; i < (opts.workers ?? 5); i++) void run();
  })();
}

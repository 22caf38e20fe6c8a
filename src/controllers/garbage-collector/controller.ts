// The garbage collector's wiring: one shared informer per collected resource (each with the
// owner-uid and uid indexes that make up the ownership graph) → item keys in a work queue →
// GarbageCollector.reconcile. Workers start once every one of those informers has synced, so a
// missing owner is never just an owner not listed yet.
import { errorMessage, runWorker } from '../work-loop.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { OWNER_UID_INDEX, UID_INDEX, collectedResources, ownerUidIndex, uidIndex } from './owners.js';
import { GarbageCollector } from './reconcile.js';

export const GARBAGE_COLLECTOR_NAME = 'garbagecollector';
export const GARBAGE_COLLECTOR_COMPONENT = 'garbage-collector-controller';

export interface GarbageCollectorOptions {
  /** concurrent reconciles; default 20 (--concurrent-gc-syncs) */
  readonly workers?: number;
  /** the resources to collect; default every listable, watchable, deletable resource but events */
  readonly resources?: readonly ResourceInfo[];
  /** log every deletion and reference removal */
  readonly verbose?: boolean;
}

export function createGarbageCollector(deps: ControllerDeps, opts: GarbageCollectorOptions = {}): Controller {
  return {
    name: GARBAGE_COLLECTOR_NAME,
    start: (signal) => startGarbageCollector(deps, opts, signal),
  };
}

function startGarbageCollector(deps: ControllerDeps, opts: GarbageCollectorOptions, signal: AbortSignal): void {
  const log = (line: string) => deps.log(`${GARBAGE_COLLECTOR_NAME}: ${line}`);
  const queue = new WorkQueue({ clock: deps.clock });
  const resources = opts.resources ?? collectedResources();
  const informers = new Map<ResourceInfo, Informer>();
  for (const info of resources) {
    informers.set(info, deps.informers.forResource<KubeObject>(info, { [OWNER_UID_INDEX]: ownerUidIndex, [UID_INDEX]: uidIndex }));
  }
  const gc = new GarbageCollector({
    client: deps.client,
    log: deps.log,
    resources,
    informer: (info) => informers.get(info)!,
    enqueue: (key) => queue.add(key),
    verbose: opts.verbose,
  });
  const removers = [...informers].map(([info, inf]) =>
    inf.addEventHandler({
      onAdd: (o) => gc.observe(info, undefined, o),
      onUpdate: (old, o) => gc.observe(info, old, o),
      onDelete: (o) => gc.observeDeletion(o),
    }),
  );

  const run = (): Promise<void> =>
    runWorker(
      queue,
      (key) => gc.reconcile(key),
      (key, e) => log(`collecting ${key} failed, retrying: ${errorMessage(e)}`),
    );

  const stop = (): void => {
    for (const remove of removers) remove();
    queue.shutDown();
  };
  if (signal.aborted) return stop();
  signal.addEventListener('abort', stop, { once: true });
  void (async () => {
    const synced = await Promise.all([...informers.values()].map((inf) => inf.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    log(`caches of ${informers.size} resources synced; starting workers`);
    for (let i = 0; i < (opts.workers ?? 20); i++) void run();
  })();
}

// For the unit tests of the controllers in this folder and its siblings (job, cronjob,
// garbage-collector, namespace): a FakeClient, a FakeClock, shared informers and
// ControllerDeps around them, and a way to let the loop run until a condition holds — all
// without real time. Not used in production.
import { setMaxListeners } from 'node:events';
import { deepCopy, type KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { resourceInfo, type DeleteOptions, type WriteOptions } from '../../client/client.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { FakeClient } from '../../client/fake-client.js';
import { FakeClock, settle } from '../../client/fake-clock.js';
import { SharedInformerFactory } from '../../client/shared-informers.js';
import type { Controller, ControllerDeps } from '../controller.js';

export const EVENTS = resourceInfo('', 'v1', 'events');
export const NAMESPACES = resourceInfo('', 'v1', 'namespaces');

/** Holds a fake namespace while spec.finalizers is not empty (the FakeClient knows only metadata.finalizers). */
const SPEC_FINALIZERS_HOLD = 'skiff.test/spec-finalizers';

/**
 * A FakeClient with the deletion rules of skiff's API server (src/registry/deletion.ts) that the
 * garbage collector and namespace controller rely on: Orphan and Foreground deletes add the
 * `orphan` / `foregroundDeletion` finalizer; a namespace with spec.finalizers becomes Terminating
 * and goes only when finalizeNamespace (PUT .../finalize) empties them.
 */
export class ServerLikeClient extends FakeClient {
  override async create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T> {
    if (!isNamespaces(info)) return super.create(info, obj, opts);
    const ns = deepCopy(obj) as KubeObject;
    const spec = (ns.spec ?? {}) as { finalizers?: string[] };
    ns.spec = { ...spec, finalizers: spec.finalizers?.length ? spec.finalizers : ['kubernetes'] };
    ns.metadata = { ...ns.metadata, finalizers: [...(ns.metadata?.finalizers ?? []), SPEC_FINALIZERS_HOLD] };
    const created: KubeObject = await super.create(info, ns, opts);
    created.status = { phase: 'Active' };
    return super.updateStatus(info, created) as Promise<KubeObject> as Promise<T>;
  }

  override async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const policy = opts.propagationPolicy;
    if (policy === 'Orphan' || policy === 'Foreground') {
      const add = policy === 'Orphan' ? 'orphan' : 'foregroundDeletion';
      const live = await this.get(info, namespace, name);
      const finalizers = (live.metadata?.finalizers ?? []).filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
      live.metadata = { ...live.metadata, finalizers: [...finalizers, add] };
      await this.update(info, live);
    }
    await super.delete(info, namespace, name, opts);
    if (isNamespaces(info)) {
      const live = await this.get(info, undefined, name);
      await super.updateStatus(info, { ...live, status: { ...(live.status as object), phase: 'Terminating' } });
    }
  }

  /** PUT /api/v1/namespaces/NAME/finalize: only spec.finalizers change. */
  async finalizeNamespace(ns: KubeObject): Promise<KubeObject> {
    const live = await this.get(NAMESPACES, undefined, ns.metadata?.name ?? '');
    const finalizers = (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
    live.spec = { ...(live.spec as object), finalizers };
    if (!finalizers.length) live.metadata = { ...live.metadata, finalizers: (live.metadata?.finalizers ?? []).filter((f) => f !== SPEC_FINALIZERS_HOLD) };
    return this.update(NAMESPACES, live);
  }
}

function isNamespaces(info: ResourceInfo): boolean {
  return info.group === '' && info.plural === 'namespaces';
}

export interface Harness {
  readonly client: FakeClient;
  readonly clock: FakeClock;
  readonly deps: ControllerDeps;
  readonly logs: string[];
  /** Starts the controllers and the informers; stopped by stop(). */
  start(...controllers: Controller[]): void;
  /** Lets promises and watch deliveries run until `cond` holds (fails after `rounds` rounds). */
  until(cond: () => boolean | Promise<boolean>, what?: string, rounds?: number): Promise<void>;
  /** Lets everything pending run. */
  idle(): Promise<void>;
  /** Objects of a resource, optionally in one namespace. */
  list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace?: string): Promise<T[]>;
  /** Reasons of the Events recorded about the object `name` (flushes recorders first). */
  eventReasons(name: string): Promise<string[]>;
  stop(): Promise<void>;
}

export function harness(clientClock?: { client?: FakeClient; clock?: FakeClock }): Harness {
  const clock = clientClock?.clock ?? new FakeClock(Date.UTC(2025, 0, 1, 0, 0, 0));
  const client = clientClock?.client ?? new ServerLikeClient({ clock });
  const informers = new SharedInformerFactory({ client, clock });
  const recorders: EventRecorder[] = [];
  const logs: string[] = [];
  const ac = new AbortController();
  // One informer per collected resource listens on this signal (the garbage collector watches ~15).
  setMaxListeners(100, ac.signal);
  const deps: ControllerDeps = {
    client,
    informers,
    clock,
    log: (line) => logs.push(line),
    recorder: (component) => {
      const r = new EventRecorder({ client, component, clock, log: (line) => logs.push(line) });
      recorders.push(r);
      return r;
    },
  };
  const h: Harness = {
    client,
    clock,
    deps,
    logs,
    start(...controllers) {
      for (const c of controllers) c.start(ac.signal);
      informers.start(ac.signal);
    },
    async until(cond, what = 'condition', rounds = 200) {
      for (let i = 0; i < rounds; i++) {
        if (await cond()) return;
        await settle(2);
      }
      throw new Error(`timed out waiting for ${what}\n${logs.slice(-20).join('\n')}`);
    },
    async idle() {
      await settle(20);
      await Promise.all(recorders.map((r) => r.flush()));
      await settle(5);
    },
    async list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace?: string) {
      return (await client.list<T>(info, namespace)).items;
    },
    async eventReasons(name) {
      await Promise.all(recorders.map((r) => r.flush()));
      const events = await client.list(EVENTS, undefined);
      return events.items.filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === name).map((e) => String(e.reason));
    },
    async stop() {
      ac.abort();
      informers.stop();
      await settle(5);
    },
  };
  return h;
}

// A small in-memory cluster for the controllers' unit tests: FakeClient, FakeClock, shared
// informers and event recorders, with the controllers under test started on them, and a stand-in
// for the scheduler and kubelet (bind pods to a node, report them Running and Ready).
// Not for production code.
import { rfc3339 } from '../../api/time.js';
import { deepCopy, type KubeObject } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { FakeClient } from '../../client/fake-client.js';
import { FakeClock, settle } from '../../client/fake-clock.js';
import { SharedInformerFactory } from '../../client/shared-informers.js';
import type { ControllerFactory } from '../controller.js';
import { PODS, type Pod } from './objects.js';

export const EVENTS = resourceInfo('', 'v1', 'events');

export interface TestCluster {
  readonly client: FakeClient;
  readonly clock: FakeClock;
  readonly logs: string[];
  /** Lets the controllers run until `done()` holds (or `rounds` rounds of settling pass); returns whether it held. */
  until(done: () => boolean | Promise<boolean>, rounds?: number): Promise<boolean>;
  /** Lets the controllers run until nothing changes any more. */
  quiesce(): Promise<void>;
  pods(namespace?: string): Promise<Pod[]>;
  /** Binds every unbound pod to `node` and makes it Running and Ready (Ready since now). */
  runPods(filter?: (pod: Pod) => boolean, node?: string): Promise<number>;
  /** Reasons and messages of the Events recorded so far, oldest first. */
  events(): Promise<{ reason: string; message: string; type: string; object: string }[]>;
  stop(): Promise<void>;
}

export async function startCluster(factories: readonly ControllerFactory[], opts: { clock?: FakeClock } = {}): Promise<TestCluster> {
  const clock = opts.clock ?? new FakeClock();
  const client = new FakeClient({ clock });
  const logs: string[] = [];
  const log = (line: string) => void logs.push(line);
  const informers = new SharedInformerFactory({ client, clock, log });
  const recorders: EventRecorder[] = [];
  const recorder = (component: string) => {
    const r = new EventRecorder({ client, component, clock, log });
    recorders.push(r);
    return r;
  };
  const ac = new AbortController();
  for (const f of factories) f({ client, informers, recorder, clock, log }).start(ac.signal);
  informers.start(ac.signal);
  await informers.waitForSync();

  const until = async (done: () => boolean | Promise<boolean>, rounds = 200): Promise<boolean> => {
    for (let i = 0; i < rounds; i++) {
      if (await done()) return true;
      await settle(1);
    }
    return done();
  };
  const quiesce = async (): Promise<void> => {
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 1000 && stable < 20; i++) {
      await settle(1);
      const rev = client.revision();
      stable = rev === last ? stable + 1 : 0;
      last = rev;
    }
  };
  const pods = async (namespace = 'default') => (await client.list<Pod>(PODS, namespace)).items;
  return {
    client,
    clock,
    logs,
    until,
    quiesce,
    pods,
    async runPods(filter = () => true, node = 'node-1') {
      let n = 0;
      for (const pod of await pods()) {
        if (!filter(pod) || pod.metadata?.deletionTimestamp || isRunningAndReady(pod)) continue;
        const ns = pod.metadata?.namespace ?? 'default';
        const name = pod.metadata?.name ?? '';
        if (!pod.spec?.nodeName) await client.bind(ns, name, node);
        const bound = await client.get<Pod>(PODS, ns, name);
        const now = rfc3339(clock.now());
        const status = deepCopy(bound.status ?? {});
        status.phase = 'Running';
        status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'Ready'), { type: 'Ready', status: 'True', lastTransitionTime: now }];
        status.containerStatuses = (bound.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }));
        await client.updateStatus(PODS, { ...bound, status } as KubeObject);
        n++;
      }
      return n;
    },
    async events() {
      const items = (await client.list(EVENTS, undefined)).items;
      return items
        .map((e) => ({
          reason: String(e.reason),
          message: String(e.message),
          type: String(e.type),
          object: `${(e.involvedObject as { kind?: string }).kind}/${(e.involvedObject as { name?: string }).name}`,
          seq: Number((e.metadata?.uid ?? '').replace(/^\D+/, '')),
        }))
        .sort((a, b) => a.seq - b.seq)
        .map(({ reason, message, type, object }) => ({ reason, message, type, object }));
    },
    async stop() {
      ac.abort();
      informers.stop();
      for (const r of recorders) await r.stop();
      await settle();
    },
  };
}

function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

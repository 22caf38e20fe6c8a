// Test helpers for the endpoints and endpointslice controllers: object builders and a harness that
// runs a controller against a FakeClient (a hand-written in-memory fake of Client, checked by the
// client contract suite) with a FakeClock. For tests only.
import type { ContainerPort, Node, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { DeepMutable, KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { resourceInfo, type WatchEvent, type WatchOptions } from '../../client/client.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { FakeClient } from '../../client/fake-client.js';
import { FakeClock, settle } from '../../client/fake-clock.js';
import { SharedInformerFactory } from '../../client/shared-informers.js';
import type { Controller, ControllerDeps } from '../controller.js';

export interface PodSpecOptions {
  readonly labels?: Record<string, string>;
  /** undefined: no IP yet */
  readonly ip?: string;
  readonly ready?: boolean;
  readonly node?: string;
  readonly ports?: ContainerPort[];
  readonly deleting?: boolean;
  readonly phase?: string;
  readonly uid?: string;
  readonly hostname?: string;
  readonly subdomain?: string;
  /** lastTransitionTime of the Ready condition */
  readonly readySince?: string;
  readonly namespace?: string;
}

export function makePod(name: string, o: PodSpecOptions = {}): DeepMutable<Pod> & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: o.node ?? 'node-1',
      containers: [{ name: 'c', image: 'nginx', ports: o.ports ?? [] }],
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2025-01-01T00:00:00Z' }],
    },
  };
}

export interface ServiceSpecOptions {
  readonly selector?: Record<string, string> | null;
  readonly ports?: ServicePort[];
  readonly clusterIP?: string;
  readonly publishNotReadyAddresses?: boolean;
  readonly labels?: Record<string, string>;
  readonly type?: string;
  readonly namespace?: string;
}

export function makeService(name: string, o: ServiceSpecOptions = {}): DeepMutable<Service> & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-svc-${name}`, ...(o.labels ? { labels: o.labels } : {}), creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: {
      ...(o.selector === null ? {} : { selector: o.selector ?? { app: 'web' } }),
      ports: o.ports ?? [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      clusterIP: o.clusterIP ?? '10.43.0.10',
      ...(o.type ? { type: o.type } : {}),
      ...(o.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
    },
  };
}

export function makeNode(name: string, labels: Record<string, string> = {}): DeepMutable<Node> & KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } };
}

export const PODS = resourceInfo('', 'v1', 'pods');
export const SERVICES = resourceInfo('', 'v1', 'services');
export const NODES = resourceInfo('', 'v1', 'nodes');

/** A controller running against a FakeClient with a FakeClock. */
export class Harness {
  readonly clock = new FakeClock();
  readonly client = new FakeClient({ clock: this.clock });
  /** resource plural → watch events held back from the informers (a cache lagging behind the store) */
  private readonly held = new Map<string, (() => void)[]>();
  readonly informers = new SharedInformerFactory({ client: this.laggingView(), clock: this.clock });
  readonly logs: string[] = [];
  private readonly recorders: EventRecorder[] = [];
  private readonly ac = new AbortController();

  readonly deps: ControllerDeps = {
    client: this.client,
    informers: this.informers,
    clock: this.clock,
    log: (line) => this.logs.push(line),
    recorder: (component) => {
      const r = new EventRecorder({ client: this.client, component, clock: this.clock, log: (l) => this.logs.push(l) });
      this.recorders.push(r);
      return r;
    },
  };

  /** Holds back watch events of a resource from the informers until releaseWatchEvents. */
  holdWatchEvents(plural: string): void {
    if (!this.held.has(plural)) this.held.set(plural, []);
  }

  releaseWatchEvents(plural: string): void {
    const pending = this.held.get(plural) ?? [];
    this.held.delete(plural);
    for (const deliver of pending) deliver();
  }

  /** The client the informers use: the FakeClient, with watch events of held resources queued. */
  private laggingView(): FakeClient {
    const view = Object.create(this.client) as FakeClient;
    const watch = this.client.watch.bind(this.client);
    view.watch = <T extends KubeObject>(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void, signal?: AbortSignal) =>
      watch<T>(info, namespace, opts, (ev) => {
        const pending = this.held.get(info.plural);
        if (pending) pending.push(() => onEvent(ev));
        else onEvent(ev);
      }, signal);
    return view;
  }

  /** Starts the controller and the informers; resolves once the first syncs have been processed. */
  async start(make: (deps: ControllerDeps) => Controller): Promise<Controller> {
    const c = make(this.deps);
    c.start(this.ac.signal);
    this.informers.start(this.ac.signal);
    await this.informers.waitForSync();
    await this.settle();
    return c;
  }

  /** Lets queued work and the writes it causes (and the watch events they cause) run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await settle(5);
  }

  /** Moves fake time forward (firing timers on the way) and settles. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
    await this.settle();
  }

  async stop(): Promise<void> {
    this.ac.abort();
    this.informers.stop();
    await settle();
    for (const r of this.recorders) await r.stop();
  }

  async list<T extends KubeObject = KubeObject>(resource: Parameters<FakeClient['list']>[0], namespace = 'default'): Promise<T[]> {
    return (await this.client.list<T>(resource, namespace)).items;
  }

  async events(): Promise<{ reason: string; message: string; type: string; object: string }[]> {
    for (const r of this.recorders) await r.flush();
    const items = (await this.client.list(resourceInfo('', 'v1', 'events'), undefined)).items;
    return items.map((e) => {
      const inv = e.involvedObject as { kind?: string; namespace?: string; name?: string };
      return { reason: String(e.reason), message: String(e.message), type: String(e.type), object: `${inv.kind}/${inv.namespace ? `${inv.namespace}/` : ''}${inv.name}` };
    });
  }
}

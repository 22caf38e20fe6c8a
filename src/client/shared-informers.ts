// One informer per resource, shared by every component in a process (as client-go's
// SharedInformerFactory): five controllers watching pods cost one watch, one cache.
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';
import type { Client } from './client.js';
import type { Clock } from './clock.js';
import type { IndexFunc } from './indexer.js';
import { Informer } from './informer.js';

export interface SharedInformerOptions {
  readonly client: Client;
  readonly clock?: Clock;
  /** resync period for every informer; default none */
  readonly resyncPeriodMs?: number;
  readonly log?: (line: string) => void;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer>();
  private signal?: AbortSignal;

  constructor(private readonly opts: SharedInformerOptions) {}

  /**
   * The informer for a resource (all namespaces), created on first use. Extra indexers are
   * added to the shared cache. Informers requested after start() are started at once.
   */
  forResource<T extends KubeObject = KubeObject>(resource: ResourceInfo, indexers: Readonly<Record<string, IndexFunc<T>>> = {}): Informer<T> {
    const key = `${resource.group}/${resource.version}/${resource.plural}`;
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      inf = new Informer<T>({ client: this.opts.client, resource, indexers, clock: this.opts.clock, resyncPeriodMs: this.opts.resyncPeriodMs, log: this.opts.log });
      this.informers.set(key, inf as unknown as Informer);
      if (this.signal) inf.start(this.signal);
    } else if (Object.keys(indexers).length) {
      inf.indexer.addIndexers(indexers);
    }
    return inf;
  }

  /** Starts every informer made so far (and later ones as they are made) until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const inf of this.informers.values()) inf.start(signal);
  }

  /** Resolves true when every informer has listed once; false if stopped first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  stop(): void {
    for (const inf of this.informers.values()) inf.stop();
  }
}

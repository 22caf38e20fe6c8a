// Remembers this controller's recent writes of EndpointSlices, per Service, so that a reconcile
// does not act on an informer cache that has not seen them yet (which would create duplicate
// slices or fight over stale ones), as Kubernetes' EndpointSliceTracker does. A write is seen
// once the cache shows the created slice, no longer shows the resourceVersion an update
// replaced, or no longer shows a deleted slice.
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

type Expectation = { readonly kind: 'created' | 'deleted' } | { readonly kind: 'updated'; readonly replaced: string };

export class SliceTracker {
  /** Service key → slice name → what the cache should show */
  private readonly services = new Map<string, Map<string, Expectation>>();

  created(service: string, name: string): void {
    this.expect(service, name, { kind: 'created' });
  }

  /** `replaced`: the resourceVersion the update replaced. */
  updated(service: string, name: string, replaced: string): void {
    this.expect(service, name, { kind: 'updated', replaced });
  }

  deleted(service: string, name: string): void {
    this.expect(service, name, { kind: 'deleted' });
  }

  /** The cache reported the slice deleted: nothing about it can be awaited any more. */
  sliceGone(service: string, name: string): void {
    const m = this.services.get(service);
    m?.delete(name);
    if (m?.size === 0) this.services.delete(service);
  }

  forgetService(service: string): void {
    this.services.delete(service);
  }

  /** Whether `cached` (the cache's slices of the Service) misses one of this controller's writes. Forgets the writes it shows. */
  isStale(service: string, cached: readonly EndpointSlice[]): boolean {
    const m = this.services.get(service);
    if (!m) return false;
    const byName = new Map(cached.map((s) => [s.metadata?.name ?? '', s]));
    let stale = false;
    for (const [name, want] of m) {
      const have = byName.get(name);
      const rv = have?.metadata?.resourceVersion;
      const seen = want.kind === 'created' ? !!have : want.kind === 'updated' ? rv !== want.replaced : !have;
      if (seen) m.delete(name);
      else stale = true;
    }
    if (m.size === 0) this.services.delete(service);
    return stale;
  }

  private expect(service: string, name: string, e: Expectation): void {
    let m = this.services.get(service);
    if (!m) this.services.set(service, (m = new Map()));
    m.set(name, e);
  }
}

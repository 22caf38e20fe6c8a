// What the controller has asked the API server to do and not yet seen in its informer caches:
// pods created, pods deleted, tracking finalizers removed. Until the cache catches up, acting
// again on the same job would create or count twice. As client-go's ControllerExpectations,
// expectations expire (EXPECTATIONS_TTL_MS) so a lost watch event cannot stall a job forever.
import type { Clock } from '../../client/clock.js';

export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Entry {
  creations: number;
  readonly deletions: Set<string>;
  setAt: number;
}

export class Expectations {
  private readonly entries = new Map<string, Entry>();
  /** pod uid → job key, for finalizer removals not yet observed */
  private readonly finalizerRemovals = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  /** Whether the cache reflects every creation and deletion asked for `key` (or the expectations expired). */
  satisfied(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return true;
    if ((e.creations <= 0 && e.deletions.size === 0) || this.clock.now() - e.setAt > EXPECTATIONS_TTL_MS) {
      this.entries.delete(key);
      return true;
    }
    return false;
  }

  expectCreations(key: string, n: number): void {
    const e = this.entry(key);
    e.creations += n;
    e.setAt = this.clock.now();
  }

  /** A creation was seen in the cache, or failed and will never be. */
  creationObserved(key: string): void {
    const e = this.entries.get(key);
    if (e) e.creations--;
  }

  expectDeletion(key: string, uid: string): void {
    const e = this.entry(key);
    e.deletions.add(uid);
    e.setAt = this.clock.now();
  }

  /** The pod was seen terminating or gone, or its deletion failed. */
  deletionObserved(key: string, uid: string): void {
    this.entries.get(key)?.deletions.delete(uid);
  }

  expectFinalizerRemoval(key: string, uid: string): void {
    this.finalizerRemovals.set(uid, key);
  }

  /** The pod was seen without the finalizer, or gone, or the removal failed. */
  finalizerRemovalObserved(uid: string): void {
    this.finalizerRemovals.delete(uid);
  }

  /** Whether a finalizer removal of pod `uid` is still in flight: the cache may show the finalizer. */
  finalizerRemovalPending(uid: string): boolean {
    return this.finalizerRemovals.has(uid);
  }

  /** Forgets everything about `key` (the job is gone). */
  delete(key: string): void {
    this.entries.delete(key);
    for (const [uid, k] of this.finalizerRemovals) if (k === key) this.finalizerRemovals.delete(uid);
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { creations: 0, deletions: new Set(), setAt: this.clock.now() }));
    return e;
  }
}

// Expectations (Kubernetes' UIDTrackingControllerExpectations): what a controller has asked the
// API server to create or delete and not yet seen come back through its informer. Until they are
// observed, or EXPECTATIONS_TIMEOUT_MS passes, the controller must not act on its cache again —
// the cache does not show its own writes yet, and it would create (or delete) a second time.
//
// Creations are counted; deletions are tracked by pod key, so a pod observed twice (its
// deletionTimestamp set, then its removal) is counted once. Keys are the owner's `namespace/name`.
import type { Clock } from '../../client/clock.js';

/** Expectations older than this are considered satisfied: a lost watch event must not wedge the controller. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  readonly at: number;
  readonly deleting: Set<string>;
}

export class ControllerExpectations {
  private readonly records = new Map<string, Expectation>();

  constructor(private readonly clock: Clock) {}

  /** Whether the owner may act on its cache: no expectations, all observed, or expired. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.at > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Replaces the owner's expectations with `count` creations. */
  expectCreations(key: string, count: number): void {
    this.records.set(key, { add: count, del: 0, at: this.clock.now(), deleting: new Set() });
  }

  /** Replaces the owner's expectations with the deletion of these pods (`namespace/name`). */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    const deleting = new Set(podKeys);
    this.records.set(key, { add: 0, del: deleting.size, at: this.clock.now(), deleting });
  }

  /** One expected creation was seen (or will never happen: the create failed or was skipped). */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  /** `podKey` was seen deleted (or its deletion failed); counted once per expected pod. */
  deletionObserved(key: string, podKey: string): void {
    const r = this.records.get(key);
    if (r?.deleting.delete(podKey)) r.del--;
  }

  /** Forgets the owner (it was deleted). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** Outstanding creations and deletions, for tests and logs. */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.del };
  }
}

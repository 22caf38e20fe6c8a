// Writes pod status through the status subresource, only when it changed (semantically), with
// compare-and-swap on the resourceVersion so a status never lands on a newer or recreated pod.
// The informer's copy lags behind our own writes; the writer remembers the pod its last write
// returned until the cache has caught up, so the next sync does not conflict with itself.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { Client } from '../client/client.js';
import { resourceInfo } from '../client/client.js';
import { semanticEqual } from './semantic-equal.js';

const PODS = resourceInfo('', 'v1', 'pods');

export type StatusWriteResult = 'unchanged' | 'written' | 'conflict' | 'gone';

interface Written {
  /** the resourceVersion the write was based on: while the cache still shows it, the cache is stale */
  readonly fromRV: string | undefined;
  readonly pod: Pod;
}

export class PodStatusWriter {
  private readonly written = new Map<string, Written>();

  constructor(private readonly client: Client) {}

  /** The freshest copy known of a cached pod: the cache's own, or what our last write returned. */
  current(cached: Pod): Pod {
    const uid = cached.metadata?.uid ?? '';
    const w = this.written.get(uid);
    if (!w) return cached;
    if (w.fromRV === cached.metadata?.resourceVersion) return w.pod;
    this.written.delete(uid);
    return cached;
  }

  /**
   * Writes `status` unless the pod already has it. "conflict": the pod changed meanwhile (sync
   * again with the newer copy); "gone": it no longer exists. Other failures reject (ApiError or
   * transport error). `cached` is not mutated.
   */
  async write(cached: Pod, status: PodStatus, signal?: AbortSignal): Promise<StatusWriteResult> {
    const base = this.current(cached);
    if (semanticEqual(base.status, status)) return 'unchanged';
    // The status subresource takes status (and labels/annotations) from the body and keeps the
    // stored rest, so the body carries no spec: less to encode here and to decode, copy and
    // field-check on the API server, with the same result.
    const next = { apiVersion: base.apiVersion ?? 'v1', kind: base.kind ?? 'Pod', metadata: base.metadata, status } as Pod & KubeObject;
    try {
      const pod = await this.client.updateStatus<Pod & KubeObject>(PODS, next, { signal });
      this.written.set(base.metadata?.uid ?? '', { fromRV: cached.metadata?.resourceVersion, pod });
      return 'written';
    } catch (e) {
      if (isConflict(e)) return 'conflict';
      if (isNotFound(e)) return 'gone';
      throw e;
    }
  }

  forget(uid: string): void {
    this.written.delete(uid);
  }
}

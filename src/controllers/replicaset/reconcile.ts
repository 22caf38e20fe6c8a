// One ReplicaSet sync (Kubernetes' syncReplicaSet): read the ReplicaSet and its pods from the
// informer caches, claim pods (adopt matching orphans, release owned pods that no longer match),
// create or delete pods towards spec.replicas — only when the previous sync's creations and deletions
// have all been observed (expectations) and the ReplicaSet is not being deleted — then write the
// status. Idempotent: run it again at any time and it takes the next step from what it sees.
import { isApiError, isNotFound } from '../../api/errors.js';
import { labelSelectorFromObject, type Selector } from '../../api/labels.js';
import { deepCopy, objectKey } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder, EventType } from '../../client/event-recorder.js';
import { NAMESPACE_INDEX, type Indexer } from '../../client/indexer.js';
import { claimCandidates, claimObjects, controlledBy, controllerOf } from './controller-ref.js';
import { REPLICASET_API_VERSION, REPLICASET_KIND, podFromTemplate, replicaSetControllerRef } from './desired-pod.js';
import type { ControllerExpectations } from './expectations.js';
import { PODS, REPLICASETS, type Pod, type ReplicaSet, type ReplicaSetStatus } from './objects.js';
import { isPodActive } from './pod-readiness.js';
import { podsToDelete } from './pod-ranking.js';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './slow-start.js';
import { calculateStatus, errorMessage, nextAvailableInMs, statusUpToDate } from './status.js';

/** At most this many pods are created or deleted per sync (Kubernetes' BurstReplicas). */
export const BURST_REPLICAS = 500;
/** Status writes retried this many times after a failure, re-reading the ReplicaSet first. */
export const STATUS_UPDATE_RETRIES = 1;

export interface ReconcileResult {
  /** sync this key again after this long (a pod may become available once minReadySeconds pass) */
  readonly requeueAfterMs?: number;
}

export interface ReplicaSetReconcilerDeps {
  readonly client: Client;
  /** the ReplicaSet informer's cache */
  readonly replicaSets: Indexer<ReplicaSet>;
  /** the pod informer's cache, with CONTROLLER_UID_INDEX */
  readonly pods: Indexer<Pod>;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly expectations: ControllerExpectations;
  readonly log: (line: string) => void;
  /** default BURST_REPLICAS */
  readonly burstReplicas?: number;
}

export class ReplicaSetReconciler {
  constructor(private readonly deps: ReplicaSetReconcilerDeps) {}

  /**
   * Syncs the ReplicaSet `namespace/name`. Throws when a write failed (the caller requeues with
   * backoff); a ReplicaSet that no longer exists, or whose selector is invalid, is not an error.
   */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { expectations } = this.deps;
    const rs = this.deps.replicaSets.get(key);
    if (!rs) {
      expectations.delete(key);
      return {};
    }
    let selector: Selector;
    try {
      selector = labelSelectorFromObject(rs.spec?.selector);
    } catch (e) {
      this.deps.log(`replicaset: ${key}: invalid selector, not syncing: ${errorMessage(e)}`);
      return {};
    }
    const needsSync = expectations.satisfied(key);
    const namespace = rs.metadata?.namespace ?? '';
    const candidates = claimCandidates(this.deps.pods, rs.metadata?.uid ?? '', namespace).filter(isPodActive);
    const pods = await claimObjects(
      { client: this.deps.client, owner: rs, ownerInfo: REPLICASETS, controllerRef: replicaSetControllerRef(rs), selector, info: PODS },
      candidates,
    );

    let manageError: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (e) {
        manageError = e;
      }
    }

    const now = this.deps.clock.now();
    const status = calculateStatus({ rs, pods, manageError, nowMs: now });
    await this.writeStatus(rs, status);
    if (manageError !== undefined) throw manageError;

    // A ready pod becomes available minReadySeconds later without any event: look again then.
    const wait = nextAvailableInMs(rs, pods, now);
    return wait === undefined ? {} : { requeueAfterMs: wait };
  }

  /** Creates or deletes pods so that `pods` (active, owned) number spec.replicas. */
  private async manageReplicas(key: string, rs: ReplicaSet, pods: readonly Pod[]): Promise<void> {
    const { expectations, client } = this.deps;
    // Events name the ReplicaSet by kind: list items may come without apiVersion and kind.
    const target = { ...rs, apiVersion: REPLICASET_API_VERSION, kind: REPLICASET_KIND };
    const recorder = { event: (type: EventType, reason: string, message: string) => this.deps.recorder.event(target, type, reason, message) };
    const burst = this.deps.burstReplicas ?? BURST_REPLICAS;
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const count = Math.min(-diff, burst);
      // Expect them before creating: the informer may see a new pod before create() returns.
      expectations.expectCreations(key, count);
      this.deps.log(`replicaset: ${key}: too few replicas, need ${rs.spec?.replicas ?? 1}, creating ${count}`);
      const result = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
        try {
          const created = await client.create(PODS, podFromTemplate(rs));
          recorder.event('Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? ''}`);
        } catch (e) {
          if (namespaceTerminating(e)) return;
          recorder.event('Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
          throw e;
        }
      });
      // Creations that failed or were never attempted will not be observed.
      for (let i = result.successes; i < count; i++) expectations.creationObserved(key);
      if (result.error !== undefined) throw result.error;
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, burst);
      const victims = podsToDelete(pods, this.relatedPods(rs), count, this.deps.clock.now());
      const victimKeys = victims.map(objectKey);
      expectations.expectDeletions(key, victimKeys);
      this.deps.log(`replicaset: ${key}: too many replicas, need ${rs.spec?.replicas ?? 1}, deleting ${count}`);
      const results = await Promise.allSettled(
        victims.map(async (pod, i) => {
          const name = pod.metadata?.name ?? '';
          try {
            await client.delete(PODS, pod.metadata?.namespace, name);
            recorder.event('Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
          } catch (e) {
            // A deletion that failed will not be observed.
            expectations.deletionObserved(key, victimKeys[i]!);
            if (isNotFound(e)) return;
            recorder.event('Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
            throw e;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /** Active pods of this ReplicaSet and of the ReplicaSets sharing its controller (getIndirectlyRelatedPods). */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerOf(rs);
    const siblings = owner
      ? this.deps.replicaSets.byIndex(NAMESPACE_INDEX, rs.metadata?.namespace ?? '').filter((o) => controllerOf(o)?.uid === owner.uid)
      : [rs];
    const out: Pod[] = [];
    for (const s of siblings) {
      for (const p of controlledBy(this.deps.pods, s.metadata?.uid ?? '')) if (isPodActive(p)) out.push(p);
    }
    return out;
  }

  /** Writes `status` unless nothing would change; one retry on a fresh read. Returns the ReplicaSet as now stored (or as cached). */
  private async writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (statusUpToDate(rs, status)) return rs;
    const next = { ...status, observedGeneration: rs.metadata?.generation };
    if (!next.observedGeneration) delete next.observedGeneration;
    let current = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.client.updateStatus(REPLICASETS, { ...deepCopy(current), status: next });
      } catch (e) {
        if (attempt >= STATUS_UPDATE_RETRIES) throw e;
        current = await this.deps.client.get<ReplicaSet>(REPLICASETS, rs.metadata?.namespace, rs.metadata?.name ?? '');
      }
    }
  }
}

/** The create failed because the namespace is being deleted: nothing to report, nothing to retry. */
function namespaceTerminating(e: unknown): boolean {
  return isApiError(e) && (e.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

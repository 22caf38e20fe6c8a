// One Deployment sync (Kubernetes' syncDeployment): claim the Deployment's ReplicaSets (adopt
// matching orphans, release owned ones that stop matching), then
//   being deleted          → report status only;
//   paused, or a resize    → resize ReplicaSets in place (sync.ts), report status;
//   otherwise              → one step of its strategy (rolling-update.ts, recreate.ts).
// Every write is compare-and-swap on what the caches showed: a stale cache yields a Conflict and
// the key is retried. Idempotent: each sync takes the next step from what it sees.
import { isAlreadyExists, isApiError, isNotFound } from '../../api/errors.js';
import { labelSelectorFromObject, type Selector } from '../../api/labels.js';
import { deepCopy } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder, EventType } from '../../client/event-recorder.js';
import type { Indexer } from '../../client/indexer.js';
import { claimCandidates, claimObjects, controlledBy, controllerOf, newControllerRef } from '../replicaset/controller-ref.js';
import { errorMessage } from '../replicaset/status.js';
import { computeHash } from './hash.js';
import type { Deployment, Pod, ReplicaSet } from './objects.js';
import {
  DEPLOYMENTS,
  DEPLOYMENT_API_VERSION,
  DEPLOYMENT_KIND,
  FAILED_RS_CREATE_REASON,
  FOUND_NEW_RS_REASON,
  NEW_RS_CREATED_REASON,
  POD_TEMPLATE_HASH_LABEL,
  PROGRESSING,
  REPLICASETS,
  REVISION_ANNOTATION,
  replicasOf,
} from './objects.js';
import { calculateStatus, getCondition, hasProgressDeadline, newCondition, rolloutStatus, setCondition, setPausedCondition, statusEqual } from './progress.js';
import { rolloutRecreate } from './recreate.js';
import { equalIgnoreHash, findNewReplicaSet, oldReplicaSets } from './replica-sets.js';
import { maxRevision, replicasAnnotationsNeedUpdate, setDeploymentRevision, setNewReplicaSetAnnotations, setReplicasAnnotations } from './revision.js';
import { maxSurge, newRSNewReplicas, rolloutRolling } from './rolling-update.js';
import type { ReplicaSetsOfDeployment, RolloutActions, ScaleResult } from './rollout-actions.js';
import { isScalingEvent, replicaSetsToCleanUp, syncScale } from './sync.js';

export interface ReconcileResult {
  /** sync this key again after this long (to notice a passed progress deadline) */
  readonly requeueAfterMs?: number;
}

export interface DeploymentReconcilerDeps {
  readonly client: Client;
  readonly deployments: Indexer<Deployment>;
  /** the ReplicaSet informer's cache, with CONTROLLER_UID_INDEX */
  readonly replicaSets: Indexer<ReplicaSet>;
  /** the pod informer's cache, with CONTROLLER_UID_INDEX (Recreate waits for old pods) */
  readonly pods: Indexer<Pod>;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

export class DeploymentReconciler {
  constructor(private readonly deps: DeploymentReconcilerDeps) {}

  /**
   * Syncs the Deployment `namespace/name`. Throws when a write failed (the caller requeues with
   * backoff); a Deployment that no longer exists, or whose selector is invalid, is not an error.
   */
  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.deps.deployments.get(key);
    if (!cached) return {};
    return new DeploymentSync(this.deps, deepCopy(cached)).run();
  }
}

/** The state of one sync of one Deployment: its working copy and the ReplicaSets written so far. */
class DeploymentSync implements RolloutActions {
  private readonly latest = new Map<string, ReplicaSet>();
  private requeueAfterMs: number | undefined;

  constructor(
    private readonly deps: DeploymentReconcilerDeps,
    /** the working copy, kept current with this sync's own writes */
    private readonly d: Deployment,
  ) {}

  async run(): Promise<ReconcileResult> {
    const { d } = this;
    const key = `${d.metadata?.namespace}/${d.metadata?.name}`;
    let selector: Selector;
    try {
      selector = labelSelectorFromObject(d.spec?.selector);
    } catch (e) {
      this.deps.log(`deployment: ${key}: invalid selector, not syncing: ${errorMessage(e)}`);
      return {};
    }
    if (selector.empty) {
      this.event('Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata?.generation };
        await this.writeStatus();
      }
      return {};
    }
    const rsList = await this.claimReplicaSets(selector);

    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await this.replicaSets(d, rsList, false);
      await this.syncStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
      return {};
    }
    if (setPausedCondition(d, this.deps.clock.now())) await this.writeStatus();

    if (d.spec?.paused) {
      await this.syncOnly(rsList);
      return {};
    }
    const { newRS, oldRSs } = await this.replicaSets(d, rsList, false);
    if (isScalingEvent(d, newRS && this.current(newRS), oldRSs)) {
      await this.syncOnly(rsList);
      return {};
    }
    if (d.spec?.strategy?.type === 'Recreate') await rolloutRecreate(this, d, rsList, this.podsByReplicaSet(rsList));
    else await rolloutRolling(this, d, rsList);
    return this.requeueAfterMs === undefined ? {} : { requeueAfterMs: this.requeueAfterMs };
  }

  // ---- RolloutActions ----

  current(rs: ReplicaSet): ReplicaSet {
    return this.latest.get(rs.metadata?.name ?? '') ?? rs;
  }

  async replicaSets(d: Deployment, rsList: readonly ReplicaSet[], create: boolean): Promise<ReplicaSetsOfDeployment> {
    const list = rsList.map((rs) => this.current(rs));
    const existing = findNewReplicaSet(d.spec?.template, list);
    const oldRSs = oldReplicaSets(list, existing);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) return { newRS: await this.syncNewReplicaSet(existing, newRevision), oldRSs };
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: await this.createNewReplicaSet(oldRSs, newRevision), oldRSs };
  }

  async scaleAndRecord(rs: ReplicaSet, replicas: number, d: Deployment): Promise<ScaleResult> {
    const cur = this.current(rs);
    if (replicasOf(cur) === replicas) return { scaled: false, rs: cur };
    return this.scale(cur, replicas, d, replicasOf(cur) < replicas ? 'up' : 'down');
  }

  async scale(rs: ReplicaSet, replicas: number, d: Deployment, operation: string): Promise<ScaleResult> {
    const cur = this.current(rs);
    const from = replicasOf(cur);
    const desired = replicasOf(d);
    const max = desired + maxSurge(d);
    const sizeChanges = from !== replicas;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(cur, desired, max)) return { scaled: false, rs: cur };
    const copy = deepCopy(cur);
    (copy.spec ??= { selector: {} }).replicas = replicas;
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.deps.client.update<ReplicaSet>(REPLICASETS, copy);
    this.remember(updated);
    if (sizeChanges) {
      this.event('Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${updated.metadata?.name} from ${from} to ${replicas}`);
    }
    return { scaled: sizeChanges, rs: updated };
  }

  async syncRolloutStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const r = rolloutStatus(d, allRSs.map((rs) => this.current(rs)), newRS && this.current(newRS), this.deps.clock.now());
    if (r.unchanged) {
      this.requeueAfterMs = r.recheckAfterMs;
      return;
    }
    d.status = r.status;
    await this.writeStatus();
  }

  async cleanup(oldRSs: readonly ReplicaSet[], d: Deployment): Promise<void> {
    for (const rs of replicaSetsToCleanUp(d, oldRSs.map((r) => this.current(r)))) {
      this.deps.log(`deployment: ${d.metadata?.namespace}/${d.metadata?.name}: deleting old replica set ${rs.metadata?.name} (revisionHistoryLimit ${d.spec?.revisionHistoryLimit})`);
      try {
        await this.deps.client.delete(REPLICASETS, rs.metadata?.namespace, rs.metadata?.name ?? '');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- steps ----

  /** Resizes in place and reports status, with history cleanup while paused (sync). */
  private async syncOnly(rsList: readonly ReplicaSet[]): Promise<void> {
    const { d } = this;
    const { newRS, oldRSs } = await this.replicaSets(d, rsList, false);
    await syncScale(this, d, newRS, oldRSs);
    if (d.spec?.paused) await this.cleanup(oldRSs, d);
    await this.syncStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  /** Writes the counts and the Available condition if they changed (syncDeploymentStatus). */
  private async syncStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const { d } = this;
    const status = calculateStatus(allRSs.map((rs) => this.current(rs)), newRS && this.current(newRS), d, this.deps.clock.now());
    if (statusEqual(d.status, status)) return;
    d.status = status;
    await this.writeStatus();
  }

  /** The ReplicaSets the Deployment controls after adopting and releasing (getReplicaSetsForDeployment). */
  private async claimReplicaSets(selector: Selector): Promise<ReplicaSet[]> {
    const { d } = this;
    const candidates = claimCandidates(this.deps.replicaSets, d.metadata?.uid ?? '', d.metadata?.namespace ?? '');
    return claimObjects(
      {
        client: this.deps.client,
        owner: d,
        ownerInfo: DEPLOYMENTS,
        controllerRef: newControllerRef(d, DEPLOYMENT_API_VERSION, DEPLOYMENT_KIND),
        selector,
        info: REPLICASETS,
      },
      candidates,
    );
  }

  /** Every pod each ReplicaSet controls, by ReplicaSet uid (getPodMapForDeployment). */
  private podsByReplicaSet(rsList: readonly ReplicaSet[]): Map<string, Pod[]> {
    const m = new Map<string, Pod[]>();
    for (const rs of rsList) {
      const uid = rs.metadata?.uid ?? '';
      m.set(uid, controlledBy(this.deps.pods, uid));
    }
    return m;
  }

  /**
   * Brings an existing new ReplicaSet up to date (annotations, revision, minReadySeconds); if it was,
   * the Deployment's revision follows on the next sync. Otherwise the Deployment takes its revision,
   * and a first Progressing condition (FoundNewReplicaSet) if it has none.
   */
  private async syncNewReplicaSet(existing: ReplicaSet, newRevision: number): Promise<ReplicaSet> {
    const { d } = this;
    const copy = deepCopy(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true, { surge: maxSurge(d) });
    const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    if (annotationsChanged || minReadyChanged) {
      const spec = (copy.spec ??= { selector: {} });
      if (d.spec?.minReadySeconds) spec.minReadySeconds = d.spec.minReadySeconds;
      else delete spec.minReadySeconds;
      const updated = await this.deps.client.update<ReplicaSet>(REPLICASETS, copy);
      this.remember(updated);
      return updated;
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
      const status = (d.status ??= {});
      setCondition(status, newCondition(PROGRESSING, 'True', FOUND_NEW_RS_REASON, `Found new replica set "${copy.metadata?.name}"`, this.deps.clock.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus();
    return existing;
  }

  /** Creates the ReplicaSet for the Deployment's current template (getNewReplicaSet's create path). */
  private async createNewReplicaSet(oldRSs: readonly ReplicaSet[], newRevision: number): Promise<ReplicaSet> {
    const { d } = this;
    const { client, clock } = this.deps;
    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = deepCopy(d.spec?.template ?? {});
    const tmeta = (template.metadata ??= {});
    tmeta.labels = { ...(tmeta.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const selector = deepCopy(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata?.name}-${hash}`;
    const newRS: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata?.namespace,
        labels: { ...tmeta.labels },
        ownerReferences: [newControllerRef(d, DEPLOYMENT_API_VERSION, DEPLOYMENT_KIND)],
      },
      spec: {
        replicas: 0,
        ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
        selector,
        template,
      },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false, { surge: maxSurge(d) });

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await client.create<ReplicaSet>(REPLICASETS, newRS);
    } catch (e) {
      if (isAlreadyExists(e)) {
        const live = this.deps.replicaSets.getByName(d.metadata?.namespace, name) ?? (await client.get<ReplicaSet>(REPLICASETS, d.metadata?.namespace, name));
        if (controllerOf(live)?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, live.spec?.template)) {
          created = live;
          alreadyExists = true;
        } else {
          // Another template already has this name: bump collisionCount so the next hash differs.
          const status = (d.status ??= {});
          status.collisionCount = (status.collisionCount ?? 0) + 1;
          await this.writeStatus();
          this.deps.log(`deployment: ${d.metadata?.namespace}/${d.metadata?.name}: hash collision on ${name}, collisionCount now ${status.collisionCount}`);
          throw e;
        }
      } else if (namespaceTerminating(e)) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${name}": ${errorMessage(e)}`;
        if (hasProgressDeadline(d)) {
          setCondition((d.status ??= {}), newCondition(PROGRESSING, 'False', FAILED_RS_CREATE_REASON, msg, clock.now()));
          await this.writeStatus().catch(() => undefined);
        }
        this.event('Warning', FAILED_RS_CREATE_REASON, msg);
        throw e;
      }
    }
    this.remember(created);
    if (!alreadyExists && replicas > 0) this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
    let needsUpdate = setDeploymentRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition((d.status ??= {}), newCondition(PROGRESSING, 'True', NEW_RS_CREATED_REASON, `Created new replica set "${name}"`, clock.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus();
    return created;
  }

  // ---- writes of the Deployment ----

  /**
   * Writes `d.status` through the status subresource, carrying the revision annotation as
   * Kubernetes' controller does. A server that keeps metadata out of status writes (as skiff's
   * registry and the FakeClient do) leaves the annotation behind: it is then written by a merge
   * patch of the Deployment, pinned to the resourceVersion just written.
   */
  private async writeStatus(): Promise<void> {
    const { d } = this;
    const revision = d.metadata?.annotations?.[REVISION_ANNOTATION];
    const written = await this.deps.client.updateStatus<Deployment>(DEPLOYMENTS, d);
    this.absorb(written);
    if (revision !== undefined && written.metadata?.annotations?.[REVISION_ANNOTATION] !== revision) {
      const body = { metadata: { annotations: { [REVISION_ANNOTATION]: revision }, resourceVersion: written.metadata?.resourceVersion } };
      this.absorb(await this.deps.client.patch<Deployment>(DEPLOYMENTS, d.metadata?.namespace, d.metadata?.name ?? '', body, 'merge'));
    }
  }

  /** Takes the server's resourceVersion and generation so the next write of this sync is not a Conflict. */
  private absorb(stored: Deployment): void {
    const meta = (this.d.metadata ??= {});
    meta.resourceVersion = stored.metadata?.resourceVersion;
    meta.generation = stored.metadata?.generation;
  }

  /** Records an Event about the Deployment (named by kind: list items may come without apiVersion and kind). */
  private event(type: EventType, reason: string, message: string): void {
    this.deps.recorder.event({ ...this.d, apiVersion: DEPLOYMENT_API_VERSION, kind: DEPLOYMENT_KIND }, type, reason, message);
  }

  private remember(rs: ReplicaSet): void {
    this.latest.set(rs.metadata?.name ?? '', rs);
  }
}

function namespaceTerminating(e: unknown): boolean {
  return isApiError(e) && (e.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

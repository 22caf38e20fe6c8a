// What a rollout strategy (rolling-update.ts, recreate.ts) and scaling (sync.ts) ask of the sync
// in progress (reconcile.ts). The strategies decide; these actions write, record events, and keep
// the Deployment copy (`d`) and the ReplicaSets they return current within the sync.
import type { Deployment, ReplicaSet } from './objects.js';

export interface ReplicaSetsOfDeployment {
  /** the ReplicaSet whose template equals the Deployment's, if there is one (yet) */
  readonly newRS: ReplicaSet | undefined;
  /** every other ReplicaSet the Deployment owns */
  readonly oldRSs: ReplicaSet[];
}

export interface ScaleResult {
  /** spec.replicas changed */
  readonly scaled: boolean;
  /** the ReplicaSet as stored now */
  readonly rs: ReplicaSet;
}

export interface RolloutActions {
  /**
   * The new and old ReplicaSets (getAllReplicaSetsAndSyncRevision). Brings an existing new
   * ReplicaSet's annotations and minReadySeconds and the Deployment's revision up to date; with
   * `create`, creates the new ReplicaSet when there is none (throws if that fails).
   */
  replicaSets(d: Deployment, rsList: readonly ReplicaSet[], create: boolean): Promise<ReplicaSetsOfDeployment>;
  /** Scales to `replicas` if it differs, with the ScalingReplicaSet event (scaleReplicaSetAndRecordEvent). */
  scaleAndRecord(rs: ReplicaSet, replicas: number, d: Deployment): Promise<ScaleResult>;
  /**
   * Sets spec.replicas and the replicas annotations when either differs (scaleReplicaSet); the event,
   * if the size changed, says `operation` ("up", "down"; proportional scaling names the Deployment's direction).
   */
  scale(rs: ReplicaSet, replicas: number, d: Deployment, operation: string): Promise<ScaleResult>;
  /** The latest version of `rs` this sync has seen (after its own writes). */
  current(rs: ReplicaSet): ReplicaSet;
  /** Writes the rollout's status and progress conditions if they changed (syncRolloutStatus). */
  syncRolloutStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void>;
  /** Deletes old ReplicaSets beyond revisionHistoryLimit that have scaled to zero (cleanupDeployment). */
  cleanup(oldRSs: readonly ReplicaSet[], d: Deployment): Promise<void>;
}

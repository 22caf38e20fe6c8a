// The Recreate strategy (pkg/controller/deployment/recreate.go): scale every old ReplicaSet to 0,
// wait until no old pod is left running (terminating pods count: old and new never overlap), then
// create or scale up the new ReplicaSet to spec.replicas.
import type { Deployment, Pod, ReplicaSet } from './objects.js';
import { replicasOf } from './objects.js';
import { deploymentComplete } from './progress.js';
import { activeReplicaSets, actualReplicas } from './replica-sets.js';
import type { RolloutActions } from './rollout-actions.js';

/**
 * Whether an old pod may still be running (oldPodsRunning): old ReplicaSets still report pods, or a
 * pod of a ReplicaSet other than the new one is in any phase but Succeeded or Failed.
 * `podsByReplicaSet` maps a ReplicaSet uid to every pod it controls, terminating ones included.
 */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podsByReplicaSet: ReadonlyMap<string, readonly Pod[]>): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByReplicaSet) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') return true;
    }
  }
  return false;
}

/** One Recreate step (rolloutRecreate). */
export async function rolloutRecreate(
  a: RolloutActions,
  d: Deployment,
  rsList: readonly ReplicaSet[],
  podsByReplicaSet: ReadonlyMap<string, readonly Pod[]>,
): Promise<void> {
  let { newRS, oldRSs } = await a.replicaSets(d, rsList, false);
  const all = () => [...oldRSs.map((rs) => a.current(rs)), ...(newRS ? [a.current(newRS)] : [])];

  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    const r = await a.scaleAndRecord(rs, 0, d);
    scaledDown ||= r.scaled;
  }
  if (scaledDown) return a.syncRolloutStatus(all(), newRS, d);
  if (oldPodsRunning(newRS, oldRSs.map((rs) => a.current(rs)), podsByReplicaSet)) return a.syncRolloutStatus(all(), newRS, d);

  if (!newRS) ({ newRS, oldRSs } = await a.replicaSets(d, rsList, true));
  if (!newRS) throw new Error(`deployment ${d.metadata?.namespace}/${d.metadata?.name}: no new ReplicaSet after creating it`);
  newRS = (await a.scaleAndRecord(newRS, replicasOf(d), d)).rs;

  if (deploymentComplete(d, d.status)) await a.cleanup(oldRSs.map((rs) => a.current(rs)), d);
  return a.syncRolloutStatus(all(), newRS, d);
}

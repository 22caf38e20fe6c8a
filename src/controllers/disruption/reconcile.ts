// One sync of a PodDisruptionBudget (Kubernetes' sync / trySync / failSafe): read the budget and
// the pods its selector matches from the informer caches, compute expectedPods, desiredHealthy,
// currentHealthy and the disruptedPods still in force, and write the status through the status
// subresource when it differs. When the numbers cannot be computed (a pod's controller is missing
// or has no scale, the selector is invalid), the status is made safe instead: disruptionsAllowed 0
// and DisruptionAllowed=False/SyncFailed. Idempotent; never writes an unchanged status.
import { isConflict, isNotFound } from '../../api/errors.js';
import { formatLabelSelector, labelSelectorFromObject, type Selector } from '../../api/labels.js';
import { deepCopy } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/lister.js';
import { errorMessage } from '../work-loop.js';
import { desiredStatus, failSafeStatus, statusUpToDate } from './desired-status.js';
import { countHealthyPods, pruneDisruptedPods } from './disrupted-pods.js';
import { ExpectedCountError, expectedPods, type ControllerLookup } from './expected-pods.js';
import { PDB_API_VERSION, PDB_KIND, PDBS, type Deployment, type Pod, type PodDisruptionBudget, type PodDisruptionBudgetStatus, type ReplicaSet } from './objects.js';

export interface DisruptionReconcilerDeps {
  readonly client: Client;
  readonly pdbs: Lister<PodDisruptionBudget>;
  readonly pods: Lister<Pod>;
  readonly replicaSets: Lister<ReplicaSet>;
  readonly deployments: Lister<Deployment>;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

export interface ReconcileResult {
  /** sync the budget again after this long: an entry of status.disruptedPods expires then */
  readonly requeueAfterMs?: number;
}

/** The budget's selector is not a valid label selector (reported as Kubernetes reports a failed pod list). */
class SelectorError extends Error {}

export class DisruptionReconciler {
  private readonly controllers: ControllerLookup;

  constructor(private readonly deps: DisruptionReconcilerDeps) {
    this.controllers = {
      replicaSet: (namespace, name) => deps.replicaSets.get(namespace, name),
      deployment: (namespace, name) => deps.deployments.get(namespace, name),
    };
  }

  /**
   * Syncs the budget `namespace/name`. Throws when the status write failed (the caller requeues
   * with backoff): a Conflict as is, any other failure after making the status safe if it can.
   * A budget that is gone, or whose numbers cannot be computed, is not an error — the latter is
   * reported by an Event and the SyncFailed condition, and synced again on the next change.
   */
  async reconcile(key: string): Promise<ReconcileResult> {
    const i = key.indexOf('/');
    const pdb = this.deps.pdbs.get(key.slice(0, i), key.slice(i + 1));
    if (!pdb) return {};
    const target = { ...pdb, apiVersion: PDB_API_VERSION, kind: PDB_KIND };
    const now = this.deps.clock.now();

    let status: PodDisruptionBudgetStatus;
    let recheckAtMs: number | undefined;
    try {
      const selector = this.selector(pdb);
      const pods = this.deps.pods.listInNamespace(pdb.metadata?.namespace ?? '', selector);
      if (pods.length === 0) this.deps.recorder.event(target, 'Normal', 'NoPods', 'No matching pods found');
      const expected = expectedPods(pdb, pods, this.controllers);
      if (expected.unmanagedPods.length > 0) {
        this.deps.log(`disruption: ${key}: selects pods without a controller: ${expected.unmanagedPods.join(', ')}`);
        this.deps.recorder.event(
          target,
          'Warning',
          'UnmanagedPods',
          `Pods selected by this PodDisruptionBudget (selector: ${formatLabelSelector(pdb.spec?.selector)}) were found to be unmanaged. ` +
            'As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ' +
            'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
        );
      }
      const pruned = pruneDisruptedPods(pdb.status?.disruptedPods, pods, now);
      for (const pod of pruned.expired) {
        this.deps.log(`disruption: ${key}: pod ${pod.metadata?.name ?? ''} was expected to be deleted but it was not`);
        this.deps.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'NotDeleted', `Pod was expected by PDB ${key} to be deleted but it wasn't`);
      }
      recheckAtMs = pruned.recheckAtMs;
      status = desiredStatus(
        pdb,
        {
          currentHealthy: countHealthyPods(pods, pruned.disruptedPods, now),
          desiredHealthy: expected.desiredHealthy,
          expectedPods: expected.expectedCount,
          disruptedPods: pruned.disruptedPods,
        },
        now,
      );
    } catch (e) {
      if (e instanceof SelectorError) {
        this.deps.recorder.event(target, 'Warning', 'NoPods', `Failed to get pods: ${e.message}`);
      } else if (e instanceof ExpectedCountError) {
        this.deps.recorder.event(target, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${e.message}`);
      } else {
        throw e;
      }
      const message = errorMessage(e);
      this.deps.log(`disruption: ${key}: sync failed, no disruptions allowed: ${message}`);
      await this.write(pdb, failSafeStatus(pdb, message, now));
      return {};
    }

    try {
      await this.write(pdb, status);
    } catch (e) {
      if (isConflict(e)) throw e;
      // Whatever the write failed on, try to leave a status that allows no disruptions.
      await this.write(pdb, failSafeStatus(pdb, errorMessage(e), now)).catch(() => undefined);
      throw e;
    }
    // Looked at again just after the first disruptedPods entry expires.
    return recheckAtMs === undefined ? {} : { requeueAfterMs: recheckAtMs - now + 1 };
  }

  private selector(pdb: PodDisruptionBudget): Selector {
    try {
      return labelSelectorFromObject(pdb.spec?.selector);
    } catch (e) {
      throw new SelectorError(errorMessage(e));
    }
  }

  /** Writes `status` unless it is already there, pinned to the cached resourceVersion. A budget deleted meanwhile is not an error. */
  private async write(pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus): Promise<void> {
    if (statusUpToDate(pdb, status)) return;
    try {
      await this.deps.client.updateStatus(PDBS, { ...deepCopy(pdb), status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

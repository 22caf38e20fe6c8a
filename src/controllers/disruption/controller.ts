// The disruption controller ("disruption"): keeps every PodDisruptionBudget's status — how many
// pods it expects, how many are healthy, how many may be disrupted now — which the eviction
// subresource reads. Wiring only: budget events queue the budget's key; pod events queue the keys
// of the budgets whose selectors match the pod (before and after the change); a change of a
// ReplicaSet's or Deployment's scale queues the budgets of its namespace that count scales. A
// second queue of pod keys resets stale DisruptionTarget conditions. reconcile.ts does the work.
import { isDeepStrictEqual } from 'node:util';
import { labelSelectorFromObject } from '../../api/labels.js';
import { objectKey, type KubeObject } from '../../api/object.js';
import type { Lister } from '../../client/lister.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller.js';
import { controllerOf } from '../replicaset/controller-ref.js';
import { runWorkers } from '../work-loop.js';
import { usesControllerScale } from './expected-pods.js';
import { DEPLOYMENTS, PDBS, PODS, REPLICASETS, type Deployment, type Pod, type PodDisruptionBudget, type ReplicaSet } from './objects.js';
import { DisruptionReconciler } from './reconcile.js';
import { resetStaleDisruptionTarget, staleDisruptionTargetInMs } from './stale-disruption-target.js';

export const DISRUPTION_CONTROLLER_NAME = 'disruption';
/** source.component of its Events, as kube-controller-manager's disruption controller names itself */
export const DISRUPTION_COMPONENT = 'controllermanager';
/** Kubernetes runs one worker for budgets (and one for stale DisruptionTarget conditions). */
export const DISRUPTION_WORKERS = 1;

export const createDisruptionController: ControllerFactory = (deps) => new DisruptionController(deps);

class DisruptionController implements Controller {
  readonly name = DISRUPTION_CONTROLLER_NAME;

  constructor(private readonly deps: ControllerDeps) {}

  start(signal: AbortSignal): void {
    const { deps } = this;
    const pdbs = deps.informers.forResource<PodDisruptionBudget>(PDBS);
    const pods = deps.informers.forResource<Pod>(PODS);
    const replicaSets = deps.informers.forResource<ReplicaSet>(REPLICASETS);
    const deployments = deps.informers.forResource<Deployment>(DEPLOYMENTS);
    const queue = new WorkQueue({ clock: deps.clock });
    const staleQueue = new WorkQueue({ clock: deps.clock });
    const reconciler = new DisruptionReconciler({
      client: deps.client,
      pdbs: pdbs.lister,
      pods: pods.lister,
      replicaSets: replicaSets.lister,
      deployments: deployments.lister,
      recorder: deps.recorder(DISRUPTION_COMPONENT),
      clock: deps.clock,
      log: deps.log,
    });

    const enqueueBudget = (pdb: PodDisruptionBudget) => queue.add(objectKey(pdb));
    const enqueueBudgetsOf = (pod: Pod) => {
      for (const key of budgetsSelecting(pdbs.lister, pod)) queue.add(key);
    };
    const enqueueStale = (pod: Pod) => {
      const wait = staleDisruptionTargetInMs(pod, deps.clock.now());
      if (wait !== undefined) staleQueue.addAfter(objectKey(pod), wait);
    };
    const enqueueScaledBudgets = (workload: KubeObject) => {
      for (const pdb of pdbs.lister.listInNamespace(workload.metadata?.namespace ?? '')) {
        if (usesControllerScale(pdb)) queue.add(objectKey(pdb));
      }
    };
    const workloadHandlers = {
      onAdd: enqueueScaledBudgets,
      onUpdate: (old: ReplicaSet | Deployment, cur: ReplicaSet | Deployment) => {
        if (scaleChanged(old, cur)) enqueueScaledBudgets(cur);
      },
      onDelete: enqueueScaledBudgets,
    };

    const removers = [
      pdbs.addEventHandler({ onAdd: enqueueBudget, onUpdate: (_old, cur) => enqueueBudget(cur), onDelete: enqueueBudget }),
      pods.addEventHandler({
        onAdd: (pod) => {
          enqueueBudgetsOf(pod);
          enqueueStale(pod);
        },
        onUpdate: (old, cur) => {
          if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // a resync
          // most namespaces have no budget: then a pod's update (several per pod start) costs no label comparison
          if (pdbs.lister.listInNamespace(cur.metadata?.namespace ?? '').length > 0) {
            enqueueBudgetsOf(cur);
            if (!isDeepStrictEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})) enqueueBudgetsOf(old);
          }
          enqueueStale(cur);
        },
        onDelete: enqueueBudgetsOf,
      }),
      replicaSets.addEventHandler(workloadHandlers),
      deployments.addEventHandler(workloadHandlers),
    ];
    const stop = () => {
      for (const remove of removers) remove();
      queue.shutDown();
      staleQueue.shutDown();
    };
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });

    // One wait shared by both loops (each wait holds an abort listener per informer).
    const synced = Promise.all([pdbs, pods, replicaSets, deployments].map((i) => i.waitForSync(signal))).then((all) => all.every(Boolean));
    const waitForSync = () => synced;
    void runWorkers({
      name: DISRUPTION_CONTROLLER_NAME,
      queue,
      workers: DISRUPTION_WORKERS,
      waitForSync,
      reconcile: (key) => reconciler.reconcile(key),
      log: deps.log,
    });
    void runWorkers({
      name: DISRUPTION_CONTROLLER_NAME,
      queue: staleQueue,
      workers: DISRUPTION_WORKERS,
      waitForSync,
      reconcile: (key) => resetStaleDisruptionTarget({ client: deps.client, pods: pods.lister, clock: deps.clock, log: deps.log }, key),
      log: deps.log,
    });
  }
}

/**
 * Keys of the budgets in the pod's namespace whose selector matches the pod (`{}` matches every
 * pod, a missing selector none; an invalid selector matches none).
 */
export function budgetsSelecting(pdbs: Lister<PodDisruptionBudget>, pod: Pod): string[] {
  const keys: string[] = [];
  for (const pdb of pdbs.listInNamespace(pod.metadata?.namespace ?? '')) {
    try {
      if (labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata?.labels)) keys.push(objectKey(pdb));
    } catch {
      // synced anyway on its own events, where the invalid selector is reported
    }
  }
  return keys;
}

/** Whether an update changes what the workload contributes to a budget's expected count. */
function scaleChanged(old: ReplicaSet | Deployment, cur: ReplicaSet | Deployment): boolean {
  return (
    old.spec?.replicas !== cur.spec?.replicas ||
    old.metadata?.uid !== cur.metadata?.uid ||
    !isDeepStrictEqual(controllerOf(old), controllerOf(cur))
  );
}

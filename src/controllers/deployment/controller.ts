// The Deployment controller: wires the Deployment, ReplicaSet and pod informers to a queue of
// Deployment keys (`namespace/name`) and runs DeploymentReconciler.reconcile on them (reconcile.ts
// holds the logic). A ReplicaSet change wakes its owning Deployment (or, for an orphan, every
// Deployment that selects it); a pod deletion wakes a Recreate Deployment waiting for old pods to go.
import { isDeepStrictEqual } from 'node:util';
import { labelSelectorFromObject } from '../../api/labels.js';
import { objectKey, type OwnerReference } from '../../api/object.js';
import { NAMESPACE_INDEX } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller.js';
import { controllerOf, ensureControllerUidIndex } from '../replicaset/controller-ref.js';
import { REPLICASET_KIND } from '../replicaset/desired-pod.js';
import { runWorkers } from '../work-loop.js';
import { DEPLOYMENTS, DEPLOYMENT_KIND, PODS, REPLICASETS, type Deployment, type Pod, type ReplicaSet } from './objects.js';
import { DeploymentReconciler } from './reconcile.js';

export const DEPLOYMENT_CONTROLLER_NAME = 'deployment';
/** source.component of its Events */
export const DEPLOYMENT_COMPONENT = 'deployment-controller';
/** concurrent syncs (kube-controller-manager's --concurrent-deployment-syncs) */
export const DEPLOYMENT_WORKERS = 5;

export const createDeploymentController: ControllerFactory = (deps) => new DeploymentController(deps);

class DeploymentController implements Controller {
  readonly name = DEPLOYMENT_CONTROLLER_NAME;

  constructor(private readonly deps: ControllerDeps) {}

  start(signal: AbortSignal): void {
    const { deps } = this;
    const deployments = deps.informers.forResource<Deployment>(DEPLOYMENTS);
    const replicaSets = deps.informers.forResource<ReplicaSet>(REPLICASETS);
    const pods = deps.informers.forResource<Pod>(PODS);
    ensureControllerUidIndex(replicaSets.indexer);
    ensureControllerUidIndex(pods.indexer);
    const queue = new WorkQueue({ clock: deps.clock });
    const reconciler = new DeploymentReconciler({
      client: deps.client,
      deployments: deployments.indexer,
      replicaSets: replicaSets.indexer,
      pods: pods.indexer,
      recorder: deps.recorder(DEPLOYMENT_COMPONENT),
      clock: deps.clock,
      log: deps.log,
    });
    const owners = new Owners(deployments, replicaSets);
    const enqueue = (d: Deployment | undefined) => {
      if (d) queue.add(objectKey(d));
    };

    const removers = [
      deployments.addEventHandler({
        onAdd: (d) => enqueue(d),
        onUpdate: (_old, d) => enqueue(d),
        onDelete: (d) => enqueue(d),
      }),
      replicaSets.addEventHandler({
        onAdd: (rs) => {
          const ref = controllerOf(rs);
          if (ref) return enqueue(owners.deploymentOf(rs, ref));
          if (!rs.metadata?.deletionTimestamp) owners.selecting(rs).forEach(enqueue);
        },
        onUpdate: (old, cur) => {
          if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // a resync
          const curRef = controllerOf(cur);
          const oldRef = controllerOf(old);
          const refChanged = !isDeepStrictEqual(curRef, oldRef);
          if (refChanged && oldRef) enqueue(owners.deploymentOf(old, oldRef));
          if (curRef) return enqueue(owners.deploymentOf(cur, curRef));
          const labelsChanged = !isDeepStrictEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
          if (labelsChanged || refChanged) owners.selecting(cur).forEach(enqueue);
        },
        onDelete: (rs) => {
          const ref = controllerOf(rs);
          if (ref) enqueue(owners.deploymentOf(rs, ref));
        },
      }),
      pods.addEventHandler({
        onDelete: (pod) => {
          const d = owners.deploymentOfPod(pod);
          if (d?.spec?.strategy?.type === 'Recreate') enqueue(d);
        },
      }),
    ];
    const stop = () => {
      for (const remove of removers) remove();
      queue.shutDown();
    };
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });

    void runWorkers({
      name: DEPLOYMENT_CONTROLLER_NAME,
      queue,
      workers: DEPLOYMENT_WORKERS,
      waitForSync: async () => (await Promise.all([deployments.waitForSync(signal), replicaSets.waitForSync(signal), pods.waitForSync(signal)])).every(Boolean),
      reconcile: (key) => reconciler.reconcile(key),
      log: deps.log,
    });
  }
}

/** Resolves controller references to cached Deployments. */
class Owners {
  constructor(
    private readonly deployments: Informer<Deployment>,
    private readonly replicaSets: Informer<ReplicaSet>,
  ) {}

  /** The Deployment a ReplicaSet's controller reference names, if cached with that uid. */
  deploymentOf(rs: ReplicaSet, ref: OwnerReference): Deployment | undefined {
    if (ref.kind !== DEPLOYMENT_KIND || !ref.apiVersion.startsWith('apps/')) return undefined;
    const d = this.deployments.indexer.getByName(rs.metadata?.namespace, ref.name);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  /** The Deployment controlling the ReplicaSet controlling the pod. */
  deploymentOfPod(pod: Pod): Deployment | undefined {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== REPLICASET_KIND) return undefined;
    const rs = this.replicaSets.indexer.getByName(pod.metadata?.namespace, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    const dref = controllerOf(rs);
    return dref ? this.deploymentOf(rs, dref) : undefined;
  }

  /** Deployments in the ReplicaSet's namespace whose (non-empty) selector matches it: who might adopt an orphan. */
  selecting(rs: ReplicaSet): Deployment[] {
    const labels = rs.metadata?.labels;
    if (!labels) return [];
    return this.deployments.indexer.byIndex(NAMESPACE_INDEX, rs.metadata?.namespace ?? '').filter((d) => {
      try {
        const sel = labelSelectorFromObject(d.spec?.selector);
        return !sel.empty && sel.matches(labels);
      } catch {
        return false;
      }
    });
  }
}

// The ReplicaSet controller: wires the ReplicaSet and pod informers to a queue of ReplicaSet keys
// (`namespace/name`) and runs ReplicaSetReconciler.reconcile on them (reconcile.ts holds the logic).
// Pod events also settle the controller's expectations: a pod it created has been seen, a pod it
// deleted is gone.
import { isDeepStrictEqual } from 'node:util';
import { labelSelectorFromObject } from '../../api/labels.js';
import { objectKey } from '../../api/object.js';
import { NAMESPACE_INDEX } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller.js';
import { controllerOf, ensureControllerUidIndex } from './controller-ref.js';
import { REPLICASET_KIND } from './desired-pod.js';
import { ControllerExpectations } from './expectations.js';
import { PODS, REPLICASETS, type OwnerReference, type Pod, type ReplicaSet } from './objects.js';
import { isPodReady } from './pod-readiness.js';
import { ReplicaSetReconciler } from './reconcile.js';
import { runWorkers } from '../work-loop.js';

export const REPLICASET_CONTROLLER_NAME = 'replicaset';
/** source.component of its Events */
export const REPLICASET_COMPONENT = 'replicaset-controller';
/** concurrent syncs (kube-controller-manager's --concurrent-replicaset-syncs) */
export const REPLICASET_WORKERS = 5;

export const createReplicaSetController: ControllerFactory = (deps) => new ReplicaSetController(deps);

class ReplicaSetController implements Controller {
  readonly name = REPLICASET_CONTROLLER_NAME;

  constructor(private readonly deps: ControllerDeps) {}

  start(signal: AbortSignal): void {
    const { deps } = this;
    const replicaSets = deps.informers.forResource<ReplicaSet>(REPLICASETS);
    const pods = deps.informers.forResource<Pod>(PODS);
    ensureControllerUidIndex(pods.indexer);
    const queue = new WorkQueue({ clock: deps.clock });
    const expectations = new ControllerExpectations(deps.clock);
    const reconciler = new ReplicaSetReconciler({
      client: deps.client,
      replicaSets: replicaSets.indexer,
      pods: pods.indexer,
      recorder: deps.recorder(REPLICASET_COMPONENT),
      clock: deps.clock,
      expectations,
      log: deps.log,
    });
    const handlers = new PodHandlers(replicaSets, queue, expectations);

    const removers = [
      replicaSets.addEventHandler({
        onAdd: (rs) => queue.add(objectKey(rs)),
        onUpdate: (old, cur) => {
          // Deleted and recreated under the same name: the old one's expectations are void.
          if (old.metadata?.uid !== cur.metadata?.uid) expectations.delete(objectKey(old));
          queue.add(objectKey(cur));
        },
        onDelete: (rs) => {
          expectations.delete(objectKey(rs));
          queue.add(objectKey(rs));
        },
      }),
      pods.addEventHandler({
        onAdd: (pod) => handlers.added(pod),
        onUpdate: (old, cur) => handlers.updated(old, cur),
        onDelete: (pod) => handlers.deleted(pod),
      }),
    ];
    const stop = () => {
      for (const remove of removers) remove();
      queue.shutDown();
    };
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });

    void runWorkers({
      name: REPLICASET_CONTROLLER_NAME,
      queue,
      workers: REPLICASET_WORKERS,
      waitForSync: async () => (await Promise.all([replicaSets.waitForSync(signal), pods.waitForSync(signal)])).every(Boolean),
      reconcile: (key) => reconciler.reconcile(key),
      log: deps.log,
    });
  }
}

/** Pod events → ReplicaSet keys, and expectations settled (Kubernetes' addPod/updatePod/deletePod). */
class PodHandlers {
  constructor(
    private readonly replicaSets: Informer<ReplicaSet>,
    private readonly queue: WorkQueue,
    private readonly expectations: ControllerExpectations,
  ) {}

  added(pod: Pod): void {
    // A pod that shows up already being deleted (e.g. after a relist) is a deletion to the controller.
    if (pod.metadata?.deletionTimestamp) return this.deleted(pod);
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolve(pod, ref);
      if (!rs) return;
      this.expectations.creationObserved(objectKey(rs));
      this.queue.add(objectKey(rs));
      return;
    }
    for (const rs of this.selecting(pod)) this.queue.add(objectKey(rs));
  }

  updated(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // a resync
    const labelsChanged = !isDeepStrictEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion started: replace the pod now rather than when the kubelet is done with it.
      this.deleted(cur);
      if (labelsChanged) this.deleted(old);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !isDeepStrictEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.resolve(old, oldRef);
      if (rs) this.queue.add(objectKey(rs));
    }
    if (curRef) {
      const rs = this.resolve(cur, curRef);
      if (!rs) return;
      this.queue.add(objectKey(rs));
      // It becomes available minReadySeconds after turning ready: look again then.
      const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0) this.queue.addAfter(objectKey(rs), (minReadySeconds + 1) * 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.selecting(cur)) this.queue.add(objectKey(rs));
  }

  deleted(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.resolve(pod, ref);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.queue.add(key);
  }

  /** The cached ReplicaSet a controller reference names, if it is that very ReplicaSet (same uid). */
  private resolve(pod: Pod, ref: OwnerReference): ReplicaSet | undefined {
    if (ref.kind !== REPLICASET_KIND || !ref.apiVersion.startsWith('apps/')) return undefined;
    const rs = this.replicaSets.indexer.getByName(pod.metadata?.namespace, ref.name);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it: who might adopt an orphan. */
  private selecting(pod: Pod): ReplicaSet[] {
    const labels = pod.metadata?.labels;
    if (!labels) return [];
    return this.replicaSets.indexer.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '').filter((rs) => {
      try {
        const sel = labelSelectorFromObject(rs.spec?.selector);
        return !sel.empty && sel.matches(labels);
      } catch {
        return false;
      }
    });
  }
}

// The pods/eviction subresource (POST a policy/v1 Eviction): a pod deletion that respects the
// PodDisruptionBudget covering the pod, as kube-apiserver's EvictionREST does, so `kubectl drain`
// waits (it retries every 5 s on 429) instead of taking down more pods than a budget allows.
//
// Contract, per eviction:
// - A pod that is terminal (Succeeded, Failed), Pending or already being deleted is deleted
//   without looking at budgets.
// - Otherwise the PDBs of the pod's namespace whose selector matches its labels decide: none →
//   delete; more than one → 500 (Kubernetes does not support that either).
// - With one: a pod that is not Ready may go when the budget's policy is AlwaysAllow, or when the
//   application is healthy (currentHealthy ≥ desiredHealthy > 0); a Ready pod may go when the
//   budget is up to date (status.observedGeneration ≥ generation) and allows a disruption. Its
//   status.disruptionsAllowed is then decremented and the pod recorded in status.disruptedPods
//   (the disruption controller drops it once the pod is gone, or after 2 minutes), by a
//   compare-and-swap status write; a conflict starts the eviction over (at most 5 times).
// - Refusals are 429 TooManyRequests, message "Cannot evict pod as it would violate the pod's
//   disruption budget.", with a DisruptionBudget cause saying why.
// - The pod gets the DisruptionTarget=True condition (EvictionByEvictionAPI), then is deleted.
// - dryRun checks everything and writes nothing.
import { ApiError, ConflictError, ForbiddenError, InternalError, NotFoundError } from '../api/errors.js';
import { labelSelectorFromObject } from '../api/labels.js';
import { isObject, type KubeObject } from '../api/object.js';
import { rfc3339 } from '../api/time.js';
import type { DeleteOptions, GenericRegistry } from '../registry/generic-registry.js';

/** Kubernetes' limit on status.disruptedPods (MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;
const CONFLICT_RETRIES = 5;
const REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

export interface EvictionDeps {
  readonly pods: GenericRegistry;
  /** policy/v1 poddisruptionbudgets; absent: no budgets */
  readonly pdbs?: GenericRegistry;
  readonly now: () => Date;
}

type Obj = Record<string, unknown>;
const objectAt = (o: unknown, k: string): Obj => (isObject(o) && isObject(o[k]) ? o[k] : {});
const numberAt = (o: Obj, k: string): number => (typeof o[k] === 'number' ? o[k] : 0);

function refused(cause: string): ApiError {
  return new ApiError(429, 'TooManyRequests', REFUSED, { causes: [{ reason: 'DisruptionBudget', message: cause }] });
}

function isReady(pod: KubeObject): boolean {
  const conditions = objectAt(pod, 'status').conditions;
  return Array.isArray(conditions) && conditions.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
}

/** Pods whose eviction no budget can refuse (canIgnorePDB). */
function budgetsDoNotApply(pod: KubeObject): boolean {
  const phase = objectAt(pod, 'status').phase;
  return Boolean(pod.metadata?.deletionTimestamp) || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending';
}

async function budgetsOf(pdbs: GenericRegistry, pod: KubeObject): Promise<KubeObject[]> {
  const { items } = await pdbs.list(pod.metadata?.namespace);
  return items
    .map((e) => e.object)
    .filter((pdb) => {
      try {
        return labelSelectorFromObject(objectAt(pdb, 'spec').selector as never).matches(pod.metadata?.labels);
      } catch {
        return false; // a selector Kubernetes would refuse selects nothing
      }
    });
}

/**
 * Takes one disruption from `pdb` for the Ready pod `podName` (checkAndDecrement): refuses with
 * 429 when it has none; a ConflictError when the budget changed since it was read.
 */
async function takeDisruption(deps: EvictionDeps, pdb: KubeObject, podName: string, dryRun: boolean): Promise<void> {
  const name = pdb.metadata?.name ?? '';
  const status = objectAt(pdb, 'status');
  if (numberAt(status, 'observedGeneration') < (pdb.metadata?.generation ?? 0)) {
    throw refused(`The disruption budget ${name} is still being processed by the server.`);
  }
  const allowed = numberAt(status, 'disruptionsAllowed');
  if (allowed < 0) throw new ForbiddenError('pdb disruptions allowed is negative');
  const disrupted = objectAt(status, 'disruptedPods');
  if (Object.keys(disrupted).length > MAX_DISRUPTED_PODS) throw new ForbiddenError('DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (allowed === 0) {
    throw refused(`The disruption budget ${name} needs ${numberAt(status, 'desiredHealthy')} healthy pods and has ${numberAt(status, 'currentHealthy')} currently`);
  }
  if (dryRun) return;
  const next = { ...pdb, status: { ...status, disruptionsAllowed: allowed - 1, disruptedPods: { ...disrupted, [podName]: rfc3339(deps.now()) } } };
  // pinned to the resourceVersion read: a concurrent eviction or controller write is a conflict
  await deps.pdbs!.replace(pdb.metadata?.namespace, name, next, { subresource: 'status', fieldManager: 'kube-apiserver' });
}

/**
 * The pod's DisruptionTarget condition (True, EvictionByEvictionAPI), as Kubernetes sets it before
 * the deletion, so the pod's owner (a Job's pod failure policy, say) can tell why it went.
 */
async function markDisruptionTarget(deps: EvictionDeps, ns: string | undefined, name: string): Promise<void> {
  const condition = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastProbeTime: null, lastTransitionTime: rfc3339(deps.now()) };
  await deps.pods.update(
    ns,
    name,
    (live) => {
      if (!live) throw new NotFoundError(deps.pods.subject(name));
      const pod = live;
      const status = objectAt(pod, 'status');
      const conditions = Array.isArray(status.conditions) ? status.conditions.filter((c) => !(isObject(c) && c.type === 'DisruptionTarget')) : [];
      return { ...pod, status: { ...status, conditions: [...conditions, condition] } } as KubeObject;
    },
    { subresource: 'status', fieldManager: 'kube-apiserver' },
  );
}

/** Evicts pod `ns/name` under its budget (see the contract above), then deletes it with `opts`. */
export async function evictPod(deps: EvictionDeps, ns: string | undefined, name: string, opts: DeleteOptions): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const pod = (await deps.pods.get(ns, name)).object;
    if (deps.pdbs && !budgetsDoNotApply(pod)) {
      const budgets = await budgetsOf(deps.pdbs, pod);
      if (budgets.length > 1) throw new InternalError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      const pdb = budgets[0];
      if (pdb) {
        const spec = objectAt(pdb, 'spec');
        const status = objectAt(pdb, 'status');
        if (!isReady(pod)) {
          const desired = numberAt(status, 'desiredHealthy');
          const healthy = spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' || (numberAt(status, 'currentHealthy') >= desired && desired > 0);
          if (!healthy) throw refused(`The disruption budget ${pdb.metadata?.name ?? ''} does not allow evicting pods that are not Ready`);
        } else {
          try {
            await takeDisruption(deps, pdb, name, Boolean(opts.dryRun));
          } catch (e) {
            if (e instanceof ConflictError && attempt < CONFLICT_RETRIES) continue;
            throw e;
          }
        }
      }
    }
    if (!opts.dryRun) await markDisruptionTarget(deps, ns, name);
    await deps.pods.delete(ns, name, opts);
    return;
  }
}

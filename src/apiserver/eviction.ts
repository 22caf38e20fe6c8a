// The pods/eviction subresource (POST a policy/v1 Eviction): a pod deletion that respects the
// PodDisruptionBudget covering the pod, as kube-apiserver's EvictionREST does, so `kubectl drain`
// waits (it retries every 5 s on 429) instead of taking down more pods than a budget allows.
//
// Contract, per eviction:
// - A pod that is terminal (Succeeded, Failed), Pending or already being deleted is deleted
//   without looking at budgets.
// - Otherwise the PDBs of the pod's namespace whose selector matches its labels decide: none →
//   delete; more than one → 500 (Kubernetes does not support that either).
// - With one: a pod that is not Ready goes without spending a disruption when the budget's
//   policy is AlwaysAllow or the application is healthy (currentHealthy ≥ desiredHealthy > 0);
//   any other pod needs the budget up to date (status.observedGeneration ≥ generation) and a
//   disruption left: status.disruptionsAllowed is decremented (DisruptionAllowed turns False at
//   0) and the pod recorded in status.disruptedPods (the disruption controller drops it once the
//   pod is gone, or after 2 minutes). Decrements of one budget are serialized in this process, so
//   concurrent evictions (kubectl drain evicts a node's pods at once) never conflict with each
//   other; a conflict with another writer (the controller) reads the budget again, up to 20
//   times, 500 ms apart, as Kubernetes' EvictionsRetry.
// - Refusals are 429 TooManyRequests, message "Cannot evict pod as it would violate the pod's
//   disruption budget.", with a DisruptionBudget cause saying why.
// - The pod then gets the DisruptionTarget=True condition (EvictionByEvictionAPI) and is
//   deleted. The caller's preconditions (uid, resourceVersion) are checked before anything is
//   written; a pod that changed since it was judged (it may have turned Ready) is judged again.
// - dryRun checks everything and writes nothing.
import { ApiError, ConflictError, ForbiddenError, InternalError, NotFoundError } from '../api/errors.js';
import { KeyedSerial } from '../api/keyed-serial.js';
import { setStatusCondition, type StatusCondition } from '../api/status-condition.js';
import { labelSelectorFromObject } from '../api/labels.js';
import { isObject, type KubeObject } from '../api/object.js';
import { rfc3339 } from '../api/time.js';
import type { DeleteOptions, GenericRegistry } from '../registry/generic-registry.js';

/** Kubernetes' limit on status.disruptedPods (MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;
/** Kubernetes' EvictionsRetry: 20 steps of 500 ms (jitter 0.1). */
const CONFLICT_RETRIES = 20;
const CONFLICT_RETRY_MS = 500;
/** Re-judging a pod that changed between the judgement and the write. */
const POD_CHANGED_RETRIES = 5;
const REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

export interface EvictionDeps {
  readonly pods: GenericRegistry;
  /** policy/v1 poddisruptionbudgets; absent: no budgets */
  readonly pdbs?: GenericRegistry;
  readonly now: () => Date;
  /** waits between conflict retries; default setTimeout (tests pass a faster one) */
  readonly sleep?: (ms: number) => Promise<void>;
}

type Obj = Record<string, unknown>;
const objectAt = (o: unknown, k: string): Obj => (isObject(o) && isObject(o[k]) ? o[k] : {});
const numberAt = (o: Obj, k: string): number => (typeof o[k] === 'number' ? o[k] : 0);
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The pod changed after it was judged: judge it again. */
class PodChanged extends Error {}

/** The decrements of each budget, one after another (key: namespace/name). */
const budgetDecrements = new KeyedSerial();

function refused(cause: string, retryAfterSeconds?: number): ApiError {
  return new ApiError(429, 'TooManyRequests', REFUSED, { causes: [{ reason: 'DisruptionBudget', message: cause }], ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });
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
 * Takes one disruption from the budget `namespace/name` for pod `podName` (checkAndDecrement),
 * reading the budget afresh: refuses with 429 when it has none; a ConflictError when another
 * writer changed it between the read and the write.
 */
async function takeDisruption(deps: EvictionDeps, namespace: string | undefined, name: string, podName: string, dryRun: boolean): Promise<void> {
  const pdb = (await deps.pdbs!.get(namespace, name)).object;
  const status = objectAt(pdb, 'status');
  if (numberAt(status, 'observedGeneration') < (pdb.metadata?.generation ?? 0)) {
    throw refused(`The disruption budget ${name} is still being processed by the server.`, 10);
  }
  const allowed = numberAt(status, 'disruptionsAllowed');
  const forbidden = (why: string) => new ForbiddenError(`poddisruptionbudget.policy "${name}" is forbidden: ${why}`, { name, group: 'policy', kind: 'poddisruptionbudget' });
  if (allowed < 0) throw forbidden('pdb disruptions allowed is negative');
  const disrupted = objectAt(status, 'disruptedPods');
  if (Object.keys(disrupted).length > MAX_DISRUPTED_PODS) throw forbidden('DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (allowed === 0) {
    throw refused(`The disruption budget ${name} needs ${numberAt(status, 'desiredHealthy')} healthy pods and has ${numberAt(status, 'currentHealthy')} currently`);
  }
  if (dryRun) return;
  const next: Obj = { ...status, disruptionsAllowed: allowed - 1, disruptedPods: { ...disrupted, [podName]: rfc3339(deps.now()) } };
  if (allowed - 1 === 0) {
    // as the disruption controller would say it (UpdateDisruptionAllowedCondition)
    const want = { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: numberAt(status, 'observedGeneration') };
    next.conditions = setStatusCondition(Array.isArray(status.conditions) ? (status.conditions as StatusCondition[]) : [], want, deps.now().getTime());
  }
  // pinned to the resourceVersion just read: another writer's change is a conflict
  await deps.pdbs!.replace(namespace, name, { ...pdb, status: next }, { subresource: 'status', fieldManager: 'kube-apiserver' });
}

/** takeDisruption, one at a time per budget, reading it again after a conflict with another writer. */
async function spendDisruption(deps: EvictionDeps, pdb: KubeObject, podName: string, dryRun: boolean): Promise<void> {
  const ns = pdb.metadata?.namespace;
  const name = pdb.metadata?.name ?? '';
  await budgetDecrements.run(`${ns ?? ''}/${name}`, async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await takeDisruption(deps, ns, name, podName, dryRun);
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw e;
        await (deps.sleep ?? defaultSleep)(CONFLICT_RETRY_MS * (1 + Math.random() * 0.1));
      }
    }
  });
}

/** The caller's delete preconditions against the pod: a ConflictError naming the mismatch, as Kubernetes words it. */
function checkPreconditions(deps: EvictionDeps, pod: KubeObject, opts: DeleteOptions): void {
  const meta = pod.metadata ?? {};
  const want = opts.preconditions;
  const name = meta.name ?? '';
  if (want?.uid && want.uid !== meta.uid) {
    throw new ConflictError(deps.pods.subject(name), `Precondition failed: UID in precondition: ${want.uid}, UID in object meta: ${meta.uid ?? ''}`);
  }
  if (want?.resourceVersion && want.resourceVersion !== meta.resourceVersion) {
    throw new ConflictError(deps.pods.subject(name), `Precondition failed: ResourceVersion in precondition: ${want.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`);
  }
}

/**
 * Sets the pod's DisruptionTarget condition, after checking the caller's preconditions and, when
 * given, that the pod is still the version judged (`judgedRV`); resolves its new resourceVersion.
 */
async function markDisruptionTarget(deps: EvictionDeps, ns: string | undefined, name: string, judgedRV: string | undefined, opts: DeleteOptions): Promise<string | undefined> {
  // judgedRV undefined: a disruption was spent on the pod, which goes whatever changed since
  const now = rfc3339(deps.now());
  const { entry } = await deps.pods.update(
    ns,
    name,
    (live) => {
      if (!live) throw new NotFoundError(deps.pods.subject(name));
      checkPreconditions(deps, live, opts);
      if (judgedRV !== undefined && live.metadata?.resourceVersion !== judgedRV) throw new PodChanged();
      const status = objectAt(live, 'status');
      const conditions = Array.isArray(status.conditions) ? status.conditions : [];
      const old = conditions.find((c) => isObject(c) && c.type === 'DisruptionTarget') as Obj | undefined;
      const since = old?.status === 'True' && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now;
      const condition = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastProbeTime: null, lastTransitionTime: since };
      return { ...live, status: { ...status, conditions: [...conditions.filter((c) => c !== old), condition] } } as KubeObject;
    },
    { subresource: 'status', fieldManager: 'kube-apiserver' },
  );
  return entry.object.metadata?.resourceVersion;
}

/** Evicts pod `ns/name` under its budget (see the contract above), then deletes it with `opts`. */
export async function evictPod(deps: EvictionDeps, ns: string | undefined, name: string, opts: DeleteOptions): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const pod = (await deps.pods.get(ns, name)).object;
    checkPreconditions(deps, pod, opts); // before a disruption is spent on the wrong pod
    // Judged without spending a disruption (no budget applies, or a pod that is not Ready may go):
    // the pod must still be this version when it goes, or it is judged again (it may be Ready now).
    let judgedOnly = true;
    if (deps.pdbs && !budgetsDoNotApply(pod)) {
      const budgets = await budgetsOf(deps.pdbs, pod);
      if (budgets.length > 1) throw new InternalError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      const pdb = budgets[0];
      if (pdb) {
        const status = objectAt(pdb, 'status');
        const desired = numberAt(status, 'desiredHealthy');
        const unhealthyMayGo = !isReady(pod) && (objectAt(pdb, 'spec').unhealthyPodEvictionPolicy === 'AlwaysAllow' || (numberAt(status, 'currentHealthy') >= desired && desired > 0));
        if (!unhealthyMayGo) {
          await spendDisruption(deps, pdb, name, Boolean(opts.dryRun));
          judgedOnly = false;
        }
      }
    }
    if (opts.dryRun) {
      await deps.pods.delete(ns, name, opts);
      return;
    }
    const enforced = judgedOnly ? pod.metadata?.resourceVersion : undefined;
    let rv: string | undefined;
    try {
      rv = await markDisruptionTarget(deps, ns, name, enforced, opts);
    } catch (e) {
      if (e instanceof PodChanged && attempt < POD_CHANGED_RETRIES) continue;
      if (e instanceof PodChanged) throw new ConflictError(deps.pods.subject(name), 'the pod keeps changing; please try again');
      throw e;
    }
    // the resourceVersion precondition (the caller's, or the one judged) moves to the version just written
    const preconditions = enforced !== undefined || opts.preconditions?.resourceVersion ? { ...opts.preconditions, resourceVersion: rv } : opts.preconditions;
    await deps.pods.delete(ns, name, { ...opts, preconditions });
    return;
  }
}

// Controller references and claiming (Kubernetes' ControllerRefManager), shared by the ReplicaSet
// controller (claims pods) and the Deployment controller (claims ReplicaSets):
// - an object owned by another controller is never touched;
// - an object owned by us that no longer matches our selector is released (our ownerReference removed),
//   unless we are being deleted;
// - an orphan matching our selector, not being deleted, in our namespace, is adopted (our
//   ownerReference added with controller: true), unless we are being deleted — and only after a fresh
//   read of the owner from the API confirms it still exists with the same uid and no deletionTimestamp.
// Adoption and release are JSON merge patches pinned to the object's resourceVersion, so a stale
// cache yields a Conflict (the caller requeues) rather than clobbering a concurrent change.
import { isNotFound } from '../../api/errors.js';
import type { Selector } from '../../api/labels.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { Client } from '../../client/client.js';
import type { Indexer } from '../../client/indexer.js';

/** The ownerReference with controller: true, if any (GetControllerOf). */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The controller reference an owner puts on what it controls (NewControllerRef). */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Index of objects by their controller's uid; orphans are indexed under `ORPHAN_PREFIX + namespace`. */
export const CONTROLLER_UID_INDEX = 'controllers/controller-uid';
export const ORPHAN_PREFIX = 'orphan:';

export function controllerUidIndexFunc(obj: KubeObject): string[] {
  const ref = controllerOf(obj);
  return [ref ? ref.uid : `${ORPHAN_PREFIX}${obj.metadata?.namespace ?? ''}`];
}

/** Adds CONTROLLER_UID_INDEX to a shared cache unless another controller already did. */
export function ensureControllerUidIndex<T extends KubeObject>(indexer: Indexer<T>): void {
  try {
    indexer.indexValues(CONTROLLER_UID_INDEX);
  } catch {
    indexer.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndexFunc });
  }
}

/** Objects whose controller has `ownerUid`. */
export function controlledBy<T extends KubeObject>(indexer: Indexer<T>, ownerUid: string): T[] {
  return indexer.byIndex(CONTROLLER_UID_INDEX, ownerUid);
}

/** Objects controlled by `ownerUid` plus the orphans of `namespace`: every object a claim may keep or adopt. */
export function claimCandidates<T extends KubeObject>(indexer: Indexer<T>, ownerUid: string, namespace: string): T[] {
  return [...indexer.byIndex(CONTROLLER_UID_INDEX, ownerUid), ...indexer.byIndex(CONTROLLER_UID_INDEX, `${ORPHAN_PREFIX}${namespace}`)];
}

export interface ClaimOptions {
  readonly client: Client;
  /** the owner as cached */
  readonly owner: KubeObject;
  /** the owner's resource, to re-read it before the first adoption */
  readonly ownerInfo: ResourceInfo;
  /** the reference adoption adds */
  readonly controllerRef: OwnerReference;
  readonly selector: Selector;
  /** the claimed objects' resource */
  readonly info: ResourceInfo;
}

/**
 * The objects among `candidates` that the owner controls after adopting and releasing as described
 * above. Objects are returned as given (cache objects stay shared) or, when adopted, as the patched
 * object the server returned. Throws the first adoption or release failure other than NotFound (the
 * objects claimed before it are then not reported; the caller requeues).
 */
export async function claimObjects<T extends KubeObject>(opts: ClaimOptions, candidates: readonly T[]): Promise<T[]> {
  const { owner, selector, controllerRef } = opts;
  const ownerUid = owner.metadata?.uid;
  const ownerDeleting = Boolean(owner.metadata?.deletionTimestamp);
  const claimed: T[] = [];
  let adoptable: Promise<void> | undefined;
  for (const obj of candidates) {
    const ref = controllerOf(obj);
    const matches = selector.matches(obj.metadata?.labels);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      await ignoreNotFound(release(opts, obj));
      continue;
    }
    if (ownerDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
    if (owner.metadata?.namespace && owner.metadata.namespace !== obj.metadata?.namespace) continue;
    adoptable ??= recheckOwner(opts);
    await adoptable;
    const adopted = await ignoreNotFound(adopt(opts, obj, controllerRef));
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

/** Fails unless the owner still exists with the same uid and is not being deleted (RecheckDeletionTimestamp). */
async function recheckOwner(opts: ClaimOptions): Promise<void> {
  const m = opts.owner.metadata ?? {};
  const fresh = await opts.client.get(opts.ownerInfo, m.namespace, m.name ?? '');
  const fm = fresh.metadata ?? {};
  if (fm.uid !== m.uid) throw new Error(`original ${opts.ownerInfo.kind} ${m.namespace}/${m.name} is gone: got uid ${fm.uid}, wanted ${m.uid}`);
  if (fm.deletionTimestamp) throw new Error(`${opts.ownerInfo.kind} ${m.namespace}/${m.name} has just been deleted at ${fm.deletionTimestamp}`);
}

function adopt<T extends KubeObject>(opts: ClaimOptions, obj: T, ref: OwnerReference): Promise<T> {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  return patchOwners(opts, obj, [...refs, ref]);
}

function release<T extends KubeObject>(opts: ClaimOptions, obj: T): Promise<T> {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== opts.owner.metadata?.uid);
  return patchOwners(opts, obj, refs);
}

function patchOwners<T extends KubeObject>(opts: ClaimOptions, obj: T, refs: OwnerReference[]): Promise<T> {
  const m = obj.metadata ?? {};
  const body = { metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: m.resourceVersion, uid: m.uid } };
  return opts.client.patch<T>(opts.info, m.namespace, m.name ?? '', body, 'merge');
}

async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

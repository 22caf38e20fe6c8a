// The garbage collector's reconcile of one object (`group/version/plural|namespace/name`):
// - an object being deleted with the `orphan` finalizer: its dependents lose their
//   ownerReference to it, then the finalizer goes;
// - an object being deleted with `foregroundDeletion`: its dependents are deleted, and the
//   finalizer goes once no dependent with blockOwnerDeletion is left;
// - any other object with ownerReferences: when every owner is gone (no object with the owner's
//   uid) it is deleted in the background; owners deleting in the foreground make it go in the
//   foreground when it has dependents of its own; when some owners remain, references to the
//   gone and the foreground-deleting ones are removed instead.
// Decisions to delete or edit are taken on a fresh GET of the object, and owners missing from
// the caches are looked up live before being declared gone, so a lagging cache never deletes
// anything. Every write carries the object's uid (precondition or JSON-patch test).
// Idempotent; throws on API failures (the caller requeues with backoff).
import { isConflict, isInvalid, isNotFound } from '../../api/errors.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { Client, PropagationPolicy } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import {
  FOREGROUND_FINALIZER,
  ORPHAN_FINALIZER,
  OWNER_UID_INDEX,
  UID_INDEX,
  classifyOwners,
  deletingDependents,
  hasFinalizer,
  itemKey,
  parseItemKey,
  resourceForRef,
  type OwnerState,
} from './owners.js';

export interface GarbageCollectorDeps {
  readonly client: Client;
  readonly log: (line: string) => void;
  /** the watched resources and their informers (with OWNER_UID_INDEX and UID_INDEX) */
  readonly resources: readonly ResourceInfo[];
  readonly informer: (info: ResourceInfo) => Informer;
  /** queue an item key for reconcile */
  readonly enqueue: (key: string) => void;
  /** log every deletion and edit (default: only orphaning and foreground completion) */
  readonly verbose?: boolean;
}

interface Dependent {
  readonly info: ResourceInfo;
  readonly obj: KubeObject;
}

export class GarbageCollector {
  constructor(private readonly deps: GarbageCollectorDeps) {}

  // ---- what the informers report ----

  /** An object was added or changed: queue it (or its owners) if the graph needs work. */
  observe(info: ResourceInfo, old: KubeObject | undefined, obj: KubeObject): void {
    if (obj.metadata?.deletionTimestamp && (hasFinalizer(obj, ORPHAN_FINALIZER) || hasFinalizer(obj, FOREGROUND_FINALIZER))) {
      this.deps.enqueue(this.key(info, obj));
    } else if ((obj.metadata?.ownerReferences ?? []).some((ref) => this.needsCheck(ref))) {
      this.deps.enqueue(this.key(info, obj));
    }
    // References dropped (orphaned, or removed by us): a foreground owner may be free now.
    const now = new Set((obj.metadata?.ownerReferences ?? []).map((r) => r.uid));
    for (const ref of old?.metadata?.ownerReferences ?? []) if (!now.has(ref.uid)) this.enqueueOwner(ref);
  }

  /** An object is gone: its dependents may be orphans now, and a foreground owner may be free. */
  observeDeletion(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (uid) for (const d of this.dependentsOf(uid)) this.deps.enqueue(this.key(d.info, d.obj));
    for (const ref of obj.metadata?.ownerReferences ?? []) this.enqueueOwner(ref);
  }

  // ---- reconcile ----

  async reconcile(key: string): Promise<void> {
    const item = parseItemKey(key, this.deps.resources);
    if (!item) return;
    const cached = this.deps.informer(item.info).lister.get(item.namespace, item.name);
    if (!cached) return;
    if (cached.metadata?.deletionTimestamp) {
      if (hasFinalizer(cached, ORPHAN_FINALIZER)) await this.orphanDependents(item.info, cached);
      else if (hasFinalizer(cached, FOREGROUND_FINALIZER)) await this.deleteDependents(item.info, cached);
      return;
    }
    await this.collect(item.info, cached);
  }

  /** Deletes the object if all its owners are gone, or drops references to gone owners. */
  private async collect(info: ResourceInfo, cached: KubeObject): Promise<void> {
    if (!(cached.metadata?.ownerReferences ?? []).some((ref) => this.needsCheck(ref))) return;
    const live = await this.getLive(info, cached);
    if (!live || live.metadata?.deletionTimestamp) return;
    const refs = live.metadata?.ownerReferences ?? [];
    const states = await Promise.all(refs.map((ref) => this.ownerState(info, live, ref)));
    const { solid, dangling, waiting } = classifyOwners(refs, states);
    if (!dangling.length && !waiting.length) return;
    if (solid.length) {
      await this.removeOwnerRefs(info, live, new Set([...dangling, ...waiting].map((r) => r.uid)));
      return;
    }
    const policy: PropagationPolicy = waiting.length && this.dependentsOf(live.metadata?.uid ?? '').length ? 'Foreground' : 'Background';
    await this.delete(info, live, policy);
  }

  /** Orphan finalizer: dependents lose their reference to `owner`, then the finalizer goes. */
  private async orphanDependents(info: ResourceInfo, owner: KubeObject): Promise<void> {
    const uid = owner.metadata?.uid ?? '';
    const deps = this.dependentsOf(uid);
    await Promise.all(deps.map(async (d) => {
      const live = await this.getLive(d.info, d.obj);
      if (live) await this.removeOwnerRefs(d.info, live, new Set([uid]));
    }));
    if (await this.removeFinalizer(info, owner, ORPHAN_FINALIZER)) {
      this.deps.log(`garbagecollector: orphaned ${deps.length} dependents of ${describe(info, owner)}`);
    }
  }

  /** Foreground deletion: dependents are deleted; the finalizer goes when none blocks any more. */
  private async deleteDependents(info: ResourceInfo, owner: KubeObject): Promise<void> {
    const uid = owner.metadata?.uid ?? '';
    const deps = this.dependentsOf(uid);
    const blocking = deps.filter((d) => d.obj.metadata?.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
    if (!blocking.length) {
      if (await this.removeFinalizer(info, owner, FOREGROUND_FINALIZER)) this.deps.log(`garbagecollector: dependents of ${describe(info, owner)} are gone; deleting it`);
      return;
    }
    for (const d of deps) if (!d.obj.metadata?.deletionTimestamp) this.deps.enqueue(this.key(d.info, d.obj));
  }

  // ---- reads ----

  /** Whether a reference needs a closer look: its owner is not cached, or deletes in the foreground. */
  private needsCheck(ref: OwnerReference): boolean {
    const info = resourceForRef(ref, this.deps.resources);
    if (!info) return false;
    const owner = this.deps.informer(info).indexer.byIndex(UID_INDEX, ref.uid)[0];
    return !owner || deletingDependents(owner);
  }

  /** The state of one owner: from the cache, else from the API server (a cache may lag). */
  private async ownerState(info: ResourceInfo, dependent: KubeObject, ref: OwnerReference): Promise<OwnerState> {
    const ownerInfo = resourceForRef(ref, this.deps.resources);
    if (!ownerInfo) return 'solid';
    const cached = this.deps.informer(ownerInfo).indexer.byIndex(UID_INDEX, ref.uid)[0];
    if (cached) return deletingDependents(cached) ? 'waiting' : 'solid';
    // A namespaced owner of a cluster-scoped object cannot exist.
    if (ownerInfo.namespaced && !info.namespaced) return 'dangling';
    try {
      const live = await this.deps.client.get(ownerInfo, dependent.metadata?.namespace, ref.name);
      if (live.metadata?.uid !== ref.uid) return 'dangling';
      return deletingDependents(live) ? 'waiting' : 'solid';
    } catch (e) {
      if (isNotFound(e)) return 'dangling';
      throw e;
    }
  }

  /** Cached objects (of any watched resource) that name `uid` as an owner. */
  dependentsOf(uid: string): Dependent[] {
    const out: Dependent[] = [];
    for (const info of this.deps.resources) for (const obj of this.deps.informer(info).indexer.byIndex(OWNER_UID_INDEX, uid)) out.push({ info, obj });
    return out;
  }

  /** The object as the server has it now; undefined when gone or replaced (another uid). */
  private async getLive(info: ResourceInfo, obj: KubeObject): Promise<KubeObject | undefined> {
    try {
      const live = await this.deps.client.get(info, obj.metadata?.namespace, obj.metadata?.name ?? '');
      return live.metadata?.uid === obj.metadata?.uid ? live : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  // ---- writes ----

  private async delete(info: ResourceInfo, obj: KubeObject, policy: PropagationPolicy): Promise<void> {
    const m = obj.metadata ?? {};
    try {
      await this.deps.client.delete(info, m.namespace, m.name ?? '', { propagationPolicy: policy, preconditions: { uid: m.uid } });
      if (this.deps.verbose) this.deps.log(`garbagecollector: deleted ${describe(info, obj)} (${policy}): its owners are gone`);
    } catch (e) {
      // Gone already, or replaced by another object of that name: nothing to collect.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /** Removes the references to owners `uids` (a JSON patch that tests uid and the current list). */
  private async removeOwnerRefs(info: ResourceInfo, live: KubeObject, uids: ReadonlySet<string>): Promise<void> {
    const refs = live.metadata?.ownerReferences ?? [];
    const keep = refs.filter((r) => !uids.has(r.uid));
    if (keep.length === refs.length) return;
    await this.patch(info, live, [
      { op: 'test', path: '/metadata/ownerReferences', value: refs },
      keep.length ? { op: 'replace', path: '/metadata/ownerReferences', value: keep } : { op: 'remove', path: '/metadata/ownerReferences' },
    ]);
    if (this.deps.verbose) this.deps.log(`garbagecollector: removed ${refs.length - keep.length} ownerReferences from ${describe(info, live)}`);
  }

  /** Removes `finalizer` from the live object; returns whether it did. */
  private async removeFinalizer(info: ResourceInfo, obj: KubeObject, finalizer: string): Promise<boolean> {
    const live = await this.getLive(info, obj);
    const finalizers = live?.metadata?.finalizers ?? [];
    if (!live || !finalizers.includes(finalizer)) return false;
    const keep = finalizers.filter((f) => f !== finalizer);
    await this.patch(info, live, [
      { op: 'test', path: '/metadata/finalizers', value: finalizers },
      keep.length ? { op: 'replace', path: '/metadata/finalizers', value: keep } : { op: 'remove', path: '/metadata/finalizers' },
    ]);
    return true;
  }

  private async patch(info: ResourceInfo, live: KubeObject, ops: unknown[]): Promise<void> {
    const m = live.metadata ?? {};
    try {
      await this.deps.client.patch(info, m.namespace, m.name ?? '', [{ op: 'test', path: '/metadata/uid', value: m.uid }, ...ops], 'json');
    } catch (e) {
      if (isNotFound(e)) return;
      // A failed test: the object changed under us. Look again later.
      if (isInvalid(e) || isConflict(e)) throw new Error(`${describe(info, live)} changed while being collected; retrying`, { cause: e });
      throw e;
    }
  }

  private key(info: ResourceInfo, obj: KubeObject): string {
    return itemKey(info, obj.metadata?.namespace, obj.metadata?.name ?? '');
  }

  /** Queues the owner a dependent points at, when it is cached and deleting in the foreground. */
  private enqueueOwner(ref: OwnerReference): void {
    const info = resourceForRef(ref, this.deps.resources);
    if (!info) return;
    const owner = this.deps.informer(info).indexer.byIndex(UID_INDEX, ref.uid)[0];
    if (owner && deletingDependents(owner)) this.deps.enqueue(this.key(info, owner));
  }
}

function describe(info: ResourceInfo, obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return `${info.group ? `${info.plural}.${info.group}` : info.plural} ${m.namespace ? `${m.namespace}/` : ''}${m.name ?? ''}`;
}

// The Client contract: what every controller, scheduler, kubelet, proxy and DNS component may do
// with the cluster. Two implementations pass one contract suite (client-contract.ts): HttpClient
// (agents on other machines) and the in-process client (components inside `skiff server`).
//
// Contract shared by every method:
// - Failures the server reports are ApiError values (src/api/errors.ts) with the Kubernetes
//   reason and code; guards such as isNotFound/isConflict/isGone apply to them.
// - Transport failures (connection refused, reset, TLS) are plain Errors with the cause attached.
// - A caller's programming error (a namespaced resource addressed without a namespace) is a
//   TypeError, thrown before any request is made.
// - Aborting `signal` rejects the pending call with an AbortError (`e.name === 'AbortError'`),
//   except `watch`, which resolves: for a watch, cancellation is the normal way to end.
// - Objects passed in are never mutated; returned objects belong to the caller — unless the
//   caller asked for `readOnly` objects (lists and watches): then they may be frozen and shared
//   with other readOnly callers (an in-process client hands every informer the same object).
import type { ObjectMeta, KubeObject } from '../api/object.js';
import { findResource, type ResourceInfo } from '../api/resources.js';

export interface RequestOptions {
  /** aborts the request; see the contract above */
  readonly signal?: AbortSignal;
}

export interface WriteOptions extends RequestOptions {
  /** `?dryRun=All`: validated and admitted, not persisted */
  readonly dryRun?: boolean;
  /** `?fieldManager=`; the server defaults it from the User-Agent */
  readonly fieldManager?: string;
}

export interface ListOptions extends RequestOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** page size; the result carries `continue` when more remain */
  readonly limit?: number;
  /** the `continue` token of the previous page */
  readonly continue?: string;
  /** unset: the most recent state; "0": any state the server has; N: not older than N (or exactly N with resourceVersionMatch Exact) */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** the caller never mutates the items (an informer's cache): they may be frozen and shared; default false */
  readonly readOnly?: boolean;
}

/**
 * What a client may offer besides the Client contract: a create whose caller needs to know only
 * whether it succeeded (an event recorder), so the client need not decode or carry the created
 * object back (the port client asks its host not to send it). Rejects as create does.
 */
export interface ResultlessCreator {
  createWithoutResult(info: ResourceInfo, obj: KubeObject, opts?: WriteOptions): Promise<void>;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  readonly items: T[];
  /** the revision the list reflects: watch from it to see every later change */
  readonly resourceVersion: string;
  /** present when more items remain: pass it as `continue` with the same selectors */
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/** How a patch body is read (the Content-Type it is sent with). */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** patch the status subresource instead of the object */
  readonly subresource?: 'status';
  /** server-side apply: take ownership of conflicting fields */
  readonly force?: boolean;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface Preconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export interface DeleteOptions extends RequestOptions {
  readonly dryRun?: boolean;
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: PropagationPolicy;
  /** the delete fails with Conflict unless the live object has this uid / resourceVersion */
  readonly preconditions?: Preconditions;
}

export interface DeleteCollectionOptions extends DeleteOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface WatchOptions {
  /** unset or "0": ADDED events for the current state first; N: every change after N (410 Gone if N is compacted) */
  readonly resourceVersion?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** ask for BOOKMARK events that carry only a newer resourceVersion */
  readonly allowWatchBookmarks?: boolean;
  /** the server ends the watch after this long; the promise then resolves */
  readonly timeoutSeconds?: number;
  /** with resourceVersion N: send the state at N as ADDED events first, then a BOOKMARK */
  readonly sendInitialEvents?: boolean;
  /** the caller never mutates the event objects (an informer's cache): they may be frozen and shared; default false */
  readonly readOnly?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/**
 * One change. For BOOKMARK, `object` has only apiVersion, kind and metadata.resourceVersion.
 * ERROR events are not delivered: they end the watch, whose promise rejects with the ApiError
 * rebuilt from the event's Status (410 Gone/Expired when the resourceVersion is too old).
 */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

/** autoscaling/v1 Scale, as the scale subresource reads and writes it. */
export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: ObjectMeta;
  spec: { replicas: number };
  status: { replicas: number; selector?: string };
}

export interface Client {
  get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<T>;

  /** One page (or everything without `limit`). `namespace` undefined or "" lists across all namespaces. */
  list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts?: ListOptions): Promise<ListResult<T>>;

  /** Creates `obj` in `obj.metadata.namespace` (required for namespaced resources); `metadata.generateName` works. */
  create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T>;

  /**
   * Replaces the object named by `obj.metadata`. With `metadata.resourceVersion` set, the update
   * is compare-and-swap: Conflict (409) when the live object has moved on. Status changes are ignored
   * for resources with a status subresource.
   */
  update<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T>;

  /** Replaces only `status` (the status subresource); compare-and-swap as `update`. */
  updateStatus<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, opts?: WriteOptions): Promise<T>;

  /** `body` is serialized as JSON (a JSON Patch array for type "json"; "apply" requires opts.fieldManager). */
  patch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    type: PatchType,
    opts?: PatchOptions,
  ): Promise<T>;

  /** Resolves once the server accepted the deletion (the object may linger with finalizers or a grace period). */
  delete(info: ResourceInfo, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;

  deleteCollection(info: ResourceInfo, namespace: string | undefined, opts?: DeleteCollectionOptions): Promise<void>;

  /**
   * Streams changes to `onEvent`, in order, until the server ends the watch (resolves), `signal`
   * aborts (resolves), or it fails (rejects: the request failed, an ERROR event arrived, or
   * `onEvent` threw). `onEvent` runs synchronously per event; it must not block.
   */
  watch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void>;

  /** Assigns a pod to a node through pods/binding (Conflict if the pod is already bound). */
  bind(namespace: string, pod: string, node: string, opts?: WriteOptions): Promise<void>;

  getScale(info: ResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<Scale>;

  /** Sets spec.replicas through the scale subresource; with `resourceVersion`, compare-and-swap. */
  updateScale(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    replicas: number,
    opts?: WriteOptions & { readonly resourceVersion?: string },
  ): Promise<Scale>;
}

/** The ResourceInfo for a resource skiff serves; throws (a programming error) when there is none. */
export function resourceInfo(group: string, version: string, plural: string): ResourceInfo {
  const info = findResource(group, version, plural);
  if (!info) throw new TypeError(`no resource ${plural} in ${group ? `${group}/${version}` : version}`);
  return info;
}

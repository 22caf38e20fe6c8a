// The scheduler cache: nodes and the pods bound (or being bound) to them, kept as a Snapshot of
// NodeInfos. A pod is "assumed" on its node as soon as the scheduler picks it, before the
// binding call returns, so the next cycle already counts it; the informer's later report of
// the bound pod confirms it, and a failed binding forgets it.
//
// Pods in a terminal phase (Succeeded, Failed) hold no resources and are dropped, as
// kube-scheduler's informer filters them out. All methods are synchronous and idempotent where
// informer replays can repeat them (add after add is an update, delete of an absent pod is a no-op).
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { podInfoOf } from './pod-info.js';
import type { PodInfo } from './pod-info.js';
import { Snapshot } from './snapshot.js';

interface PodState {
  info: PodInfo;
  nodeName: string;
  /** picked by this scheduler and not yet reported bound by the informer */
  assumed: boolean;
  /** the binding call has returned (successfully) */
  bindingFinished: boolean;
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache {
  readonly snapshot = new Snapshot();
  private readonly pods = new Map<string, PodState>();

  // ---- nodes --------------------------------------------------------------------------------

  /** Adds or replaces a node (informer add and update). */
  setNode(node: Node): void {
    this.snapshot.setNode(node);
  }

  removeNode(name: string): void {
    this.snapshot.removeNode(name);
  }

  // ---- pods reported by the informer ----------------------------------------------------------

  /**
   * Records a pod the API reports with `spec.nodeName` set (informer add and update). Confirms
   * an assumed pod (moving it if the API placed it elsewhere); a terminal pod is removed; a
   * version without nodeName removes the pod unless it is assumed (its binding is in flight).
   */
  setPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    const info = podInfoOf(pod);
    const state = this.pods.get(info.key);
    if (isTerminal(pod) || (!nodeName && !state?.assumed)) {
      this.removeByKey(info.key);
      return;
    }
    if (!nodeName) return; // a pending version of a pod being bound: keep the assumption
    if (state) {
      if (state.info === info && state.nodeName === nodeName && !state.assumed) return;
      this.snapshot.removePod(info.key, state.nodeName);
    }
    this.snapshot.addPod(info, nodeName);
    this.pods.set(info.key, { info, nodeName, assumed: false, bindingFinished: true });
  }

  /** Forgets a pod (informer delete); absent pods are ignored. */
  removePod(pod: Pod): void {
    this.removeByKey(podInfoOf(pod).key);
  }

  // ---- pods this scheduler places ---------------------------------------------------------------

  /**
   * Counts `pod` on `nodeName` before binding. Throws Error if the cache already holds the pod
   * (a bug in the caller: a pod is scheduled only while unassigned).
   */
  assumePod(pod: PodInfo, nodeName: string): void {
    if (this.pods.has(pod.key)) throw new Error(`pod ${pod.namespace}/${pod.name}(${pod.key}) is in the cache, so can't be assumed`);
    this.snapshot.addPod(pod, nodeName);
    this.pods.set(pod.key, { info: pod, nodeName, assumed: true, bindingFinished: false });
  }

  /** The binding call for an assumed pod succeeded; it stays assumed until the informer confirms it. */
  finishBinding(key: string): void {
    const s = this.pods.get(key);
    if (s?.assumed) s.bindingFinished = true;
  }

  /** Undoes assumePod after a failed binding; no-op if the informer already confirmed the pod. */
  forgetPod(key: string): void {
    if (this.pods.get(key)?.assumed) this.removeByKey(key);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed === true;
  }

  /** The node the cache counts a pod on, if any. */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.nodeName;
  }

  get podCount(): number {
    return this.pods.size;
  }

  private removeByKey(key: string): void {
    const s = this.pods.get(key);
    if (!s) return;
    this.snapshot.removePod(key, s.nodeName);
    this.pods.delete(key);
  }
}

/** A snapshot of `nodes` and the pods bound to them (those with spec.nodeName), for tests and tools. */
export function snapshotOf(nodes: readonly Node[], pods: readonly Pod[] = []): Snapshot {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  for (const p of pods) cache.setPod(p);
  return cache.snapshot;
}

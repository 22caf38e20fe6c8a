// Taint-based eviction (Kubernetes' taint manager), for one pod key at a time: a pod bound to a
// node with NoExecute taints is deleted at once when it does not tolerate one of them, when its
// shortest tolerationSeconds (counted from the taint's timeAdded) has run out, or never when it
// tolerates them all forever. A scheduled eviction is never postponed while the taints stay, and
// is cancelled when they go. Before deleting, the pod gets the DisruptionTarget condition; the
// pod gets a TaintManagerEviction event both when it is marked for deletion and when that is
// cancelled. reconcile is idempotent; it returns when to look at the pod again.
import { rfc3339 } from '../../api/time.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import { deepCopy, type KubeObject } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/lister.js';
import { evictionTime } from './desired-eviction.js';
import { PODS, type NodeObject, type PodObject } from './reconcile.js';

export const TAINT_MANAGER_EVICTION = 'TaintManagerEviction';

interface Scheduled {
  readonly at: number;
  readonly uid: string;
}

export interface TaintEvictionDeps {
  readonly client: Client;
  readonly pods: Lister<PodObject>;
  readonly nodes: Lister<NodeObject>;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

export class TaintEvictionReconciler {
  private readonly scheduled = new Map<string, Scheduled>();

  constructor(private readonly deps: TaintEvictionDeps) {}

  /** Whether an eviction of the pod is pending (its key must be reconciled when the pod changes). */
  isScheduled(key: string): boolean {
    return this.scheduled.has(key);
  }

  /** One step for a pod; returns milliseconds until its scheduled eviction, or undefined when none is pending. */
  async reconcile(key: string): Promise<number | undefined> {
    const { pods, nodes, clock } = this.deps;
    const now = clock.now();
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const pod = pods.get(namespace, name);
    const uid = pod?.metadata?.uid ?? '';
    const pending = this.scheduled.get(key);
    if (!pod || pod.metadata?.deletionTimestamp || (pending && pending.uid !== uid)) {
      // Gone, already being deleted, or replaced by another pod of the same name: nothing pending for it.
      this.scheduled.delete(key);
      if (!pod || pod.metadata?.deletionTimestamp) return undefined;
    }
    const nodeName = pod.spec?.nodeName;
    const node = nodeName ? nodes.get(undefined, nodeName) : undefined;
    const due = node ? evictionTime(pod.spec?.tolerations, node.spec?.taints, now) : undefined;
    const scheduled = this.scheduled.get(key);
    if (due === undefined) {
      if (scheduled) {
        this.scheduled.delete(key);
        this.deps.recorder.event(pod, 'Normal', TAINT_MANAGER_EVICTION, `Cancelling deletion of Pod ${key}`);
      }
      return undefined;
    }
    const at = scheduled ? Math.min(scheduled.at, due) : due;
    if (at > now) {
      this.scheduled.set(key, { at, uid });
      return at - now;
    }
    await this.evict(key, pod, now);
    this.scheduled.delete(key);
    return undefined;
  }

  private async evict(key: string, pod: PodObject, now: number): Promise<void> {
    const { client, recorder } = this.deps;
    recorder.event(pod, 'Normal', TAINT_MANAGER_EVICTION, `Marking for deletion Pod ${key}`);
    const status = deepCopy(pod.status);
    const others = (status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
    const copy: PodObject = {
      ...deepCopy(pod),
      status: {
        ...status,
        conditions: [
        ...others,
          { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(now) },
        ],
      },
    };
    try {
      await client.updateStatus<PodObject>(PODS, copy);
    } catch (e) {
      if (isNotFound(e)) return;
      if (isConflict(e)) throw e; // the pod moved on: look again
      // The condition is informative; failing to write it does not stop the eviction.
      this.deps.log(`pod ${key}: could not add the DisruptionTarget condition: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      await client.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', { preconditions: { uid: pod.metadata?.uid } });
      this.deps.log(`evicted pod ${key} from node ${pod.spec?.nodeName} (NoExecute taint not tolerated any longer)`);
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return; // gone, or a new pod of the same name
      throw e;
    }
  }
}

/** The key a pod is queued under. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

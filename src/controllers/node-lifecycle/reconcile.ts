// The node half of the node lifecycle controller, for one node name at a time:
// - a node whose kubelet gave no sign of life (Lease renewal, Ready heartbeat) for the grace
//   period gets its kubelet conditions set to Unknown (status update), and an event NodeNotReady
//   when it was Ready;
// - the pods of a node that is not Ready are marked Ready=False, so that Services stop sending
//   them traffic before they are evicted;
// - the node's NoSchedule taints follow its conditions; its NoExecute taint (not-ready or
//   unreachable, with timeAdded) follows its Ready condition, added at a rate limited per zone
//   and not at all while every zone is fully disrupted, removed as soon as the node is Ready.
// monitor() is the periodic pass that notices silence and computes zone states; reconcile(name)
// makes the writes. Both are idempotent. reconcile throws (the caller requeues with backoff) on
// API failures.
import { rfc3339 } from '../../api/time.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { deepCopy, type KubeObject } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import { resourceInfo } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/lister.js';
import { conditionsWhenUnreachable } from './desired-conditions.js';
import { desiredTaints, type NoExecuteTaint } from './desired-taints.js';
import { isOverdue, observeHealth, readyStatus, type GracePeriods, type NodeHealth } from './node-health.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE, hasTaint } from './taints.js';
import { TokenBucket } from './token-bucket.js';
import { EXCLUDE_DISRUPTION_LABEL, computeZoneState, zoneEvictionRate, zoneKey, type EvictionRates, type ZoneState } from './zone-state.js';

export const NODES = resourceInfo('', 'v1', 'nodes');
export const PODS = resourceInfo('', 'v1', 'pods');
export const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Kubernetes' burst for the per-zone tainting rate limiter. */
export const EVICTION_BURST = 1;

export type NodeObject = Node & KubeObject;
export type PodObject = Pod & KubeObject;
export type LeaseObject = Lease & KubeObject;

export interface NodeLifecycleSettings extends GracePeriods, EvictionRates {}

export interface NodeLifecycleReconcilerDeps {
  readonly client: Client;
  readonly nodes: Lister<NodeObject>;
  readonly leases: Lister<LeaseObject>;
  readonly podsOnNode: (nodeName: string) => PodObject[];
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly settings: NodeLifecycleSettings;
  readonly log: (line: string) => void;
}

export class NodeLifecycleReconciler {
  private readonly health = new Map<string, NodeHealth>();
  /** nodes this controller has registered (for RegisteredNode / RemovingNode events): name → uid */
  private readonly known = new Map<string, string>();
  private readonly buckets = new Map<string, TokenBucket>();
  private zoneStates = new Map<string, ZoneState>();
  private allDisrupted = false;

  constructor(private readonly deps: NodeLifecycleReconcilerDeps) {}

  /**
   * The periodic pass: looks at every node's signs of life, recomputes zone states and eviction
   * rates (entering or leaving the mode where every zone is down and nothing is evicted), and
   * returns the names of the nodes to reconcile (known and deleted ones).
   */
  monitor(): string[] {
    const now = this.deps.clock.now();
    const nodes = this.deps.nodes.list();
    const zones = new Map<string, (string | undefined)[]>();
    for (const node of nodes) {
      const h = this.observe(node, now);
      const zone = zoneKey(node);
      if (!this.buckets.has(zone)) this.buckets.set(zone, new TokenBucket(this.deps.settings.evictionRate, EVICTION_BURST, this.deps.clock));
      if (node.metadata?.labels?.[EXCLUDE_DISRUPTION_LABEL] !== undefined) continue;
      const ready = isOverdue(h, node, now, this.deps.settings) ? 'Unknown' : readyStatus(node);
      zones.set(zone, [...(zones.get(zone) ?? []), ready]);
    }
    const states = new Map([...zones].map(([z, ready]) => [z, computeZoneState(ready, this.deps.settings.unhealthyZoneThreshold)]));
    const allDown = states.size > 0 && [...states.values()].every((s) => s === 'FullDisruption');
    if (allDown && !this.allDisrupted) {
      this.deps.log('no node is Ready: entering full disruption mode, no NoExecute taints and no evictions');
    } else if (!allDown && this.allDisrupted) {
      this.deps.log('some nodes are Ready again: leaving full disruption mode; every node gets a full grace period');
      for (const [name, h] of this.health) this.health.set(name, { ...h, probeAt: now });
    }
    this.allDisrupted = allDown;
    for (const [zone, state] of states) {
      const rate = allDown ? 0 : zoneEvictionRate(state, zones.get(zone)!.length, this.deps.settings);
      const bucket = this.buckets.get(zone)!;
      if (bucket.getRate() !== rate) bucket.setRate(rate);
      if (this.zoneStates.get(zone) !== undefined && this.zoneStates.get(zone) !== state) this.deps.log(`zone "${zone}" is now ${state}`);
    }
    this.zoneStates = states;
    const names = new Set(nodes.map((n) => n.metadata?.name ?? ''));
    for (const name of this.known.keys()) names.add(name);
    return [...names];
  }

  /** One step for a node. Returns milliseconds after which to look again (a NoExecute taint waiting for the zone's rate limiter), or undefined. */
  async reconcile(name: string): Promise<number | undefined> {
    const { client, nodes, recorder, clock, settings } = this.deps;
    const now = clock.now();
    const node = nodes.get(undefined, name);
    if (!node) {
      const uid = this.known.get(name);
      if (uid !== undefined) {
        recorder.event(nodeRef(name, uid), 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
        this.known.delete(name);
      }
      this.health.delete(name);
      return undefined;
    }
    if (!this.known.has(name)) {
      this.known.set(name, node.metadata?.uid ?? '');
      recorder.event(node, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
    }

    const health = this.observe(node, now);
    let current: NodeObject = node;
    if (isOverdue(health, node, now, settings)) {
      const conditions = conditionsWhenUnreachable(node, rfc3339(now));
      if (conditions) {
        const copy: NodeObject = { ...deepCopy(node), status: { ...deepCopy(node.status), conditions } };
        current = await client.updateStatus<NodeObject>(NODES, copy);
        this.deps.log(`node ${name}: no Lease renewal or status for ${Math.round((now - health.probeAt) / 1000)}s; conditions set to Unknown`);
        if (readyStatus(node) === 'True') recorder.event(current, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      }
    }

    const ready = readyStatus(current);
    if (ready !== undefined && ready !== 'True') await this.markPodsNotReady(name, now);

    const decision = this.noExecuteTaint(current, ready);
    const taints = desiredTaints(current, decision.taint, now);
    if (taints) {
      const copy: NodeObject = { ...deepCopy(current), spec: { ...deepCopy(current.spec), taints } };
      await client.update<NodeObject>(NODES, copy);
      const describe = (ts: readonly { key: string; effect: string }[] | undefined) => (ts ?? []).map((t) => `${t.key}:${t.effect}`).join(',') || 'none';
      this.deps.log(`node ${name}: taints ${describe(current.spec?.taints)} -> ${describe(taints)}`);
    }
    return decision.retryMs;
  }

  /** Updates and returns the node's health record. */
  private observe(node: Node, now: number): NodeHealth {
    const name = node.metadata?.name ?? '';
    const h = observeHealth(this.health.get(name), node, this.deps.leases.get(NODE_LEASE_NAMESPACE, name), now);
    this.health.set(name, h);
    return h;
  }

  private noExecuteTaint(node: Node, ready: string | undefined): { taint: NoExecuteTaint; retryMs?: number } {
    if (ready === undefined) return { taint: 'keep' }; // the kubelet has not reported yet and is not overdue
    if (ready === 'True' || this.allDisrupted) return { taint: 'none' };
    const want = ready === 'False' ? TAINT_NOT_READY : TAINT_UNREACHABLE;
    const opposite = want === TAINT_NOT_READY ? TAINT_UNREACHABLE : TAINT_NOT_READY;
    const taints = node.spec?.taints;
    // Already tainted (or tainted for the other reason, swapped at once): no new eviction to pace.
    if (hasTaint(taints, want, 'NoExecute') || hasTaint(taints, opposite, 'NoExecute')) return { taint: want };
    const zone = zoneKey(node);
    let bucket = this.buckets.get(zone);
    if (!bucket) this.buckets.set(zone, (bucket = new TokenBucket(this.deps.settings.evictionRate, EVICTION_BURST, this.deps.clock)));
    if (bucket.tryTake()) return { taint: want };
    const wait = bucket.msUntilNext();
    return { taint: 'keep', ...(Number.isFinite(wait) ? { retryMs: Math.max(1, wait) } : {}) };
  }

  /** Sets Ready=False on the node's pods that are not already so, as Kubernetes' MarkPodsNotReady does. */
  private async markPodsNotReady(nodeName: string, now: number): Promise<void> {
    for (const pod of this.deps.podsOnNode(nodeName)) {
      if (pod.spec?.nodeName !== nodeName) continue;
      const cond = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (!cond || cond.status === 'False') continue;
      const status = deepCopy(pod.status);
      const copy: PodObject = {
        ...deepCopy(pod),
        status: { ...status, conditions: (status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: rfc3339(now) } : c)) },
      };
      try {
        await this.deps.client.updateStatus<PodObject>(PODS, copy);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      this.deps.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }
}

/** A Node as an event's involved object, when only its name and uid are left. */
function nodeRef(name: string, uid: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, ...(uid ? { uid } : {}) } };
}

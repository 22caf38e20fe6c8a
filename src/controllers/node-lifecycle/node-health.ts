// How the node lifecycle controller decides that a node's kubelet has gone quiet, as Kubernetes'
// node lifecycle controller does: it remembers, on its own clock, when it last saw a sign of life
// — a new Lease renewTime in kube-node-lease or a new Ready heartbeat — so that clock skew between
// machines does not matter. A node is overdue when no sign came for the grace period (the longer
// startup grace period while the node has never posted a Ready condition). Pure functions.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';

export interface NodeHealth {
  /** controller clock (ms): the last sign of life */
  readonly probeAt: number;
  /** the Ready condition's lastHeartbeatTime as last seen ('' without a Ready condition) */
  readonly heartbeat: string;
  readonly hadReady: boolean;
  /** the Lease's renewTime (ms) as last seen */
  readonly leaseRenewedAt?: number;
}

export interface GracePeriods {
  readonly gracePeriodMs: number;
  readonly startupGracePeriodMs: number;
}

export function nodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** The status of the node's Ready condition ("True", "False", "Unknown"), undefined when it has none. */
export function readyStatus(node: Node): string | undefined {
  return nodeCondition(node, 'Ready')?.status;
}

/** The health record after looking at the node and its Lease at `now` (`prev` is not mutated). */
export function observeHealth(prev: NodeHealth | undefined, node: Node, lease: Lease | undefined, now: number): NodeHealth {
  const ready = nodeCondition(node, 'Ready');
  const heartbeat = ready?.lastHeartbeatTime ?? '';
  let probeAt: number;
  if (!prev) {
    // Never seen: count from now, or from the node's creation while its kubelet never posted status.
    const created = Date.parse(node.metadata?.creationTimestamp ?? '');
    probeAt = ready || Number.isNaN(created) ? now : created;
  } else if (prev.hadReady !== !!ready || prev.heartbeat !== heartbeat) {
    probeAt = now;
  } else {
    probeAt = prev.probeAt;
  }
  let leaseRenewedAt = prev?.leaseRenewedAt;
  const renew = Date.parse(lease?.spec?.renewTime ?? '');
  if (!Number.isNaN(renew) && (leaseRenewedAt === undefined || renew > leaseRenewedAt)) {
    leaseRenewedAt = renew;
    probeAt = now;
  }
  return { probeAt, heartbeat, hadReady: !!ready, ...(leaseRenewedAt !== undefined ? { leaseRenewedAt } : {}) };
}

/** Whether the node has given no sign of life for longer than its grace period. */
export function isOverdue(health: NodeHealth, node: Node, now: number, grace: GracePeriods): boolean {
  const period = nodeCondition(node, 'Ready') ? grace.gracePeriodMs : grace.startupGracePeriodMs;
  return now > health.probeAt + period;
}

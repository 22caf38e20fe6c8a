// The node's heartbeat: a coordination.k8s.io/v1 Lease `kube-node-lease/<node>` whose renewTime
// the kubelet moves forward every 10 s (holderIdentity = node name, leaseDurationSeconds 40,
// owned by the Node so that deleting the Node deletes it). The node lifecycle controller reads it.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isConflict, isNotFound } from '../api/errors.js';
import type { DeepMutable, KubeObject } from '../api/object.js';
import type { Client } from '../client/client.js';
import { resourceInfo } from '../client/client.js';
import type { Clock } from '../client/clock.js';

const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const NODE_LEASE_DURATION_SECONDS = 40;
export const NODE_LEASE_RENEW_INTERVAL_MS = 10_000;
/** The shortest renew interval leaseRenewIntervalFor gives. */
export const MIN_NODE_LEASE_RENEW_INTERVAL_MS = 250;

/**
 * The renew interval for kubelets watched with node-monitor grace period `graceMs`: the default
 * 10 s, or a quarter of the grace period when that is shorter, so that a healthy node always
 * renews several times within the grace (with `--node-monitor-grace-period 4s` a 10 s renewal
 * would make every healthy node look dead between renewals).
 */
export function leaseRenewIntervalFor(graceMs: number): number {
  return Math.max(MIN_NODE_LEASE_RENEW_INTERVAL_MS, Math.min(NODE_LEASE_RENEW_INTERVAL_MS, Math.floor(graceMs / 4)));
}

type LeaseObject = DeepMutable<Lease> & KubeObject;

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface NodeLeaseOptions {
  readonly client: Client;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly durationSeconds?: number;
}

export class NodeLease {
  private lease?: LeaseObject;

  constructor(private readonly opts: NodeLeaseOptions) {}

  /**
   * Creates the Lease or moves its renewTime to now; `nodeUid` names the owning Node. One retry on
   * a conflict (someone else wrote it). Rejects with the ApiError otherwise.
   */
  async renew(nodeUid: string | undefined, signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.lease) {
          try {
            this.lease = await this.opts.client.get<LeaseObject>(LEASES, NODE_LEASE_NAMESPACE, this.opts.nodeName, { signal });
          } catch (e) {
            if (!isNotFound(e)) throw e;
            this.lease = await this.opts.client.create<LeaseObject>(LEASES, this.desired(undefined, nodeUid), { signal });
            return;
          }
        }
        this.lease = await this.opts.client.update<LeaseObject>(LEASES, this.desired(this.lease, nodeUid), { signal });
        return;
      } catch (e) {
        this.lease = undefined;
        if (attempt === 0 && (isConflict(e) || isNotFound(e))) continue;
        throw e;
      }
    }
  }

  private desired(current: LeaseObject | undefined, nodeUid: string | undefined): LeaseObject {
    const now = this.opts.clock.now();
    const lease: LeaseObject = current ? structuredClone(current) : { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.nodeName, namespace: NODE_LEASE_NAMESPACE } };
    const meta = (lease.metadata ??= {});
    if (nodeUid && !meta.ownerReferences?.some((r) => r.uid === nodeUid)) {
      meta.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.opts.nodeName, uid: nodeUid }];
    }
    lease.spec = {
      ...lease.spec,
      holderIdentity: this.opts.nodeName,
      leaseDurationSeconds: this.opts.durationSeconds ?? NODE_LEASE_DURATION_SECONDS,
      renewTime: microTime(now),
    };
    return lease;
  }
}

// The node conditions the lifecycle controller writes when a kubelet has gone quiet: Ready and the
// conditions the kubelet posts (MemoryPressure, DiskPressure, PIDPressure) become Unknown — or are
// added as Unknown when the kubelet never posted them — as Kubernetes does. NetworkUnavailable is
// left alone (it is not the kubelet's). Pure functions.
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { DeepMutable } from '../../api/object.js';

export const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;
export const REASON_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const MESSAGE_STATUS_UNKNOWN = 'Kubelet stopped posting node status.';
export const REASON_NEVER_UPDATED = 'NodeStatusNeverUpdated';
export const MESSAGE_NEVER_UPDATED = 'Kubelet never posted node status.';

export type MutableCondition = DeepMutable<NodeCondition>;

/** The node's conditions with the kubelet's ones set to Unknown at `now` (RFC 3339), or undefined when they already are. */
export function conditionsWhenUnreachable(node: Node, now: string): MutableCondition[] | undefined {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }) as MutableCondition);
  let changed = false;
  for (const type of KUBELET_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: REASON_NEVER_UPDATED,
        message: MESSAGE_NEVER_UPDATED,
        ...(node.metadata?.creationTimestamp ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
        lastTransitionTime: now,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = REASON_STATUS_UNKNOWN;
      c.message = MESSAGE_STATUS_UNKNOWN;
      c.lastTransitionTime = now;
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

// The taints the node lifecycle controller keeps on a node, as Kubernetes does:
// - NoSchedule taints that mirror the node's conditions (Ready False → not-ready, Ready Unknown →
//   unreachable, MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable True → the matching
//   pressure taint) and spec.unschedulable (→ unschedulable), added and removed at once;
// - one NoExecute taint, not-ready or unreachable (never both), with timeAdded — whether it
//   should be there is decided by the caller (eviction is rate limited per zone).
// Taints the controller does not own are never touched. Pure functions.
import { rfc3339 } from '../../api/time.js';
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import type { DeepMutable } from '../../api/object.js';
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  hasTaint,
} from './taints.js';

export type MutableTaint = DeepMutable<Taint>;

/** What NoExecute taint the node should carry: one of the two, none, or leave whatever it has. */
export type NoExecuteTaint = typeof TAINT_NOT_READY | typeof TAINT_UNREACHABLE | 'none' | 'keep';

/** condition type → status → NoSchedule taint key */
const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
};

const NO_SCHEDULE_KEYS = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), TAINT_UNSCHEDULABLE]);

/** The NoSchedule taint keys the node's conditions and spec.unschedulable call for. */
export function noScheduleTaintKeys(node: Node): string[] {
  const keys: string[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) keys.push(key);
  }
  if (node.spec?.unschedulable) keys.push(TAINT_UNSCHEDULABLE);
  return keys;
}

/**
 * The node's taints with the controller's NoSchedule taints matching its conditions and the
 * NoExecute taint `noExecute` (added with timeAdded `now`, ms), or undefined when the node
 * already has exactly those. Other taints keep their place; new ones are appended.
 */
export function desiredTaints(node: Node, noExecute: NoExecuteTaint, now: number): MutableTaint[] | undefined {
  const current = (node.spec?.taints ?? []) as readonly Taint[];
  const wantNoSchedule = new Set(noScheduleTaintKeys(node));
  const out: MutableTaint[] = [];
  let changed = false;
  for (const t of current) {
    const ownedNoSchedule = t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key);
    const ownedNoExecute = t.effect === 'NoExecute' && (t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE);
    const drop = (ownedNoSchedule && !wantNoSchedule.has(t.key)) || (ownedNoExecute && noExecute !== 'keep' && noExecute !== t.key);
    if (drop) changed = true;
    else out.push({ ...t });
  }
  for (const key of wantNoSchedule) {
    if (!hasTaint(current, key, 'NoSchedule')) {
      out.push({ key, effect: 'NoSchedule' });
      changed = true;
    }
  }
  if ((noExecute === TAINT_NOT_READY || noExecute === TAINT_UNREACHABLE) && !hasTaint(current, noExecute, 'NoExecute')) {
    out.push({ key: noExecute, effect: 'NoExecute', timeAdded: rfc3339(now) });
    changed = true;
  }
  return changed ? out : undefined;
}

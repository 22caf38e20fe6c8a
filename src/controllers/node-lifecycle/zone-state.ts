// Zones and disruption, as Kubernetes' node lifecycle controller sees them. Nodes are grouped by
// region and zone labels; a zone with no Ready node is fully disrupted, one where at least
// unhealthyZoneThreshold of more than two not-Ready nodes is partially disrupted. The rate at
// which nodes of a zone get a NoExecute taint (so their pods get evicted) depends on its state;
// when every zone is fully disrupted the controller assumes the problem is its own (the network,
// the control plane) and evicts nothing. Pure functions.
import type { Node } from 'kubernetes-types/core/v1.js';

export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';
const BETA_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';
const BETA_REGION_LABEL = 'failure-domain.beta.kubernetes.io/region';
/** Nodes with this label do not count towards their zone's state. */
export const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

export interface EvictionRates {
  /** nodes tainted per second in a healthy zone (--node-eviction-rate, default 0.1) */
  readonly evictionRate: number;
  /** nodes tainted per second in a partially disrupted large zone (--secondary-node-eviction-rate, default 0.01) */
  readonly secondaryEvictionRate: number;
  /** zones with at most this many nodes stop evicting when partially disrupted (--large-cluster-size-threshold, default 50) */
  readonly largeClusterSizeThreshold: number;
  /** share of not-Ready nodes that makes a zone partially disrupted (--unhealthy-zone-threshold, default 0.55) */
  readonly unhealthyZoneThreshold: number;
}

/** The zone a node is in ("" when it has neither region nor zone labels). */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const zone = l[ZONE_LABEL] ?? l[BETA_ZONE_LABEL] ?? '';
  const region = l[REGION_LABEL] ?? l[BETA_REGION_LABEL] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

/** The state of a zone from the Ready statuses of its nodes (undefined: no Ready condition, counted as not Ready). */
export function computeZoneState(ready: readonly (string | undefined)[], unhealthyZoneThreshold: number): ZoneState {
  const readyCount = ready.filter((s) => s === 'True').length;
  const notReady = ready.length - readyCount;
  if (readyCount === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / ready.length >= unhealthyZoneThreshold) return 'PartialDisruption';
  return 'Normal';
}

/** Nodes per second that may get a NoExecute taint in a zone of `size` nodes in `state`. */
export function zoneEvictionRate(state: ZoneState, size: number, rates: EvictionRates): number {
  if (state === 'PartialDisruption') return size > rates.largeClusterSizeThreshold ? rates.secondaryEvictionRate : 0;
  return rates.evictionRate;
}

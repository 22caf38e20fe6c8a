// What a Service's Endpoints object should hold, from the Service and the pods its selector
// matches, as Kubernetes' endpoints controller builds it: one address per pod with an IP (ready
// pods in `addresses`, the others in `notReadyAddresses`, or all in `addresses` with
// publishNotReadyAddresses), ports resolved per pod, subsets repacked so that addresses offering
// the same ports share a subset, at most MAX_ENDPOINTS_CAPACITY addresses. Pure functions.
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { DeepMutable } from '../../api/object.js';
import {
  findPort,
  isPodReady,
  isServiceIPSet,
  podIPv4,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './pod-endpoints.js';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION, formatTriggerTime } from './trigger-time-tracker.js';

/** Label marking Endpoints this controller wrote (Kubernetes ≥ 1.33). */
export const MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpoint-controller';
/** Label on the endpoints of a Service without a cluster IP. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** Set to "truncated" when the Service has more than MAX_ENDPOINTS_CAPACITY addresses. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
export const MAX_ENDPOINTS_CAPACITY = 1000;

export type MutableEndpoints = DeepMutable<Endpoints>;
type Subset = DeepMutable<EndpointSubset>;
type Address = DeepMutable<EndpointAddress>;
type Port = DeepMutable<EndpointPort>;

/** The address of a pod in a Service's endpoints, or undefined when it has no IPv4 address. */
export function podAddress(pod: Pod, service: Service): Address | undefined {
  const ip = podIPv4(pod);
  if (!ip) return undefined;
  const m = pod.metadata ?? {};
  return {
    ip,
    ...(shouldSetHostname(pod, service) ? { hostname: pod.spec?.hostname } : {}),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: m.namespace, name: m.name, uid: m.uid },
  };
}

/** The subsets for `service` (which has a selector) given the pods it selects; repacked and sorted. */
export function desiredSubsets(service: Service, pods: readonly Pod[]): Subset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const ports = service.spec?.ports ?? [];
  const headless = service.spec?.clusterIP === 'None';
  const subsets: Subset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const address = podAddress(pod, service);
    if (!address) continue;
    const ready = publishNotReady || isPodReady(pod);
    const add = (port: Port | undefined) =>
      subsets.push({ ...(ready ? { addresses: [address] } : { notReadyAddresses: [address] }), ...(port ? { ports: [port] } : {}) });
    if (ports.length === 0) {
      // A headless Service may have no ports: its endpoints are addresses only.
      if (headless) add(undefined);
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      add({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
  }
  return repackSubsets(subsets);
}

/**
 * Regroups subsets as Kubernetes' RepackSubsets does: every port maps to the set of addresses
 * (with their readiness) that offer it, and ports with the same set of addresses share one
 * subset. An address ready for a port in any input subset is ready for it. The result is sorted
 * (addresses by IP then pod UID, ports by name, number and protocol, subsets by content).
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): Subset[] {
  const addrs = new Map<string, Address>();
  /** port key → (address key → ready) */
  const byPort = new Map<string, { port: Port | undefined; addrs: Map<string, boolean> }>();
  const NO_PORT = '';
  const note = (a: EndpointAddress, port: EndpointPort | undefined, ready: boolean) => {
    const ak = addressKey(a);
    if (!addrs.has(ak)) addrs.set(ak, structuredClone(a) as Address);
    const pk = port ? canonicalJSON(port) : NO_PORT;
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { port: port ? (structuredClone(port) as Port) : undefined, addrs: new Map() }));
    if (!entry.addrs.get(ak)) entry.addrs.set(ak, ready);
  };
  for (const s of subsets) {
    const ports: (EndpointPort | undefined)[] = s.ports?.length ? s.ports : [undefined];
    for (const p of ports) {
      for (const a of s.addresses ?? []) note(a, p, true);
      for (const a of s.notReadyAddresses ?? []) note(a, p, false);
    }
  }
  /** address-set signature → the ports offered by exactly that set */
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: Port[] }>();
  for (const { port, addrs: set } of byPort.values()) {
    const sig = [...set].map(([k, r]) => `${k}=${r}`).sort().join(',');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { addrs: set, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: Subset[] = [];
  for (const g of groups.values()) {
    const ready: Address[] = [];
    const notReady: Address[] = [];
    for (const [k, r] of g.addrs) (r ? ready : notReady).push(addrs.get(k)!);
    ready.sort(compareAddresses);
    notReady.sort(compareAddresses);
    g.ports.sort(comparePorts);
    out.push({ ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ...(g.ports.length ? { ports: g.ports } : {}) });
  }
  return out.sort((a, b) => compareStrings(canonicalJSON(a), canonicalJSON(b)));
}

/**
 * Cuts subsets down to `max` addresses as Kubernetes does: ready addresses are kept before
 * not-ready ones, and each subset keeps a share proportional to its size. Returns whether
 * anything was cut. Mutates `subsets` (the caller's own copy).
 */
export function truncateSubsets(subsets: Subset[], max = MAX_ENDPOINTS_CAPACITY): boolean {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (totalReady + totalNotReady <= max) return false;
  const cutReady = totalReady > max;
  const room = cutReady ? max : max - totalReady;
  const total = cutReady ? totalReady : totalNotReady;
  let left = room;
  for (const s of subsets) {
    const n = (cutReady ? s.addresses?.length : s.notReadyAddresses?.length) ?? 0;
    const keep = Math.min(Math.ceil((n / total) * room), left);
    if (cutReady) {
      s.addresses = s.addresses?.slice(0, keep);
      delete s.notReadyAddresses;
      left -= s.addresses?.length ?? 0;
    } else {
      s.notReadyAddresses = s.notReadyAddresses?.slice(0, keep);
      left -= s.notReadyAddresses?.length ?? 0;
    }
    if (!s.addresses?.length) delete s.addresses;
    if (!s.notReadyAddresses?.length) delete s.notReadyAddresses;
  }
  return true;
}

/** The labels of a Service's Endpoints: the Service's own, the managed-by label, and the headless label when it has no cluster IP. */
export function desiredLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata?.labels ?? {}) };
  delete labels[HEADLESS_LABEL];
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (!isServiceIPSet(service)) labels[HEADLESS_LABEL] = '';
  return labels;
}

/**
 * The Endpoints object to write for `service` — a new object when `current` is undefined, an
 * updated copy of `current` otherwise — or undefined when `current` already holds the desired
 * subsets and labels (nothing to write). `triggerTime` (ms) becomes the last-change-trigger-time
 * annotation; undefined removes it. `current` is never mutated.
 */
export function desiredEndpoints(service: Service, pods: readonly Pod[], current: Endpoints | undefined, triggerTime?: number): MutableEndpoints | undefined {
  const subsets = desiredSubsets(service, pods);
  const truncated = truncateSubsets(subsets);
  const labels = desiredLabels(service);
  if (current) {
    const overCapacityMarked = current.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION] !== undefined;
    if (
      canonicalJSON(current.subsets ?? []) === canonicalJSON(subsets) &&
      canonicalJSON(current.metadata?.labels ?? {}) === canonicalJSON(labels) &&
      overCapacityMarked === truncated
    ) {
      return undefined;
    }
  }
  const out: MutableEndpoints = current
    ? (structuredClone(current) as MutableEndpoints)
    : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: service.metadata?.name, namespace: service.metadata?.namespace } };
  const meta = (out.metadata ??= {});
  meta.labels = labels;
  const annotations = { ...(meta.annotations ?? {}) };
  if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatTriggerTime(triggerTime);
  else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  out.subsets = subsets;
  return out;
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}/${a.targetRef?.uid ?? ''}`;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return compareStrings(a.ip, b.ip) || compareStrings(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return compareStrings(a.name ?? '', b.name ?? '') || a.port - b.port || compareStrings(a.protocol ?? '', b.protocol ?? '');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted: equal values give equal strings whatever order their keys came in. */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => compareStrings(a, b))) : x,
  );
}

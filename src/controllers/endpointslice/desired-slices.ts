// What a Service's EndpointSlices should hold, and the smallest set of writes that gets the
// existing slices there, as Kubernetes' EndpointSlice reconciler plans them:
// - one endpoint per pod with an IPv4 address (terminating pods included, with their
//   conditions), grouped by the pod's resolved port set (a named targetPort can resolve to
//   different numbers on different pods: each distinct set gets its own slices);
// - existing slices keep the endpoints still wanted (updated in place when they changed), lose
//   the others, and are deleted when emptied; new endpoints first fill slices that are being
//   updated anyway, then an unchanged slice with room for all of them, then new slices of at
//   most maxEndpointsPerSlice;
// - a Service with no endpoints at all keeps one empty placeholder slice;
// - a create and a delete in the same plan become one update of the deleted slice.
// Pure functions: inputs are never mutated; returned slices are fresh copies.
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { DeepMutable } from '../../api/object.js';
import { canonicalJSON } from '../endpoints/desired-endpoints.js';
import { findPort, isPodReady, isServiceIPSet, podIPv4, shouldPodBeInEndpoints, shouldSetHostname } from '../endpoints/pod-endpoints.js';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION, formatTriggerTime } from '../endpoints/trigger-time-tracker.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Kubernetes' --max-endpoints-per-slice default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;
export const ADDRESS_TYPE = 'IPv4';

export type MutableSlice = DeepMutable<EndpointSlice>;
type MutableEndpoint = DeepMutable<Endpoint>;
type MutablePort = DeepMutable<EndpointPort>;

/** The ports a pod serves for the Service, in Service port order; Service ports the pod cannot resolve are left out. */
export function endpointPorts(service: Service, pod: Pod): MutablePort[] {
  const out: MutablePort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** The endpoint for a pod, or undefined when it has no IPv4 address. `node` gives the zone. */
export function podToEndpoint(pod: Pod, node: Node | undefined, service: Service): MutableEndpoint | undefined {
  const ip = podIPv4(pod);
  if (!ip) return undefined;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  const m = pod.metadata ?? {};
  return {
    addresses: [ip],
    conditions: { ready: service.spec?.publishNotReadyAddresses === true || (serving && !terminating), serving, terminating },
    ...(shouldSetHostname(pod, service) ? { hostname: pod.spec?.hostname } : {}),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    ...(zone ? { zone } : {}),
    targetRef: { kind: 'Pod', namespace: m.namespace, name: m.name, uid: m.uid },
  };
}

/** The labels of a Service's slices: its own (without the reserved keys) plus service-name, managed-by and, without a cluster IP, headless. */
export function sliceLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata?.labels ?? {})) {
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  }
  if (!isServiceIPSet(service)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = service.metadata?.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

/** Identity of an endpoint across syncs: its addresses, hostname and pod (not its conditions). */
export function endpointKey(e: Endpoint): string {
  return JSON.stringify([[...e.addresses].sort(), e.hostname ?? '', e.targetRef?.namespace ?? '', e.targetRef?.name ?? '']);
}

/** Identity of a port set, whatever its order. */
export function portsKey(ports: readonly EndpointPort[] | undefined): string {
  const norm = (ports ?? []).map((p) => canonicalJSON({ name: p.name ?? '', port: p.port ?? null, protocol: p.protocol ?? 'TCP', appProtocol: p.appProtocol ?? null }));
  return JSON.stringify(norm.sort());
}

export interface SlicePlanInput {
  readonly service: Service;
  /** the pods the Service selects */
  readonly pods: readonly Pod[];
  /** nodes by name; a pod whose node is not here is left out (and reported in `missingNodes`) */
  readonly nodes: (name: string) => Node | undefined;
  /** the slices this controller manages for the Service (labels service-name and managed-by) */
  readonly existing: readonly EndpointSlice[];
  readonly maxEndpointsPerSlice?: number;
  /** ms; the last-change-trigger-time annotation of written slices (undefined: removed) */
  readonly triggerTime?: number;
}

export interface SlicePlan {
  /** to create (metadata.generateName set, no name) */
  readonly create: MutableSlice[];
  /** updated copies of existing slices (resourceVersion kept: compare-and-swap) */
  readonly update: MutableSlice[];
  readonly delete: EndpointSlice[];
  /** pods left out because their node is not known (yet) */
  readonly missingNodes: string[];
}

/** The writes that make `existing` match what the Service and its pods call for. An empty plan means nothing to do. */
export function planSlices(input: SlicePlanInput): SlicePlan {
  const { service } = input;
  const max = Math.max(1, input.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE);
  const uid = service.metadata?.uid;
  const labels = sliceLabels(service);
  const toDelete: EndpointSlice[] = [];
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const s of input.existing) {
    const owned = s.metadata?.ownerReferences?.some((r) => r.kind === 'Service' && r.uid === uid) ?? false;
    if (s.addressType !== ADDRESS_TYPE || !owned) {
      toDelete.push(s);
      continue;
    }
    const k = portsKey(s.ports);
    existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
  }

  // Desired endpoints, grouped by port set.
  const desired = new Map<string, { ports: MutablePort[]; endpoints: Map<string, MutableEndpoint> }>();
  const missingNodes: string[] = [];
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const nodeName = pod.spec?.nodeName ?? '';
    const node = input.nodes(nodeName);
    if (!node) {
      missingNodes.push(nodeName);
      continue;
    }
    const ep = podToEndpoint(pod, node, service);
    if (!ep) continue;
    const ports = endpointPorts(service, pod);
    const k = portsKey(ports);
    let group = desired.get(k);
    if (!group) desired.set(k, (group = { ports, endpoints: new Map() }));
    group.endpoints.set(endpointKey(ep), ep);
  }

  const create: MutableSlice[] = [];
  const update = new Map<string, MutableSlice>();
  for (const [k, group] of desired) {
    const plan = planPortGroup(service, labels, existingByPorts.get(k) ?? [], group.ports, group.endpoints, max);
    create.push(...plan.create);
    for (const s of plan.update) update.set(s.metadata!.name!, s);
    toDelete.push(...plan.delete);
  }
  for (const [k, slices] of existingByPorts) if (!desired.has(k)) toDelete.push(...slices);

  // No endpoints at all: keep (or make) one empty placeholder slice.
  if (input.existing.length === toDelete.length && create.length === 0) {
    const placeholder = newSlice(service, labels, []);
    const keep = toDelete.length === 1 && isPlaceholderFor(toDelete[0]!, placeholder, uid) ? toDelete[0] : undefined;
    if (keep) toDelete.length = 0;
    else create.push(placeholder);
  }

  // Turn create + delete pairs into updates of the slices that would be deleted.
  for (let i = 0; i < toDelete.length && create.length > 0; ) {
    const victim = toDelete[i]!;
    const owned = victim.metadata?.ownerReferences?.some((r) => r.kind === 'Service' && r.uid === uid) ?? false;
    if (victim.addressType === ADDRESS_TYPE && owned) {
      const fresh = create.pop()!;
      const reused = structuredClone(victim) as MutableSlice;
      reused.endpoints = fresh.endpoints;
      reused.ports = fresh.ports;
      reused.metadata!.labels = fresh.metadata!.labels;
      update.set(reused.metadata!.name!, reused);
      toDelete.splice(i, 1);
    } else {
      i++;
    }
  }

  const updates = [...update.values()];
  for (const s of [...create, ...updates]) setTriggerTime(s, input.triggerTime);
  return { create: service.metadata?.deletionTimestamp ? [] : create, update: updates, delete: toDelete, missingNodes };
}

function planPortGroup(
  service: Service,
  labels: Record<string, string>,
  existing: readonly EndpointSlice[],
  ports: MutablePort[],
  wanted: Map<string, MutableEndpoint>,
  max: number,
): { create: MutableSlice[]; update: MutableSlice[]; delete: EndpointSlice[] } {
  const remaining = new Map(wanted);
  const updated = new Map<string, MutableSlice>();
  const unchanged: EndpointSlice[] = [];
  const deleted: EndpointSlice[] = [];
  const labelsJSON = canonicalJSON(labels);

  // 1. Existing slices keep what is still wanted (updated when it changed) and drop the rest.
  for (const slice of existing) {
    const kept: MutableEndpoint[] = [];
    let changed = false;
    for (const e of slice.endpoints ?? []) {
      const k = endpointKey(e);
      const want = remaining.get(k);
      if (!want) continue;
      if (canonicalJSON(want) !== canonicalJSON(e)) changed = true;
      kept.push(want);
      remaining.delete(k);
    }
    const relabelled = canonicalJSON(slice.metadata?.labels ?? {}) !== labelsJSON;
    if (changed || kept.length !== (slice.endpoints?.length ?? 0)) {
      if (kept.length === 0) deleted.push(slice);
      else updated.set(slice.metadata!.name!, withEndpoints(slice, kept, labels));
    } else if (relabelled) {
      updated.set(slice.metadata!.name!, withEndpoints(slice, kept, labels));
    } else {
      unchanged.push(slice);
    }
  }

  const queue = [...remaining.keys()].sort().map((k) => remaining.get(k)!);
  // 2. Fill the slices being updated anyway, fullest first.
  for (const s of [...updated.values()].sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0))) {
    while (queue.length && (s.endpoints?.length ?? 0) < max) s.endpoints!.push(queue.shift()!);
  }
  // 3. The rest goes into one unchanged slice that can take it all, else into new slices.
  const create: MutableSlice[] = [];
  while (queue.length) {
    let target: MutableSlice | undefined;
    if (queue.length < max) {
      const fits = unchanged
        .filter((s) => (s.endpoints?.length ?? 0) + queue.length <= max)
        .sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0))[0];
      if (fits) {
        unchanged.splice(unchanged.indexOf(fits), 1);
        target = withEndpoints(fits, (fits.endpoints ?? []) as MutableEndpoint[], labels);
        updated.set(target.metadata!.name!, target);
      }
    }
    if (!target) {
      target = newSlice(service, labels, ports);
      create.push(target);
    }
    while (queue.length && target.endpoints!.length < max) target.endpoints!.push(queue.shift()!);
  }
  return { create, update: [...updated.values()], delete: deleted };
}

function withEndpoints(slice: EndpointSlice, endpoints: readonly MutableEndpoint[], labels: Record<string, string>): MutableSlice {
  const copy = structuredClone(slice) as MutableSlice;
  copy.endpoints = structuredClone(endpoints) as MutableEndpoint[];
  copy.metadata = { ...copy.metadata, labels: { ...labels } };
  return copy;
}

/** A new, empty slice for the Service with these ports. */
export function newSlice(service: Service, labels: Record<string, string>, ports: readonly MutablePort[]): MutableSlice {
  const m = service.metadata ?? {};
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${m.name}-`,
      namespace: m.namespace,
      labels: { ...labels },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: m.name ?? '', uid: m.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    addressType: ADDRESS_TYPE,
    endpoints: [],
    ports: structuredClone(ports) as MutablePort[],
  };
}

/** An existing slice that already is the placeholder: same labels, owner, address type, no endpoints, no ports. */
function isPlaceholderFor(slice: EndpointSlice, placeholder: MutableSlice, uid: string | undefined): boolean {
  return (
    slice.addressType === placeholder.addressType &&
    (slice.endpoints?.length ?? 0) === 0 &&
    (slice.ports?.length ?? 0) === 0 &&
    canonicalJSON(slice.metadata?.labels ?? {}) === canonicalJSON(placeholder.metadata?.labels ?? {}) &&
    (slice.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller === true) ?? false)
  );
}

function setTriggerTime(slice: MutableSlice, triggerTime: number | undefined): void {
  const meta = (slice.metadata ??= {});
  const annotations = { ...(meta.annotations ?? {}) };
  if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatTriggerTime(triggerTime);
  else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
}

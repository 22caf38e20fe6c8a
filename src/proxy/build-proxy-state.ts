// The pure part of the service proxy: Services + EndpointSlices + this node → the ProxyState every
// backend enforces. No I/O, no clock; the ServiceProxy calls it with its informers' caches.
//
// Semantics follow kube-proxy:
// - ExternalName and headless Services (`clusterIP: None`, or none allocated) get no entry at all.
// - IPv4 only: skiff's pod network is IPv4, so IPv6 cluster, LoadBalancer, external and endpoint
//   addresses are ignored (slices with another addressType too).
// - A service port's endpoints come from the Service's slices (label kubernetes.io/service-name),
//   the slice port with the same name and protocol giving the (already resolved) target port.
//   An address found in several slices is kept once, ready if any copy is.
// - `ready`: when at least one endpoint of the service port is ready, the ready ones; when none is,
//   the serving+terminating ones (graceful termination); conditions missing from a slice mean
//   ready = true, serving = ready, terminating = false.
// - nodePort only for NodePort and LoadBalancer Services; LoadBalancer IPs from
//   status.loadBalancer.ingress[].ip; externalTrafficPolicy Local only for those two types.
// - sessionAffinity ClientIP → timeout spec.sessionAffinityConfig.clientIP.timeoutSeconds, default 10800.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ProxyEndpoint, ProxyServicePort, ProxyState, Protocol } from './model.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

export interface BuildProxyStateInput {
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** this node: endpoints with this nodeName are `local` */
  readonly nodeName: string;
  readonly serviceCIDRs: readonly string[];
  readonly nodeIPs: readonly string[];
  readonly nodePortAddresses?: readonly string[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const isIPv4 = (s: string | undefined): s is string => typeof s === 'string' && IPV4.test(s);

/** Builds the desired state; the result shares nothing with the input (safe to keep). */
export function buildProxyState(input: BuildProxyStateInput): ProxyState {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const s of input.endpointSlices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const k = `${s.metadata?.namespace ?? ''}/${svc}`;
    let list = slicesByService.get(k);
    if (!list) slicesByService.set(k, (list = []));
    list.push(s);
  }
  const services: ProxyServicePort[] = [];
  for (const svc of input.services) {
    const spec = svc.spec;
    if (!spec || spec.type === 'ExternalName') continue;
    const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).filter(isIPv4);
    if (clusterIPs.length === 0) continue; // headless or not allocated yet
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const loadBalancerIPs = spec.type === 'LoadBalancer' ? uniqSorted((svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(isIPv4)) : [];
    const affinity = spec.sessionAffinity === 'ClientIP'
      ? { timeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS }
      : undefined;
    const slices = slicesByService.get(`${namespace}/${name}`) ?? [];
    for (const p of spec.ports ?? []) {
      const portName = p.name ?? '';
      const protocol = (p.protocol ?? 'TCP') as Protocol;
      services.push({
        key: `${namespace}/${name}:${portName}`,
        namespace,
        name,
        portName,
        protocol,
        clusterIPs: [...clusterIPs],
        port: p.port,
        ...(external && p.nodePort ? { nodePort: p.nodePort } : {}),
        loadBalancerIPs: [...loadBalancerIPs],
        externalIPs: uniqSorted((spec.externalIPs ?? []).filter(isIPv4)),
        externalTrafficPolicy: external && spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
        internalTrafficPolicy: spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
        ...(affinity ? { sessionAffinity: { ...affinity } } : {}),
        endpoints: endpointsFor(slices, portName, protocol, input.nodeName),
      });
    }
  }
  services.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    services,
    serviceCIDRs: [...input.serviceCIDRs],
    nodeIPs: [...input.nodeIPs],
    ...(input.nodePortAddresses ? { nodePortAddresses: [...input.nodePortAddresses] } : {}),
  };
}

interface Candidate { ip: string; port: number; ready: boolean; servingTerminating: boolean; local: boolean }

function endpointsFor(slices: readonly EndpointSlice[], portName: string, protocol: Protocol, nodeName: string): ProxyEndpoint[] {
  const byAddr = new Map<string, Candidate>();
  for (const s of slices) {
    const sp = (s.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === protocol);
    if (!sp || typeof sp.port !== 'number') continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0]; // kube-proxy uses the first address only
      if (!isIPv4(ip)) continue;
      const ready = e.conditions?.ready ?? true;
      const serving = e.conditions?.serving ?? ready;
      const terminating = e.conditions?.terminating ?? false;
      const key = `${ip}:${sp.port}`;
      const prev = byAddr.get(key);
      const c: Candidate = {
        ip,
        port: sp.port,
        ready: ready || (prev?.ready ?? false),
        servingTerminating: (serving && terminating) || (prev?.servingTerminating ?? false),
        local: e.nodeName === nodeName || (prev?.local ?? false),
      };
      byAddr.set(key, c);
    }
  }
  const all = [...byAddr.values()];
  const anyReady = all.some((c) => c.ready);
  return all
    .map((c) => ({ ip: c.ip, port: c.port, ready: anyReady ? c.ready : c.servingTerminating, local: c.local }))
    .sort((a, b) => ipNumber(a.ip) - ipNumber(b.ip) || a.port - b.port);
}

export function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function uniqSorted(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort((a, b) => ipNumber(a) - ipNumber(b));
}

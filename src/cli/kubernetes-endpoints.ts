// The `kubernetes` Service's endpoint: where pods reach the API server, as kube-apiserver's own
// endpoint reconciler keeps it. The Endpoints default/kubernetes and the EndpointSlice of the same
// name (the service proxy routes by EndpointSlices; nothing mirrors Endpoints here) name the
// advertise address and the API's port, so `https://kubernetes.default.svc` (the Service's
// ClusterIP, port 443) and KUBERNETES_SERVICE_HOST/PORT in every pod lead to the API server.
// The controllers leave both alone: the Service has no selector.
//
// The advertise address: --advertise-address; else --bind when it names one address; else (bound
// to every address) the node IP. An API bound to loopback only cannot be reached from pods: no
// endpoint is published then, and pods' connections to the Service are rejected, as for any
// Service without endpoints.
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo, type Client } from '../client/client.js';

const ENDPOINTS = resourceInfo('', 'v1', 'endpoints');
const ENDPOINT_SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');
const SERVICES = resourceInfo('', 'v1', 'services');
const NAME = 'kubernetes';
const NAMESPACE = 'default';
/** How often the endpoint is checked (kube-apiserver's endpoint reconciler interval). */
export const RECONCILE_INTERVAL_MS = 10_000;

/** The API's address for pods, or undefined when it listens on loopback only. */
export function advertiseAddress(o: { readonly advertiseAddress: string; readonly bind: string; readonly nodeIP: string }, localIP: () => string): string | undefined {
  if (o.advertiseAddress) return o.advertiseAddress;
  const everywhere = o.bind === '0.0.0.0' || o.bind === '::' || o.bind === '';
  const ip = everywhere ? o.nodeIP || localIP() : o.bind;
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || ip.startsWith('127.')) return undefined;
  return ip;
}

function desiredEndpoints(ip: string, port: number): Endpoints & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    // as kube-apiserver's: the EndpointSlice is written alongside, not mirrored from this
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  };
}

function desiredSlice(ip: string, port: number): EndpointSlice & KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': NAME } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
}

/** default/kubernetes of resource `info`, or undefined when there is none. */
async function getKubernetes<T extends KubeObject>(client: Client, info: typeof ENDPOINTS): Promise<T | undefined> {
  try {
    return await client.get<T>(info, NAMESPACE, NAME);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Creates or corrects one object; resolves whether it wrote. */
async function ensure<T extends KubeObject>(client: Client, info: typeof ENDPOINTS, desired: T, same: (current: T) => boolean): Promise<boolean> {
  const current = await getKubernetes<T>(client, info);
  if (!current) {
    await client.create(info, desired);
    return true;
  }
  if (same(current)) return false;
  await client.update(info, { ...current, ...desired, metadata: { ...current.metadata, labels: { ...current.metadata?.labels, ...desired.metadata?.labels } } });
  return true;
}

/**
 * The Service's https port leads to the API's own port (bootstrap writes 6443, the default; a
 * server on another port corrects it, as kube-apiserver keeps the Service's ports). A missing
 * Service is left to bootstrap. Resolves whether it wrote.
 */
async function ensureServiceTargetPort(client: Client, port: number): Promise<boolean> {
  const svc = await getKubernetes<Service & KubeObject>(client, SERVICES);
  if (!svc) return false;
  const ports = svc.spec?.ports ?? [];
  const i = ports.findIndex((p) => p.name === 'https');
  if (i < 0 || ports[i]!.targetPort === port) return false;
  await client.update(SERVICES, { ...svc, spec: { ...svc.spec, ports: ports.map((p, j) => (j === i ? { ...p, targetPort: port } : p)) } });
  return true;
}

/** Makes default/kubernetes' Endpoints and EndpointSlice name `ip:port` (and the Service's targetPort `port`); resolves whether anything was written. */
export async function reconcileKubernetesEndpoints(client: Client, ip: string, port: number): Promise<boolean> {
  const wroteService = await ensureServiceTargetPort(client, port);
  const ep = desiredEndpoints(ip, port);
  const slice = desiredSlice(ip, port);
  const wroteEndpoints = await ensure<Endpoints & KubeObject>(client, ENDPOINTS, ep, (c) => JSON.stringify(c.subsets ?? []) === JSON.stringify(ep.subsets));
  const wroteSlice = await ensure<EndpointSlice & KubeObject>(
    client,
    ENDPOINT_SLICES,
    slice,
    (c) =>
      c.addressType === slice.addressType &&
      JSON.stringify((c.endpoints ?? []).map((e) => [e.addresses, e.conditions?.ready])) === JSON.stringify(slice.endpoints.map((e) => [e.addresses, e.conditions?.ready])) &&
      JSON.stringify(c.ports ?? []) === JSON.stringify(slice.ports) &&
      c.metadata?.labels?.['kubernetes.io/service-name'] === NAME,
  );
  return wroteService || wroteEndpoints || wroteSlice;
}

/** Reconciles now and every `intervalMs` until `signal` aborts; failures are logged and retried. */
export async function keepKubernetesEndpoints(o: { client: Client; ip: string; port: number; signal: AbortSignal; log: (line: string) => void; intervalMs?: number }): Promise<void> {
  const run = async (): Promise<void> => {
    try {
      await reconcileKubernetesEndpoints(o.client, o.ip, o.port);
    } catch (e) {
      if (!o.signal.aborted) o.log(`skiff: the kubernetes Service's endpoint ${o.ip}:${o.port}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  await run();
  const timer = setInterval(() => void run(), o.intervalMs ?? RECONCILE_INTERVAL_MS);
  timer.unref();
  o.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

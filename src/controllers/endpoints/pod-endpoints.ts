// How a Service's endpoints controllers (Endpoints and EndpointSlice) read pods and Services:
// which pods back a Service, with which address and which port numbers. Pure functions over API
// objects; nothing here mutates its input. Shared by ../endpointslice/.
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { selectorFromSet, type Selector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { parseIPv4 } from '../../api/validation/names.js';

/** kubernetes-types interfaces carry no index signature; informers need one. */
export type PodObject = Pod & KubeObject;
export type ServiceObject = Service & KubeObject;

/** The pod's Ready condition is True (Kubernetes' IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Succeeded or Failed: its containers will not run again. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Whether a pod belongs in a Service's endpoints at all (ready or not): it is not terminal, it
 * has an IP, and it is not being deleted unless `includeTerminating`.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 address (skiff's Services are single-stack IPv4), or undefined. */
export function podIPv4(pod: Pod): string | undefined {
  const ips = [...(pod.status?.podIPs?.map((p) => p.ip ?? '') ?? []), pod.status?.podIP ?? ''];
  return ips.find((ip) => ip !== '' && parseIPv4(ip) !== undefined);
}

/**
 * The pod's port number for a Service port (Kubernetes' FindPort): a numeric targetPort is
 * itself (unset: the Service port); a named one is looked up among the ports of the pod's
 * containers (and of its sidecar init containers) with that name and the Service port's
 * protocol. undefined when the pod has no such named port.
 */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target === 0 ? port.port : target;
  const protocol = port.protocol ?? 'TCP';
  const sidecars = pod.spec?.initContainers?.filter((c) => c.restartPolicy === 'Always') ?? [];
  for (const c of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The pod's hostname is published when its subdomain names this Service (in its namespace). */
export function shouldSetHostname(pod: Pod, service: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === service.metadata?.name && pod.metadata?.namespace === service.metadata?.namespace;
}

/** The Service has a cluster IP (it is not headless). */
export function isServiceIPSet(service: Service): boolean {
  const ip = service.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/**
 * The selector of a Service whose endpoints the controllers manage, or undefined for a Service
 * they leave alone: no (or an empty) selector — its endpoints are written by someone else — or
 * type ExternalName.
 */
export function managedServiceSelector(service: Service): Selector | undefined {
  if (service.spec?.type === 'ExternalName') return undefined;
  const sel = service.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return undefined;
  return selectorFromSet(sel);
}

/** The pod fields the endpoints depend on, as one comparable string (pod updates that leave it unchanged are ignored). */
export function podEndpointFingerprint(pod: Pod): string {
  return JSON.stringify([
    pod.status?.podIP,
    pod.status?.podIPs,
    isPodReady(pod),
    isPodTerminal(pod),
    !!pod.metadata?.deletionTimestamp,
    pod.spec?.nodeName,
    pod.spec?.hostname,
    pod.spec?.subdomain,
    pod.metadata?.uid,
    pod.spec?.containers?.map((c) => c.ports),
    pod.spec?.initContainers?.map((c) => (c.restartPolicy === 'Always' ? c.ports : null)),
    readyTransitionTime(pod),
  ]);
}

/** lastTransitionTime of the pod's Ready condition (what a change of the endpoints is traced to). */
export function readyTransitionTime(pod: Pod): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
}

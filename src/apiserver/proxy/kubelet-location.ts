// Where a pod's streaming subresource (log, exec, attach, portforward) is served: the pod's node's
// kubelet endpoint and path, validated as Kubernetes' pod REST does (LogLocation,
// ExecLocation/streamLocation): the pod must exist, the container must be one of the pod's,
// a multi-container pod needs `container`, the pod must be scheduled (except for logs).
import { ApiError, BadRequestError } from '../../api/errors.js';
import { isObject, type KubeObject } from '../../api/object.js';
import { SIMULATED_NODE_LABEL } from '../../api/simulated-node.js';
import type { RegistryLookup } from '../resource-handler.js';

export type PodStreamSubresource = 'log' | 'exec' | 'attach' | 'portforward';

export const POD_STREAM_SUBRESOURCES: ReadonlySet<string> = new Set(['log', 'exec', 'attach', 'portforward']);

const STREAM_NAMES: Readonly<Record<PodStreamSubresource, string>> = { log: 'logs', exec: 'exec', attach: 'attach', portforward: 'port-forward' };

export interface KubeletLocation {
  readonly host: string;
  readonly port: number;
  /** path and query on the kubelet */
  readonly path: string;
  readonly nodeName: string;
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.filter(isObject).map((c) => String(c.name ?? '')) : [];
}

/** The container a request addresses (defaulted when the pod has one); 400 as Kubernetes otherwise. */
export function validateContainer(pod: KubeObject, requested: string | null): string {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const containers = names(spec.containers);
  const name = pod.metadata?.name ?? '';
  if (!requested) {
    if (containers.length === 1) return containers[0];
    if (containers.length === 0) throw new BadRequestError(`a container name must be specified for pod ${name}`);
    const init = names(spec.initContainers);
    throw new BadRequestError(
      `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]` + (init.length ? ` or one of the init containers: [${init.join(' ')}]` : ''),
    );
  }
  const all = [...containers, ...names(spec.initContainers), ...names(spec.ephemeralContainers)];
  if (!all.includes(requested)) throw new BadRequestError(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/** The address the API server dials for a Node: InternalIP, then ExternalIP, then Hostname. */
export function nodeAddress(node: KubeObject): string | undefined {
  const status = isObject(node.status) ? node.status : {};
  const addrs = Array.isArray(status.addresses) ? status.addresses.filter(isObject) : [];
  for (const type of ['InternalIP', 'ExternalIP', 'Hostname']) {
    const a = addrs.find((x) => x.type === type && typeof x.address === 'string' && x.address);
    if (a) return String(a.address);
  }
  return undefined;
}

/**
 * The port the Node reports for its kubelet (status.daemonEndpoints.kubeletEndpoint.Port);
 * undefined when it reports none (0): skiff's own kubelets always report theirs, except simulated
 * ones, which serve nothing. (Kubernetes would dial its default, 10250, instead.)
 */
export function kubeletPort(node: KubeObject): number | undefined {
  const status = isObject(node.status) ? node.status : {};
  const de = isObject(status.daemonEndpoints) ? status.daemonEndpoints : {};
  const ke = isObject(de.kubeletEndpoint) ? de.kubeletEndpoint : {};
  return typeof ke.Port === 'number' && ke.Port > 0 ? ke.Port : undefined;
}

const LOG_PARAMS = ['follow', 'previous', 'timestamps', 'tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime'];

function checkLogQuery(q: URLSearchParams): void {
  const positive = (n: string, min: number) => {
    const v = q.get(n);
    if (v === null || v === '') return;
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new ApiError(422, 'Invalid', `PodLogOptions "" is invalid: ${n}: Invalid value: ${v}: must be ${min === 0 ? 'greater than or equal to 0' : 'greater than 0'}`);
  };
  positive('tailLines', 0);
  positive('limitBytes', 1);
  positive('sinceSeconds', 1);
  if (q.get('sinceSeconds') && q.get('sinceTime')) throw new ApiError(422, 'Invalid', 'PodLogOptions "" is invalid: sinceSeconds: Forbidden: at most one of sinceTime or sinceSeconds may be specified');
}

/**
 * Resolves the kubelet location of `pods/NAME/SUBRESOURCE`. Undefined for the log of a pod not
 * yet scheduled (Kubernetes answers an empty log). Throws ApiErrors (404 pod, 400 container).
 */
export async function podStreamLocation(
  registries: RegistryLookup,
  namespace: string,
  name: string,
  subresource: PodStreamSubresource,
  query: URLSearchParams,
): Promise<KubeletLocation | undefined> {
  const pods = registries.get('', 'v1', 'pods');
  const nodes = registries.get('', 'v1', 'nodes');
  if (!pods || !nodes) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const pod = (await pods.get(namespace, name)).object;
  const container = subresource === 'portforward' ? '' : validateContainer(pod, query.get('container'));
  if (subresource === 'log') checkLogQuery(query);
  const spec = isObject(pod.spec) ? pod.spec : {};
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : '';
  if (!nodeName) {
    if (subresource === 'log') return undefined;
    throw new BadRequestError(`pod ${name} does not have a host assigned`);
  }
  const node = (await nodes.get(undefined, nodeName)).object;
  if (node.metadata?.labels?.[SIMULATED_NODE_LABEL] === 'true') {
    throw new BadRequestError(`pod ${name} runs on the simulated node "${nodeName}", which has no kubelet server: simulated containers have no ${STREAM_NAMES[subresource]}`);
  }
  const host = nodeAddress(node);
  if (!host) throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" reports no address to reach its kubelet`);
  const port = kubeletPort(node);
  if (port === undefined) throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" reports no kubelet port (status.daemonEndpoints.kubeletEndpoint.Port)`);
  const enc = encodeURIComponent;
  let path: string;
  const q = new URLSearchParams();
  if (subresource === 'log') {
    for (const p of LOG_PARAMS) for (const v of query.getAll(p)) q.append(p, v);
    path = `/containerLogs/${enc(namespace)}/${enc(name)}/${enc(container)}`;
  } else {
    for (const [k, v] of query) if (k !== 'container') q.append(k, v);
    path = subresource === 'portforward' ? `/portForward/${enc(namespace)}/${enc(name)}` : `/${subresource}/${enc(namespace)}/${enc(name)}/${enc(container)}`;
  }
  const qs = q.toString();
  return { host, port, nodeName, path: qs ? `${path}?${qs}` : path };
}

// The Services part of the node agent: the service proxy in the chosen mode, and this node's
// cluster DNS server published as an endpoint of kube-system/kube-dns, so the DNS Service IP
// reaches it through the proxy from pods and from the node alike (as a CoreDNS pod would be).
import { resourceInfo, type Client } from '../client/client.js';
import type { EventRecorder } from '../client/event-recorder.js';
import { ClusterDNS } from '../dns/server.js';
import type { ProxyBackend } from '../proxy/model.js';
import { IptablesBackend } from '../proxy/iptables/iptables-backend.js';
import { removeIptablesRules } from '../proxy/iptables/remove.js';
import { NftablesBackend, removeNftablesRules } from '../proxy/nftables/nftables-backend.js';
import { ConntrackCleaner } from '../proxy/conntrack.js';
import { ServiceProxy } from '../proxy/service-proxy.js';
import { UserspaceBackend } from '../proxy/userspace/userspace-backend.js';
import { removeUserspaceProxy } from '../proxy/userspace/vip-interface.js';
import type { ServerFlags } from './flags.js';

const ENDPOINT_SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');
const SERVICES = resourceInfo('', 'v1', 'services');
/** managed-by label of the kube-dns EndpointSlices nodes publish (the EndpointSlice controller leaves them alone) */
export const NODE_DNS_MANAGER = 'skiff-node-dns';

export interface RunningServices {
  readonly dnsPort: number;
  stop(): Promise<void>;
}

export function proxyBackend(mode: ServerFlags['proxyMode'], tag: string, log: (l: string) => void, recorder?: EventRecorder): ProxyBackend {
  const onServiceEvent = (namespace: string, name: string, type: 'Normal' | 'Warning', reason: string, message: string) =>
    recorder?.event({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name } }, type, reason, message);
  const opts = { tag, log, onServiceEvent };
  if (mode === 'iptables') return new IptablesBackend(opts);
  if (mode === 'userspace') return new UserspaceBackend(opts);
  return new NftablesBackend(opts);
}

/** killall: every rule, route, address and interface any proxy mode of `tag` made. */
export async function removeProxyRules(tag: string): Promise<void> {
  await removeNftablesRules(tag);
  await removeIptablesRules(tag);
  await removeUserspaceProxy(tag);
}

/** Publishes this node's DNS server as an endpoint of kube-system/kube-dns (created or replaced). */
export async function publishDNSEndpoint(client: Client, nodeName: string, ip: string, port: number): Promise<void> {
  const name = `kube-dns-${nodeName}`.slice(0, 253);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': NODE_DNS_MANAGER } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: [
      { name: 'dns', protocol: 'UDP', port },
      { name: 'dns-tcp', protocol: 'TCP', port },
    ],
  };
  let existing;
  try {
    existing = await client.get(ENDPOINT_SLICES, 'kube-system', name);
  } catch {
    existing = undefined;
  }
  if (existing) await client.update(ENDPOINT_SLICES, { ...slice, metadata: { ...slice.metadata, resourceVersion: existing.metadata?.resourceVersion } });
  else await client.create(ENDPOINT_SLICES, slice);
}

export async function startServices(o: {
  flags: ServerFlags;
  client: Client;
  nodeName: string;
  nodeIP: string;
  tag: string;
  recorder?: EventRecorder;
  log: (line: string) => void;
}): Promise<RunningServices> {
  const { flags, client, log } = o;
  const verbose = flags.verbosity >= 2 ? log : () => {};
  const backend = proxyBackend(flags.proxyMode, o.tag, (l) => verbose(`proxy: ${l}`), o.recorder);
  // the kernel modes DNAT, so a UDP flow pinned to a gone endpoint (or to a rejection) is cleared after the sync that changed it
  const conntrack = backend.mode === 'userspace' ? undefined : new ConntrackCleaner({ log: (l) => log(`proxy: ${l}`) });
  const proxy = new ServiceProxy({ client, nodeName: o.nodeName, backend, serviceCIDRs: [flags.serviceCIDR], nodeIPs: [o.nodeIP], log: verbose, ...(conntrack ? { conntrack } : {}) });
  const lifetime = new AbortController();
  proxy.start(lifetime.signal);

  // The DNS server listens on the node IP (reachable from pods through their gateway); the port is
  // the node's own choice, behind the kube-dns Service's port 53.
  const dns = new ClusterDNS({ client, clusterDomain: flags.clusterDomain, listen: { host: o.nodeIP, port: 0 }, log: verbose });
  const { port } = await dns.start();
  await publishDNSEndpoint(client, o.nodeName, o.nodeIP, port);
  // the kube-dns Service exists from the server's bootstrap; check so a missing one is visible
  await client.get(SERVICES, 'kube-system', 'kube-dns').catch(() => log('services: kube-system/kube-dns is missing; pods will not resolve cluster names'));
  log(`services: proxy mode ${flags.proxyMode}; cluster DNS on ${o.nodeIP}:${port} for ${flags.clusterDomain}`);
  return {
    dnsPort: port,
    stop: async () => {
      lifetime.abort();
      await proxy.stop();
      await dns.stop();
    },
  };
}

// The service proxy's view of the cluster, independent of how it is enforced: every Service port
// with its virtual addresses and endpoints, as one desired state. The ServiceProxy builds it from
// Services, EndpointSlices and the Node; each mode (nftables, iptables, userspace) is a
// ProxyBackend that makes the machine match it. Backends never read the API themselves.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ProxyEndpoint {
  /** the endpoint address (a pod IP, or any address of a selector-less Service) */
  readonly ip: string;
  /** the target port resolved for this service port */
  readonly port: number;
  /** serving: ready, or serving+terminating when the Service has no ready endpoint left */
  readonly ready: boolean;
  /** the endpoint runs on this node (externalTrafficPolicy / internalTrafficPolicy Local) */
  readonly local: boolean;
}

export interface ProxyServicePort {
  /** `ns/name:portName` (portName '' when unnamed): a stable id for chains, sets and sockets */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly portName: string;
  readonly protocol: Protocol;
  /** spec.clusterIPs; empty for headless and ExternalName Services (they get no rules) */
  readonly clusterIPs: readonly string[];
  /** the service port */
  readonly port: number;
  /** NodePort and LoadBalancer Services */
  readonly nodePort?: number;
  /** status.loadBalancer.ingress[].ip, served on the service port */
  readonly loadBalancerIPs: readonly string[];
  readonly externalIPs: readonly string[];
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly internalTrafficPolicy: 'Cluster' | 'Local';
  /** sessionAffinity ClientIP with its timeout */
  readonly sessionAffinity?: { readonly timeoutSeconds: number };
  /** every endpoint, ready or not, sorted by ip then port */
  readonly endpoints: readonly ProxyEndpoint[];
}

export interface ProxyState {
  /** sorted by key */
  readonly services: readonly ProxyServicePort[];
  /** packets to addresses in these ranges without a rule are rejected, so none leaves the node */
  readonly serviceCIDRs: readonly string[];
  /** this node's addresses: NodePort targets and the default LoadBalancer ingress */
  readonly nodeIPs: readonly string[];
  /** addresses NodePorts are served on; default every local address, 127.0.0.1 included */
  readonly nodePortAddresses?: readonly string[];
}

/**
 * One proxy mode. The ServiceProxy calls `sync` with the whole desired state, rate-limited and
 * never concurrently; the backend applies it atomically (one `nft -f` / `iptables-restore`),
 * touching only what changed when it can. A rejected sync leaves the previous rules in place and
 * is retried by the caller.
 */
export interface ProxyBackend {
  readonly mode: 'nftables' | 'iptables' | 'userspace';
  sync(state: ProxyState): Promise<void>;
  /** removes every rule, socket, route and address this backend made; idempotent */
  cleanup(): Promise<void>;
}

export interface ProxyBackendOptions {
  /** table, chain, set and interface names derive from it; unique per data dir ('skiff' or 'skiff-1a2b3c4d') */
  readonly tag: string;
  readonly log?: (line: string) => void;
  /** reports a problem about a Service as a Kubernetes Event (e.g. a LoadBalancer port already taken on the node) */
  readonly onServiceEvent?: (namespace: string, name: string, type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

/** Endpoints a connection may be sent to: ready ones, restricted to local ones under a Local policy. */
export function usableEndpoints(sp: ProxyServicePort, policy: 'Cluster' | 'Local'): ProxyEndpoint[] {
  return sp.endpoints.filter((e) => e.ready && (policy === 'Cluster' || e.local));
}

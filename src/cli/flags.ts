// Command-line flags of `skiff server`, with their defaults. Parsing errors name the flag and
// what was expected.
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../api/duration.js';
import { OCI_RUNTIMES, type OciRuntimeName } from '../runtime/runc/oci-runtimes.js';

export interface ServerFlags {
  readonly dataDir: string;
  readonly port: number;
  readonly bind: string;
  /** the address the API is reached at from pods, published as the `kubernetes` Service's endpoint ('' = from --bind, else the node IP) */
  readonly advertiseAddress: string;
  /** 'sqlite' | 'memory' | a store URL */
  readonly storage: string;
  readonly disableAgent: boolean;
  readonly serviceCIDR: string;
  readonly clusterCIDR: string;
  readonly nodePortRange: readonly [number, number];
  readonly verbosity: number;
  /** kwok-style simulated nodes to run in this process (0: none) */
  readonly simulatedNodes: number;
  /** capacity of each simulated node, e.g. `cpu=32,memory=256Gi,pods=110` ('' = defaults) */
  readonly simulatedNodeCapacity: string;
  readonly nodeMonitorGracePeriodMs: number;
  /** how long an Event lives after its last write, ms (0: for ever) */
  readonly eventTTLMs: number;
  readonly defaultTolerationSeconds: number;
  /** run no controller manager and no scheduler (API only) */
  readonly disableControllers: boolean;
  /**
   * run the controller manager, the scheduler and the simulated nodes in a worker thread; default
   * (--control-loops-thread / --no-control-loops-thread not given): when simulated nodes run
   */
  readonly controlLoopsThread: boolean;
  /** size of each node's podCIDR (default 24) */
  readonly nodeCIDRMaskSize: number;
  // ---- the node agent on this machine (unless disableAgent) ----
  /** the Node's name (default: this machine's hostname, lower-cased) */
  readonly nodeName: string;
  /** the node's InternalIP ('' = the first non-loopback IPv4 address) */
  readonly nodeIP: string;
  /** HTTPS port of the kubelet's streaming server (logs, exec, port-forward); 0 picks a free one */
  readonly kubeletPort: number;
  /** the node bridge pods attach to (default skiff0) */
  readonly podBridge: string;
  /** registries reached over plain HTTP besides loopback ones (HOST:PORT) */
  readonly insecureRegistries: readonly string[];
  /** the OCI runtime that runs the containers, under conmon (default runc) */
  readonly containerRuntime: OciRuntimeName;
  // ---- Services and DNS ----
  /** how Services are enforced on this node */
  readonly proxyMode: 'nftables' | 'iptables' | 'userspace';
  /** LoadBalancer ingress addresses come from this CIDR ('' = the node addresses) */
  readonly lbPool: string;
  /** the cluster DNS domain (default cluster.local) */
  readonly clusterDomain: string;
}

export function defaultDataDir(): string {
  return process.env.SKIFF_DATA_DIR || join(homedir(), '.skiff');
}

export const SERVER_USAGE = `Usage: skiff server [flags]

Starts the control plane (API server, store) on this machine.

Flags:
  --data-dir DIR                  state directory (default $SKIFF_DATA_DIR, else ~/.skiff)
  --port N                        HTTPS port of the API (default 6443; 0 picks a free port)
  --bind ADDR                     address to listen on (default 0.0.0.0)
  --advertise-address IP          the API's address for pods: default/kubernetes' endpoint (default:
                                  --bind when it names one address, else the node IP; none on loopback)
  --storage sqlite|memory         the store (default sqlite in the data dir)
  --event-ttl D                   Events are deleted D after their last write (default 1h; 0: kept)
  --disable-agent                 control plane only, no node on this machine
  --service-cidr CIDR             ClusterIP range (default 10.43.0.0/16)
  --cluster-cidr CIDR             pod IP range (default 10.42.0.0/16)
  --service-node-port-range A-B   NodePort range (default 30000-32767)
  --simulated-nodes N             run N simulated (kwok-style) nodes in this process (default 0)
  --simulated-node-capacity SPEC  capacity of each simulated node, e.g. cpu=16,memory=64Gi,pods=110
  --node-monitor-grace-period D   a node whose Lease is older than D is unreachable (default 50s)
  --default-toleration-seconds N  not-ready/unreachable tolerations added to pods (default 300)
  --disable-controllers           no controller manager and no scheduler (API only)
  --[no-]control-loops-thread     run the controllers, the scheduler and the simulated nodes in a
                                  worker thread, on another core (default: with --simulated-nodes;
                                  else on the API server's thread)
  --node-cidr-mask-size N         prefix length of each node's podCIDR (default 24)
  -v, --v N                       log verbosity (default 0; 4 logs every request)

Node agent flags (the agent runs real containers with runc; it needs root):
  --node-name NAME                name of this node (default: the hostname)
  --node-ip IP                    InternalIP of this node (default: first non-loopback IPv4)
  --kubelet-port N                kubelet HTTPS port for logs/exec/port-forward (default 10250; 0 picks one)
  --pod-bridge NAME               Linux bridge the pods attach to (default skiff0)
  --insecure-registry HOST:PORT   pull from this registry over plain HTTP (repeatable)
  --container-runtime NAME        OCI runtime of the containers: runc (default) or crun
  --proxy-mode MODE               nftables (default), iptables or userspace: how Services are enforced
  --lb-pool CIDR                  LoadBalancer addresses from this range (default: the node addresses)
  --cluster-domain DOMAIN         cluster DNS domain (default cluster.local)
`;

export class FlagError extends Error {}

export function parseServerFlags(argv: readonly string[]): ServerFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        bind: { type: 'string' },
        'advertise-address': { type: 'string' },
        storage: { type: 'string' },
        'disable-agent': { type: 'boolean' },
        'service-cidr': { type: 'string' },
        'cluster-cidr': { type: 'string' },
        'service-node-port-range': { type: 'string' },
        v: { type: 'string', short: 'v' },
        'simulated-nodes': { type: 'string' },
        'simulated-node-capacity': { type: 'string' },
        'node-monitor-grace-period': { type: 'string' },
        'event-ttl': { type: 'string' },
        'default-toleration-seconds': { type: 'string' },
        'disable-controllers': { type: 'boolean' },
        'control-loops-thread': { type: 'boolean' },
        'node-cidr-mask-size': { type: 'string' },
        'node-name': { type: 'string' },
        'node-ip': { type: 'string' },
        'kubelet-port': { type: 'string' },
        'pod-bridge': { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true },
        'container-runtime': { type: 'string' },
        'proxy-mode': { type: 'string' },
        'lb-pool': { type: 'string' },
        'cluster-domain': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowNegative: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) throw new FlagError('');
  const port = v.port === undefined ? 6443 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlagError(`--port: expected an integer 0-65535, got "${v.port}"`);
  const range = (v['service-node-port-range'] ?? '30000-32767').split('-').map(Number);
  if (range.length !== 2 || !range.every((n) => Number.isInteger(n) && n > 0 && n < 65536) || range[0] > range[1]) {
    throw new FlagError(`--service-node-port-range: expected FROM-TO such as 30000-32767, got "${v['service-node-port-range']}"`);
  }
  const cidr = (name: string, value: string) => {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value)) throw new FlagError(`--${name}: expected an IPv4 CIDR such as 10.43.0.0/16, got "${value}"`);
    return value;
  };
  const verbosity = v.v === undefined ? 0 : Number(v.v);
  if (!Number.isInteger(verbosity) || verbosity < 0) throw new FlagError(`--v: expected a non-negative integer, got "${v.v}"`);
  const simulatedNodes = v['simulated-nodes'] === undefined ? 0 : Number(v['simulated-nodes']);
  if (!Number.isInteger(simulatedNodes) || simulatedNodes < 0) throw new FlagError(`--simulated-nodes: expected a non-negative integer, got "${v['simulated-nodes']}"`);
  /** a duration flag in ms: its default when absent; `expected` says what a bad value should have been */
  const duration = (name: string, value: string | undefined, byDefault: number, expected: string): number => {
    if (value === undefined) return byDefault;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      throw new FlagError(`--${name}: expected ${expected}, got "${value}"`);
    }
    if (ms < 0) throw new FlagError(`--${name}: expected a duration that is not negative, got "${value}"`);
    return ms;
  };
  const grace = duration('node-monitor-grace-period', v['node-monitor-grace-period'], 50_000, 'a duration such as 50s or 1m');
  const eventTTL = duration('event-ttl', v['event-ttl'], 3_600_000, 'a duration such as 1h or 30m (0: keep Events)');
  const toleration = v['default-toleration-seconds'] === undefined ? 300 : Number(v['default-toleration-seconds']);
  if (!Number.isInteger(toleration) || toleration < 0) throw new FlagError(`--default-toleration-seconds: expected a non-negative integer, got "${v['default-toleration-seconds']}"`);
  const mask = v['node-cidr-mask-size'] === undefined ? 24 : Number(v['node-cidr-mask-size']);
  if (!Number.isInteger(mask) || mask < 8 || mask > 30) throw new FlagError(`--node-cidr-mask-size: expected an integer 8-30, got "${v['node-cidr-mask-size']}"`);
  const kubeletPort = v['kubelet-port'] === undefined ? 10250 : Number(v['kubelet-port']);
  if (!Number.isInteger(kubeletPort) || kubeletPort < 0 || kubeletPort > 65535) throw new FlagError(`--kubelet-port: expected an integer 0-65535, got "${v['kubelet-port']}"`);
  const nodeName = (v['node-name'] ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) throw new FlagError(`--node-name: "${nodeName}" is not a valid node name (a DNS-1123 subdomain)`);
  const nodeIP = v['node-ip'] ?? '';
  if (nodeIP && !/^\d{1,3}(\.\d{1,3}){3}$/.test(nodeIP)) throw new FlagError(`--node-ip: expected an IPv4 address, got "${nodeIP}"`);
  const advertiseAddress = v['advertise-address'] ?? '';
  if (advertiseAddress && !/^\d{1,3}(\.\d{1,3}){3}$/.test(advertiseAddress)) throw new FlagError(`--advertise-address: expected an IPv4 address, got "${advertiseAddress}"`);
  const podBridge = v['pod-bridge'] ?? 'skiff0';
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(podBridge)) throw new FlagError(`--pod-bridge: expected an interface name of at most 15 characters, got "${podBridge}"`);
  const insecureRegistries = v['insecure-registry'] ?? [];
  for (const r of insecureRegistries) if (!/^[^/\s]+$/.test(r)) throw new FlagError(`--insecure-registry: expected HOST or HOST:PORT, got "${r}"`);
  const containerRuntime = v['container-runtime'] ?? 'runc';
  if (!(OCI_RUNTIMES as readonly string[]).includes(containerRuntime)) throw new FlagError(`--container-runtime: expected ${OCI_RUNTIMES.join(' or ')}, got "${containerRuntime}"`);
  const proxyMode = v['proxy-mode'] ?? 'nftables';
  if (proxyMode !== 'nftables' && proxyMode !== 'iptables' && proxyMode !== 'userspace') throw new FlagError(`--proxy-mode: expected nftables, iptables or userspace, got "${proxyMode}"`);
  const lbPool = v['lb-pool'] === undefined ? '' : cidr('lb-pool', v['lb-pool']);
  const clusterDomain = (v['cluster-domain'] ?? 'cluster.local').replace(/\.$/, '');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(clusterDomain)) throw new FlagError(`--cluster-domain: "${clusterDomain}" is not a DNS domain`);
  return {
    proxyMode,
    lbPool,
    clusterDomain,
    nodeName,
    nodeIP,
    kubeletPort,
    podBridge,
    insecureRegistries,
    containerRuntime: containerRuntime as OciRuntimeName,
    nodeCIDRMaskSize: mask,
    simulatedNodes,
    simulatedNodeCapacity: v['simulated-node-capacity'] ?? '',
    nodeMonitorGracePeriodMs: grace,
    eventTTLMs: eventTTL,
    defaultTolerationSeconds: toleration,
    disableControllers: v['disable-controllers'] ?? false,
    controlLoopsThread: v['control-loops-thread'] ?? simulatedNodes > 0,
    dataDir: v['data-dir'] ?? defaultDataDir(),
    port,
    bind: v.bind ?? '0.0.0.0',
    advertiseAddress,
    storage: v.storage ?? 'sqlite',
    disableAgent: v['disable-agent'] ?? false,
    serviceCIDR: cidr('service-cidr', v['service-cidr'] ?? '10.43.0.0/16'),
    clusterCIDR: cidr('cluster-cidr', v['cluster-cidr'] ?? '10.42.0.0/16'),
    nodePortRange: [range[0], range[1]],
    verbosity,
  };
}

// The userspace proxy mode: Node.js relays TCP connections and UDP datagrams itself. Cluster IPs,
// LoadBalancer ingress IPs and external IPs that are not already addresses of the node are put as
// /32s on a dummy interface named from the tag, so the proxy binds each VIP:port directly (no
// packet rewriting at all); node ports are bound on 0.0.0.0 (or on each nodePortAddress). A
// service port listens only while it has a usable endpoint, so connections to one without are
// refused by the kernel at once; an `unreachable` route per service CIDR makes every other
// service address fail at once too.
import { networkInterfaces } from 'node:os';
import { usableEndpoints, type ProxyBackend, type ProxyBackendOptions, type ProxyServicePort, type ProxyState } from '../model.js';
import { EndpointPicker } from './endpoint-picker.js';
import { vipInterfaceName } from './names.js';
import { TcpListener, type RelayTarget } from './tcp-listener.js';
import { UdpListener, UDP_IDLE_MS } from './udp-listener.js';
import { changeVipAddresses, ensureVipInterface, removeUserspaceProxy, syncUnreachableRoutes, vipAddresses } from './vip-interface.js';

export interface UserspaceBackendOptions extends ProxyBackendOptions {
  /** idle timeout of a UDP session; default 30 s */
  readonly udpIdleMs?: number;
}

/** The live state of one service port: its latest spec and the affinity of its clients. */
class ServicePortRuntime {
  sp: ProxyServicePort;
  readonly picker: EndpointPicker;
  readonly internal: RelayTarget;
  readonly external: RelayTarget;
  constructor(sp: ProxyServicePort) {
    this.sp = sp;
    this.picker = new EndpointPicker(sp.sessionAffinity?.timeoutSeconds);
    this.internal = { picker: this.picker, endpoints: () => usableEndpoints(this.sp, this.sp.internalTrafficPolicy) };
    this.external = { picker: this.picker, endpoints: () => usableEndpoints(this.sp, this.sp.externalTrafficPolicy) };
  }
  update(sp: ProxyServicePort): void {
    this.sp = sp;
    this.picker.affinitySeconds = sp.sessionAffinity?.timeoutSeconds;
  }
}

type Listener = TcpListener | UdpListener;

interface DesiredListener {
  readonly key: string; // 'tcp/host:port'
  readonly spKey: string;
  readonly protocol: 'TCP' | 'UDP';
  readonly host: string;
  readonly port: number;
  readonly kind: 'internal' | 'external';
}

export class UserspaceBackend implements ProxyBackend {
  readonly mode = 'userspace' as const;
  readonly interfaceName: string;
  private readonly opts: UserspaceBackendOptions;
  private readonly log: (line: string) => void;
  private readonly runtimes = new Map<string, ServicePortRuntime>();
  private readonly listeners = new Map<string, { listener: Listener; spKey: string }>();
  /** addresses this backend holds on its interface; undefined until read from the machine */
  private addresses: Set<string> | undefined;
  /** problems already reported (one Event per problem, not per sync); `seen`: those of the running sync */
  private reported = new Set<string>();
  private seen = new Set<string>();

  constructor(opts: UserspaceBackendOptions) {
    this.opts = opts;
    this.interfaceName = vipInterfaceName(opts.tag);
    this.log = opts.log ?? (() => undefined);
  }

  /**
   * Makes addresses, routes and sockets match `state`: addresses added before the sockets bind to
   * them, removed after theirs are closed. SCTP and IPv6 are not served (logged). A socket that cannot
   * be bound (port taken) is reported as a Warning Event `PortInUse` and retried at the next sync.
   */
  async sync(state: ProxyState): Promise<void> {
    this.seen = new Set();
    const kind = await ensureVipInterface(this.interfaceName);
    if (kind === 'bridge') this.log(`proxy userspace: no dummy driver in this kernel; ${this.interfaceName} is a bridge without ports`);
    await syncUnreachableRoutes(this.opts.tag, state.serviceCIDRs);
    if (!this.addresses) this.addresses = await vipAddresses(this.interfaceName);

    const nodeLocal = this.localAddresses();
    const nodeIPs = new Set(state.nodeIPs);
    const wanted = new Map<string, DesiredListener>();
    const vips = new Set<string>();
    const spKeys = new Set<string>();
    const conflicts: { sp: ProxyServicePort; message: string }[] = [];
    for (const sp of state.services) {
      const clusterIPs = sp.clusterIPs.filter(isIPv4);
      if (clusterIPs.length === 0) continue;
      if (sp.protocol !== 'TCP' && sp.protocol !== 'UDP') {
        this.log(`proxy userspace: ${sp.key}: protocol ${sp.protocol} is not served in userspace mode`);
        continue;
      }
      spKeys.add(sp.key);
      const runtime = this.runtimes.get(sp.key);
      if (runtime) runtime.update(sp);
      else this.runtimes.set(sp.key, new ServicePortRuntime(sp));
      const add = (host: string, port: number, kind: 'internal' | 'external') => {
        const key = `${sp.protocol.toLowerCase()}/${host}:${port}`;
        const other = wanted.get(key);
        if (!other) wanted.set(key, { key, spKey: sp.key, protocol: sp.protocol as 'TCP' | 'UDP', host, port, kind });
        else if (other.spKey !== sp.key) conflicts.push({ sp, message: `port ${port}/${sp.protocol} on ${host} is already used by Service ${other.spKey.split(':')[0]}` });
      };
      for (const ip of clusterIPs) vips.add(ip);
      const hasInternal = usableEndpoints(sp, sp.internalTrafficPolicy).length > 0;
      const hasExternal = usableEndpoints(sp, sp.externalTrafficPolicy).length > 0;
      if (hasInternal) for (const ip of clusterIPs) add(ip, sp.port, 'internal');
      // A LoadBalancer ingress that is a node address is served on the service port of every node
      // address (127.0.0.1 included), as a node port is; other ingress IPs and external IPs on the VIP interface.
      const lbIPs = sp.loadBalancerIPs.filter(isIPv4);
      const localLB = lbIPs.some((ip) => nodeLocal.has(ip) || nodeIPs.has(ip));
      const extIPs = [...new Set([...lbIPs.filter((ip) => !nodeLocal.has(ip) && !nodeIPs.has(ip)), ...sp.externalIPs.filter(isIPv4)])];
      for (const ip of extIPs) if (!nodeLocal.has(ip)) vips.add(ip);
      if (hasExternal) {
        for (const ip of extIPs) add(ip, sp.port, 'external');
        const configured = state.nodePortAddresses?.filter(isIPv4).map((a) => a.split('/')[0]!);
        if (sp.nodePort !== undefined) for (const host of configured ?? ['0.0.0.0']) add(host, sp.nodePort, 'external');
        // not 0.0.0.0 here: Linux refuses a wildcard bind next to this Service's own listening VIP:port
        if (localLB) for (const host of configured ?? [...nodeLocal].sort()) add(host, sp.port, 'external');
      }
    }

    for (const c of conflicts) this.warn(c.sp, `conflict ${c.message}`, c.message);

    // 1. addresses first (sockets bind to them)
    const toAdd = [...vips].filter((a) => !this.addresses!.has(a));
    if (toAdd.length > 0) {
      await changeVipAddresses(this.interfaceName, toAdd, []);
      for (const a of toAdd) this.addresses.add(a);
    }
    // 2. sockets: close the unwanted (or now serving another service port), open the new
    for (const [key, l] of this.listeners) {
      const w = wanted.get(key);
      if (!w || w.spKey !== l.spKey) {
        l.listener.close();
        this.listeners.delete(key);
      }
    }
    for (const key of [...this.runtimes.keys()]) if (!spKeys.has(key)) this.runtimes.delete(key);
    const starts: Promise<void>[] = [];
    for (const w of wanted.values()) {
      if (this.listeners.has(w.key)) continue;
      const runtime = this.runtimes.get(w.spKey)!;
      const target = w.kind === 'internal' ? runtime.internal : runtime.external;
      const listener =
        w.protocol === 'TCP'
          ? new TcpListener(w.host, w.port, target, this.log)
          : new UdpListener(w.host, w.port, target, this.log, this.opts.udpIdleMs ?? UDP_IDLE_MS);
      starts.push(
        listener.start().then(
          () => {
            this.listeners.set(w.key, { listener, spKey: w.spKey });
          },
          (e: NodeJS.ErrnoException) => {
            listener.close();
            const what = w.kind === 'internal' ? 'cluster IP' : w.host === '0.0.0.0' ? 'node address' : 'address';
            const msg = `cannot listen on ${what} ${w.host}:${w.port}/${w.protocol}: ${e.code === 'EADDRINUSE' ? 'port already in use on the node' : e.message}`;
            this.warn(runtime.sp, w.key, msg);
          },
        ),
      );
    }
    await Promise.all(starts);
    this.reported = new Set([...this.reported].filter((k) => this.seen.has(k)));
    // 3. addresses no longer used
    const toDel = [...this.addresses].filter((a) => !vips.has(a));
    if (toDel.length > 0) {
      await changeVipAddresses(this.interfaceName, [], toDel);
      for (const a of toDel) this.addresses.delete(a);
    }
  }

  /** Reports a problem of a Service once (as a Warning Event `PortInUse`), until a sync without it. */
  private warn(sp: ProxyServicePort, key: string, message: string): void {
    this.seen.add(key);
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log(`proxy userspace: ${sp.key}: ${message}`);
    this.opts.onServiceEvent?.(sp.namespace, sp.name, 'Warning', 'PortInUse', message);
  }

  /** Closes every socket and removes the interface (with its addresses) and the routes. Idempotent. */
  async cleanup(): Promise<void> {
    for (const l of this.listeners.values()) l.listener.close();
    this.listeners.clear();
    this.runtimes.clear();
    this.addresses = undefined;
    await removeUserspaceProxy(this.opts.tag);
  }

  /** The node's IPv4 addresses outside our interface. */
  private localAddresses(): Set<string> {
    const out = new Set<string>();
    for (const [name, addrs] of Object.entries(networkInterfaces())) {
      if (name === this.interfaceName) continue;
      for (const a of addrs ?? []) if (a.family === 'IPv4') out.add(a.address);
    }
    return out;
  }
}

function isIPv4(a: string): boolean {
  return !a.includes(':');
}

export { removeUserspaceProxy };

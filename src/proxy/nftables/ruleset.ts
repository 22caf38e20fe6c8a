// The nftables proxy's rules as data, and the one-transaction script that takes the kernel from
// the last applied ruleset to the next. Pure: the backend supplies the machine facts (local
// addresses, ports with a local listener) and runs the script with `nft -f -`.
//
// One table, `ip <tag>`; nothing outside it is read or written. Its shape (kube-proxy's nftables
// mode, simplified):
//
//   nat-prerouting / nat-output (nat, dstnat)  → services
//   services:  ip daddr . l4proto . dport vmap @service-ips      (cluster IPs, LB IPs, external IPs)
//              fib daddr type local l4proto . dport vmap @node-ports  (NodePorts, and LB ports served
//                                                               on every local address, 127.0.0.1 too)
//   svc-H:     cluster traffic of one service port: affinity lookups, then
//              numgen random mod N vmap { i : goto ep-E_i }      (a random endpoint per connection)
//   ext-H:     NodePort/LB/external traffic: policy Cluster marks for masquerade and uses every
//              usable endpoint; Local keeps the client IP and uses only this node's endpoints
//   ep-E:      hairpin (source is the endpoint) → mark; ClientIP affinity → update @aff-E { ip saddr };
//              dnat to ip:port
//   nat-output marks every node-originated connection for masquerade while it runs `services` and
//   clears the mark when nothing matched, so only DNAT'd node traffic is masqueraded (needed for
//   127.0.0.1 sources with route_localnet=1).
//   nat-postrouting (srcnat): marked → clear the mark, masquerade fully-random
//   filter-{input,forward,output} (filter - 10), new connections not DNAT'd by anyone:
//     @no-endpoint-services / @no-endpoint-nodeports → reject (tcp reset, else icmp port-unreachable)
//     any other address in @service-cidrs → reject, so nothing for it leaves the node
// Conntrack undoes the DNAT and masquerade on replies.
import { createHash } from 'node:crypto';
import { usableEndpoints, type ProxyEndpoint, type ProxyServicePort, type ProxyState } from '../model.js';

/** the packet mark bit meaning "masquerade this connection" (kube-proxy uses 0x4000; another bit so modes never share it) */
export const MASQUERADE_MARK = 0x2000;

export interface NftObject {
  readonly kind: 'chain' | 'set' | 'map';
  /** what follows the name in `add chain/set/map ip TABLE NAME { ... }` (without braces) */
  readonly decl: string;
  /** chains: the rules, in order */
  readonly rules?: readonly string[];
  /** sets and maps: element text by key (`key` or `key : value`); undefined for dynamic (kernel-filled) sets */
  readonly elements?: ReadonlyMap<string, string>;
}

/** the table's whole content by object name */
export type Ruleset = ReadonlyMap<string, NftObject>;

export interface RulesetEnvironment {
  /** addresses on this node (with 127.0.0.1): LB IPs among them are served on every local address */
  readonly localAddresses: ReadonlySet<string>;
  /** a local listener already holds this port (then a LoadBalancer port is not taken over) */
  readonly portInUse: (protocol: string, port: number) => boolean;
}

export interface RulesetWarning {
  readonly namespace: string;
  readonly name: string;
  readonly reason: 'PortInUse';
  readonly message: string;
}

const hash = (s: string) => createHash('sha256').update(s).digest('base64url').replace(/[-_]/g, 'x').slice(0, 12);
export const serviceChain = (sp: ProxyServicePort) => `svc-${hash(sp.key)}`;
export const externalChain = (sp: ProxyServicePort) => `ext-${hash(sp.key)}`;
export const endpointChain = (sp: ProxyServicePort, e: ProxyEndpoint) => `ep-${hash(`${sp.key} ${e.ip}:${e.port}`)}`;
const affinitySet = (sp: ProxyServicePort, e: ProxyEndpoint) => `aff-${hash(`${sp.key} ${e.ip}:${e.port} ${sp.sessionAffinity?.timeoutSeconds}`)}`;

const MASK = `0x${((0xffffffff ^ MASQUERADE_MARK) >>> 0).toString(16)}`;
const MARK = `0x${MASQUERADE_MARK.toString(16)}`;
const UNMARK = `meta mark set meta mark & ${MASK}`;

/** The desired table content for `state`, and the Services that could not get what they asked for. */
export function desiredRuleset(state: ProxyState, env: RulesetEnvironment): { ruleset: Ruleset; warnings: RulesetWarning[] } {
  const objs = new Map<string, NftObject>();
  const warnings: RulesetWarning[] = [];
  const serviceIPs = new Map<string, string>();
  const nodePorts = new Map<string, string>();
  const nodePortOwner = new Map<string, string>();
  const noEndpointServices = new Map<string, string>();
  const noEndpointNodePorts = new Map<string, string>();
  const chain = (name: string, rules: string[], decl = '') => objs.set(name, { kind: 'chain', decl, rules });

  const nodePortMatch = state.nodePortAddresses ? 'ip daddr @nodeport-ips' : 'fib daddr type local';
  chain('nat-prerouting', ['jump services'], 'type nat hook prerouting priority -100; policy accept;');
  chain('nat-output', [`meta mark set meta mark | ${MARK}`, 'jump services', `meta mark set meta mark & ${MASK}`], 'type nat hook output priority -100; policy accept;');
  chain('nat-postrouting', [`meta mark & ${MARK} == 0 return`, `meta mark set meta mark & ${MASK}`, 'masquerade fully-random'], 'type nat hook postrouting priority 100; policy accept;');
  chain('services', ['ip daddr . meta l4proto . th dport vmap @service-ips', `${nodePortMatch} meta l4proto . th dport vmap @node-ports`]);
  chain('mark-for-masquerade', [`meta mark set meta mark | ${MARK}`]);
  chain('filter-input', ['ct state new jump reject-check-local'], 'type filter hook input priority -10; policy accept;');
  chain('filter-forward', ['ct state new jump reject-check'], 'type filter hook forward priority -10; policy accept;');
  chain('filter-output', ['ct state new jump reject-check'], 'type filter hook output priority -10; policy accept;');
  chain('reject-check', ['ct status dnat return', 'ip daddr . meta l4proto . th dport @no-endpoint-services goto reject-connection', 'ip daddr @service-cidrs goto reject-connection']);
  chain('reject-check-local', [
    'ct status dnat return',
    'ip daddr . meta l4proto . th dport @no-endpoint-services goto reject-connection',
    `${nodePortMatch} meta l4proto . th dport @no-endpoint-nodeports goto reject-connection`,
  ]);
  chain('reject-connection', ['meta l4proto tcp reject with tcp reset', 'reject']);

  const claimNodePort = (sp: ProxyServicePort, proto: string, port: number, what: string): boolean => {
    const k = `${proto} . ${port}`;
    const owner = nodePortOwner.get(k);
    if (owner !== undefined) {
      warnings.push({ namespace: sp.namespace, name: sp.name, reason: 'PortInUse', message: `${what} ${port}/${proto.toUpperCase()} on the node's addresses is already used by Service ${owner}` });
      return false;
    }
    nodePortOwner.set(k, `${sp.namespace}/${sp.name}`);
    return true;
  };

  for (const sp of state.services) {
    const proto = sp.protocol.toLowerCase();
    const clusterEps = usableEndpoints(sp, sp.internalTrafficPolicy);
    const externalEps = usableEndpoints(sp, sp.externalTrafficPolicy);
    for (const e of new Set([...clusterEps, ...externalEps])) {
      const rules = [`ip saddr ${e.ip} jump mark-for-masquerade`];
      // The node reaching a pod of its own needs no SNAT: the reply comes back through the bridge
      // to the node's address. Masquerading it anyway (kube-proxy does, `fully-random`) gives the
      // pod source ports unrelated to the client's, which land on the pod's TIME_WAIT sockets of
      // earlier connections and are refused by PAWS: 1 s SYN retransmits under load. 127.0.0.0/8
      // sources (route_localnet) still need it; traffic to another node's pods keeps it.
      if (e.local) rules.push(`ip saddr != 127.0.0.0/8 fib saddr type local ${UNMARK}`);
      if (sp.sessionAffinity) {
        const set = affinitySet(sp, e);
        objs.set(set, { kind: 'set', decl: `type ipv4_addr; flags dynamic,timeout; timeout ${sp.sessionAffinity.timeoutSeconds}s;` });
        rules.push(`update @${set} { ip saddr }`);
      }
      rules.push(`meta l4proto ${proto} dnat to ${e.ip}:${e.port}`);
      chain(endpointChain(sp, e), rules);
    }
    // Cluster IPs
    if (clusterEps.length) {
      chain(serviceChain(sp), dispatch(sp, clusterEps));
      for (const ip of sp.clusterIPs) serviceIPs.set(`${ip} . ${proto} . ${sp.port}`, `goto ${serviceChain(sp)}`);
    } else {
      for (const ip of sp.clusterIPs) noEndpointServices.set(`${ip} . ${proto} . ${sp.port}`, '');
    }
    // External: NodePort, LoadBalancer IPs, external IPs
    const localLB = sp.loadBalancerIPs.filter((ip) => env.localAddresses.has(ip));
    const remoteAddrs = [...sp.loadBalancerIPs.filter((ip) => !env.localAddresses.has(ip)), ...sp.externalIPs];
    let serveLocally = false;
    if (localLB.length) {
      if (env.portInUse(proto, sp.port)) {
        warnings.push({ namespace: sp.namespace, name: sp.name, reason: 'PortInUse', message: `LoadBalancer port ${sp.port}/${sp.protocol} is already in use by a process on the node (ingress ${localLB.join(', ')}); not served there` });
      } else {
        serveLocally = claimNodePort(sp, proto, sp.port, 'LoadBalancer port');
      }
    }
    const nodePort = sp.nodePort !== undefined && claimNodePort(sp, proto, sp.nodePort, 'NodePort') ? sp.nodePort : undefined;
    const externalKeys = remoteAddrs.map((ip) => `${ip} . ${proto} . ${sp.port}`);
    if (serveLocally) externalKeys.push(...localLB.map((ip) => `${ip} . ${proto} . ${sp.port}`));
    const localPorts = [...(nodePort !== undefined ? [nodePort] : []), ...(serveLocally ? [sp.port] : [])].map((p) => `${proto} . ${p}`);
    if (externalKeys.length === 0 && localPorts.length === 0) continue;
    if (externalEps.length) {
      const ext = externalChain(sp);
      chain(ext, [...(sp.externalTrafficPolicy === 'Cluster' ? ['jump mark-for-masquerade'] : []), ...dispatch(sp, externalEps)]);
      for (const k of externalKeys) if (!serviceIPs.has(k)) serviceIPs.set(k, `goto ${ext}`);
      for (const k of localPorts) nodePorts.set(k, `goto ${ext}`);
    } else {
      for (const k of externalKeys) noEndpointServices.set(k, '');
      for (const k of localPorts) noEndpointNodePorts.set(k, '');
    }
  }

  const elements = (m: Map<string, string>) => new Map([...m].map(([k, v]) => [k, v ? `${k} : ${v}` : k]));
  objs.set('service-ips', { kind: 'map', decl: 'type ipv4_addr . inet_proto . inet_service : verdict;', elements: elements(serviceIPs) });
  objs.set('node-ports', { kind: 'map', decl: 'type inet_proto . inet_service : verdict;', elements: elements(nodePorts) });
  objs.set('no-endpoint-services', { kind: 'set', decl: 'type ipv4_addr . inet_proto . inet_service;', elements: elements(noEndpointServices) });
  objs.set('no-endpoint-nodeports', { kind: 'set', decl: 'type inet_proto . inet_service;', elements: elements(noEndpointNodePorts) });
  objs.set('service-cidrs', { kind: 'set', decl: 'type ipv4_addr; flags interval; auto-merge;', elements: new Map(state.serviceCIDRs.map((c) => [c, c])) });
  if (state.nodePortAddresses) {
    objs.set('nodeport-ips', { kind: 'set', decl: 'type ipv4_addr; flags interval; auto-merge;', elements: new Map(state.nodePortAddresses.map((c) => [c, c])) });
  }
  return { ruleset: objs, warnings };
}

/** affinity lookups (a known client keeps its endpoint), then a random endpoint */
function dispatch(sp: ProxyServicePort, eps: readonly ProxyEndpoint[]): string[] {
  const rules = sp.sessionAffinity ? eps.map((e) => `ip saddr @${affinitySet(sp, e)} goto ${endpointChain(sp, e)}`) : [];
  if (eps.length === 1) rules.push(`goto ${endpointChain(sp, eps[0]!)}`);
  else rules.push(`numgen random mod ${eps.length} vmap { ${eps.map((e, i) => `${i} : goto ${endpointChain(sp, e)}`).join(', ')} }`);
  return rules;
}

/**
 * The `nft -f` script (one atomic transaction) from `prev` to `next` in table `ip <table>`.
 * Without `prev` (first sync, or after a failed one) the table is deleted and rebuilt in the same
 * transaction; with it only changed chains are rewritten and only changed elements added or
 * deleted, and affinity sets keep their entries. Returns '' when nothing changed.
 */
export function syncScript(table: string, prev: Ruleset | undefined, next: Ruleset): string {
  const out: string[] = [];
  const t = `ip ${table}`;
  const declare = (name: string, o: NftObject) => out.push(`add ${o.kind} ${t} ${name} { ${o.decl} }`);
  const addElements = (name: string, els: Iterable<string>) => {
    const list = [...els];
    for (let i = 0; i < list.length; i += 1000) out.push(`add element ${t} ${name} { ${list.slice(i, i + 1000).join(', ')} }`);
  };
  const addRules = (name: string, rules: readonly string[]) => {
    for (const r of rules) out.push(`add rule ${t} ${name} ${r}`);
  };
  if (!prev) {
    out.push(`add table ${t}`, `delete table ${t}`, `add table ${t}`);
    for (const [name, o] of next) if (o.kind !== 'chain') declare(name, o);
    for (const [name, o] of next) if (o.kind === 'chain') declare(name, o);
    for (const [name, o] of next) if (o.kind === 'chain') addRules(name, o.rules ?? []);
    for (const [name, o] of next) if (o.elements) addElements(name, o.elements.values());
    return out.join('\n') + '\n';
  }
  for (const [name, o] of next) {
    const p = prev.get(name);
    if (!p && o.kind !== 'chain') declare(name, o);
  }
  for (const [name, o] of next) if (o.kind === 'chain' && !prev.has(name)) declare(name, o);
  for (const [name, o] of next) {
    if (o.kind !== 'chain') continue;
    const p = prev.get(name);
    if (p && sameRules(p.rules ?? [], o.rules ?? [])) continue;
    if (p) out.push(`flush chain ${t} ${name}`);
    addRules(name, o.rules ?? []);
  }
  for (const [name, o] of next) {
    if (!o.elements) continue;
    const before = prev.get(name)?.elements ?? new Map<string, string>();
    const gone = [...before].filter(([k, v]) => o.elements!.get(k) !== v).map(([k]) => k);
    if (gone.length) out.push(`delete element ${t} ${name} { ${gone.join(', ')} }`);
    addElements(name, [...o.elements].filter(([k, v]) => before.get(k) !== v).map(([, v]) => v));
  }
  const stale = [...prev].filter(([name]) => !next.has(name));
  for (const [name, o] of stale) if (o.kind === 'chain') out.push(`flush chain ${t} ${name}`);
  for (const [name, o] of stale) if (o.kind === 'chain') out.push(`delete chain ${t} ${name}`);
  for (const [name, o] of stale) if (o.kind !== 'chain') out.push(`delete ${o.kind} ${t} ${name}`);
  return out.length ? out.join('\n') + '\n' : '';
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

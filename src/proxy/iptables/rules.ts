// The pure part of the iptables mode: the desired chains of the nat and filter tables for one
// ProxyState, in kube-proxy's classic layout (SERVICES → SVC → SEP, NODEPORTS, EXT, SVL,
// MARK-MASQ/POSTROUTING), with this tag's names. No I/O: the backend diffs and applies the result.
import { usableEndpoints, type ProxyEndpoint, type ProxyServicePort, type ProxyState } from '../model.js';
import { fixedChains, hashedChain } from './names.js';

/** The mark bit that asks the POSTROUTING chain to masquerade (kube-proxy's 0x4000). */
export const MASQUERADE_MARK = '0x4000';
const UNMARK_MASK = `0x${((0xffffffff ^ Number(MASQUERADE_MARK)) >>> 0).toString(16)}`;

/** Chain name → its rules (each the arguments after `-A CHAIN`), in order. */
export type ChainRules = Map<string, string[]>;

export interface IptablesRuleSet {
  readonly nat: ChainRules;
  readonly filter: ChainRules;
  /** problems to report as Warning Events (reason PortInUse) */
  readonly warnings: readonly RuleWarning[];
}

export interface RuleWarning {
  readonly namespace: string;
  readonly name: string;
  readonly reason: 'PortInUse';
  readonly message: string;
}

/** What the rules depend on besides the state: the node's addresses and the ports processes listen on. */
export interface NodeEnvironment {
  /** every local IPv4 address (127.0.0.1 included) */
  readonly localAddresses: ReadonlySet<string>;
  readonly portInUse: (protocol: 'tcp' | 'udp' | 'sctp', port: number) => boolean;
}

const NO_ENV: NodeEnvironment = { localAddresses: new Set(), portInUse: () => false };

/** A jump from a built-in chain into one of ours, inserted once and left alone afterwards. */
export interface JumpRule {
  readonly table: 'nat' | 'filter';
  readonly chain: string; // built-in chain
  readonly target: string; // our chain
  readonly args: string; // the rule, `-j target` included
}

/** The jumps of `prefix` into its chains, in the order they should appear in each built-in chain. */
export function jumpRules(prefix: string, tag: string): JumpRule[] {
  const c = fixedChains(prefix);
  const comment = (what: string) => `-m comment --comment "${sanitizeComment(`${tag} ${what}`)}"`;
  const j = (table: 'nat' | 'filter', chain: string, target: string, match: string, what: string): JumpRule => ({
    table,
    chain,
    target,
    args: `${match ? match + ' ' : ''}${comment(what)} -j ${target}`,
  });
  const isNew = '-m conntrack --ctstate NEW';
  return [
    j('nat', 'PREROUTING', c.services, '', 'service portals'),
    j('nat', 'OUTPUT', c.services, '', 'service portals'),
    j('nat', 'POSTROUTING', c.postrouting, '', 'postrouting rules'),
    j('filter', 'INPUT', c.external, isNew, 'external services'),
    j('filter', 'INPUT', c.firewall, '', 'firewall'),
    j('filter', 'FORWARD', c.services, isNew, 'service portals'),
    j('filter', 'FORWARD', c.external, isNew, 'external services'),
    j('filter', 'FORWARD', c.forward, '', 'forwarding rules'),
    j('filter', 'OUTPUT', c.services, isNew, 'service portals'),
  ];
}

/**
 * The chains for `state`. Only IPv4 addresses get rules (IPv6 ones are skipped); Services without
 * cluster IPs (headless, ExternalName) get none. Deterministic: the same state gives the same text,
 * so an unchanged state is recognised and skipped.
 */
export function buildRules(state: ProxyState, prefix: string, env: NodeEnvironment = NO_ENV): IptablesRuleSet {
  const c = fixedChains(prefix);
  const nat: ChainRules = new Map();
  const filter: ChainRules = new Map();
  const natServices: string[] = [];
  const natNodePorts: string[] = [];
  const filterServices: string[] = [];
  const filterExternal: string[] = [];
  nat.set(c.services, natServices);
  nat.set(c.nodePorts, natNodePorts);
  nat.set(c.markMasq, [`-j MARK --or-mark ${MASQUERADE_MARK}`]);
  nat.set(c.postrouting, [
    `-m mark ! --mark ${MASQUERADE_MARK}/${MASQUERADE_MARK} -j RETURN`,
    `-j MARK --xor-mark ${MASQUERADE_MARK}`,
    `-m comment --comment "masquerade service traffic that needs it" -j MASQUERADE --random-fully`,
  ]);
  filter.set(c.services, filterServices);
  filter.set(c.external, filterExternal);
  filter.set(c.forward, [
    `-m mark --mark ${MASQUERADE_MARK}/${MASQUERADE_MARK} -j ACCEPT`,
    `-m conntrack --ctstate DNAT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  ]);
  // route_localnet=1 lets 127.0.0.1 be DNAT'd to a pod; never accept 127/8 from outside the node.
  filter.set(c.firewall, [
    `! -s 127.0.0.0/8 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment "block incoming localnet connections" -j DROP`,
  ]);

  const local = new Set([...env.localAddresses, ...state.nodeIPs]);
  const warnings: RuleWarning[] = [];
  /** 'proto/port' served on every node address (node ports, local LoadBalancer ports) → its Service */
  const portOwner = new Map<string, string>();
  const claim = (sp: ProxyServicePort, proto: string, port: number, what: string): boolean => {
    const owner = portOwner.get(`${proto}/${port}`);
    if (owner !== undefined) {
      warnings.push({ namespace: sp.namespace, name: sp.name, reason: 'PortInUse', message: `${what} ${port}/${proto.toUpperCase()} on the node's addresses is already used by Service ${owner}` });
      return false;
    }
    portOwner.set(`${proto}/${port}`, `${sp.namespace}/${sp.name}`);
    return true;
  };
  const reject = '-j REJECT --reject-with icmp-port-unreachable';

  for (const sp of state.services) {
    const clusterIPs = sp.clusterIPs.filter(isIPv4);
    if (clusterIPs.length === 0) continue; // headless, ExternalName
    const proto = sp.protocol.toLowerCase();
    const pm = `-p ${proto} -m ${proto}`;
    const id = `${sp.key}/${sp.protocol}`;
    const svc = hashedChain(prefix, 'SVC', id);
    const svl = hashedChain(prefix, 'SVL', id);
    const ext = hashedChain(prefix, 'EXT', id);
    const name = sanitizeComment(sp.key);

    const ready = usableEndpoints(sp, 'Cluster');
    const localEps = usableEndpoints(sp, 'Local');
    const internal = sp.internalTrafficPolicy === 'Local' ? localEps : ready;
    const external = sp.externalTrafficPolicy === 'Local' ? localEps : ready;
    const internalChain = sp.internalTrafficPolicy === 'Local' ? svl : svc;

    // Endpoint chains (shared by SVC and SVL).
    const sepOf = (e: ProxyEndpoint) => hashedChain(prefix, 'SEP', `${id}/${e.ip}:${e.port}`);
    for (const e of ready) {
      const sep = sepOf(e);
      const affinity = sp.sessionAffinity ? `-m recent --name ${sep} --set ` : '';
      nat.set(sep, [
        `-s ${e.ip}/32 -m comment --comment "${name} hairpin" -j ${c.markMasq}`,
        // the node reaching its own pod from a non-loopback address needs no SNAT (the reply
        // comes back through the bridge); see the nftables ruleset for why it must not get one
        ...(e.local ? [`! -s 127.0.0.0/8 -m addrtype --src-type LOCAL -m comment --comment "${name} from the node to a local pod, no SNAT" -j MARK --and-mark ${UNMARK_MASK}`] : []),
        `${pm} ${affinity}-j DNAT --to-destination ${e.ip}:${e.port}`,
      ]);
    }
    const balance = (eps: ProxyEndpoint[]): string[] => {
      // node-originated traffic (127.0.0.1 included) needs a source address the pod can answer
      const rules = [`-m addrtype --src-type LOCAL -j ${c.markMasq}`];
      if (sp.sessionAffinity) {
        for (const e of eps) {
          rules.push(`-m recent --name ${sepOf(e)} --rcheck --seconds ${sp.sessionAffinity.timeoutSeconds} --reap -j ${sepOf(e)}`);
        }
      }
      eps.forEach((e, i) => {
        const left = eps.length - i;
        rules.push(left > 1 ? `-m statistic --mode random --probability ${probability(left)} -j ${sepOf(e)}` : `-j ${sepOf(e)}`);
      });
      return rules;
    };
    if (ready.length > 0) nat.set(svc, balance(ready));
    if (localEps.length > 0 && (sp.internalTrafficPolicy === 'Local' || sp.externalTrafficPolicy === 'Local')) nat.set(svl, balance(localEps));

    // Cluster IPs.
    for (const ip of clusterIPs) {
      const m = `-d ${ip}/32 ${pm} --dport ${sp.port}`;
      if (internal.length > 0) natServices.push(`${m} -m comment --comment "${name} cluster IP" -j ${internalChain}`);
      else filterServices.push(`${m} -m comment --comment "${name} has no endpoints" ${reject}`);
    }

    // External entry points: NodePort, LoadBalancer ingress IPs, externalIPs. A LoadBalancer
    // ingress that is an address of this node (the default, like k3s' ServiceLB) is served on the
    // service port of every node address, 127.0.0.1 included, as a node port is — unless a process
    // on the node listens on that port (reported, not taken over).
    const lbIPs = sp.loadBalancerIPs.filter(isIPv4);
    const localLB = lbIPs.filter((ip) => local.has(ip));
    const extIPs = [...new Set([...lbIPs.filter((ip) => !local.has(ip)), ...sp.externalIPs.filter(isIPv4)])];
    let lbPort: number | undefined;
    if (localLB.length > 0) {
      if (env.portInUse(proto as 'tcp', sp.port)) {
        warnings.push({ namespace: sp.namespace, name: sp.name, reason: 'PortInUse', message: `LoadBalancer port ${sp.port}/${sp.protocol} is already in use by a process on the node (ingress ${localLB.join(', ')}); not served there` });
      } else if (claim(sp, proto, sp.port, 'LoadBalancer port')) {
        lbPort = sp.port;
      }
    }
    const nodePort = sp.nodePort !== undefined && claim(sp, proto, sp.nodePort, 'NodePort') ? sp.nodePort : undefined;
    const localPorts = [...(nodePort !== undefined ? [nodePort] : []), ...(lbPort !== undefined ? [lbPort] : [])];
    const hasExternal = extIPs.length > 0 || localPorts.length > 0;
    if (hasExternal && ready.length > 0) {
      const rules: string[] = [];
      if (sp.externalTrafficPolicy === 'Cluster') {
        rules.push(`-m comment --comment "masquerade traffic for ${name} external destinations" -j ${c.markMasq}`, `-j ${svc}`);
      } else {
        // Local: the client's address is kept and only local endpoints serve; traffic from the
        // node itself still reaches any endpoint (masqueraded), as in kube-proxy.
        rules.push(`-m addrtype --src-type LOCAL -j ${c.markMasq}`, `-m addrtype --src-type LOCAL -j ${svc}`);
        if (localEps.length > 0) rules.push(`-j ${svl}`);
      }
      nat.set(ext, rules);
    }
    for (const ip of extIPs) {
      const m = `-d ${ip}/32 ${pm} --dport ${sp.port}`;
      if (ready.length > 0) natServices.push(`${m} -m comment --comment "${name} external IP" -j ${ext}`);
      if (ready.length === 0) filterServices.push(`${m} -m comment --comment "${name} has no endpoints" ${reject}`);
      else if (external.length === 0) filterExternal.push(`${m} -m comment --comment "${name} has no local endpoints" ${reject}`);
    }
    for (const port of localPorts) {
      const what = port === nodePort ? 'node port' : 'LoadBalancer port';
      if (ready.length > 0) natNodePorts.push(`${pm} --dport ${port} -m comment --comment "${name} ${what}" -j ${ext}`);
      if (external.length === 0) {
        const why = ready.length === 0 ? 'has no endpoints' : 'has no local endpoints';
        for (const dst of nodePortDestinations(state)) {
          filterExternal.push(`${dst} ${pm} --dport ${port} -m comment --comment "${name} ${why}" ${reject}`);
        }
      }
    }
  }

  for (const dst of nodePortDestinations(state)) {
    natServices.push(`${dst} -m comment --comment "node ports" -j ${c.nodePorts}`);
  }
  for (const cidr of state.serviceCIDRs.filter(isIPv4)) {
    filterServices.push(`-d ${cidr} -m comment --comment "rest of the service CIDR" ${reject}`);
  }
  return { nat, filter, warnings };
}

/** Where node ports are served: every local address, or the configured ones. */
function nodePortDestinations(state: ProxyState): string[] {
  if (state.nodePortAddresses === undefined) return ['-m addrtype --dst-type LOCAL'];
  return state.nodePortAddresses.filter(isIPv4).map((a) => `-d ${a.includes('/') ? a : a + '/32'}`);
}

/** 1/n with the ten digits kube-proxy uses. */
function probability(n: number): string {
  return (1 / n).toFixed(10);
}

function isIPv4(a: string): boolean {
  return !a.includes(':');
}

function sanitizeComment(s: string): string {
  return s.replace(/["\\\n]/g, '_');
}


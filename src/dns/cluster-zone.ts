// The cluster zone: every DNS name the cluster's Services, EndpointSlices and Pods define, built
// as one immutable snapshot (pure: no I/O) and answered from memory. Names follow the Kubernetes
// DNS specification as CoreDNS' kubernetes plugin (with `pods insecure`) serves it:
//   NAME.NS.svc.DOMAIN              A/AAAA  cluster IPs; headless: the ready endpoint addresses
//   HOST.NAME.NS.svc.DOMAIN         A/AAAA  a headless endpoint (HOST = its hostname, or its IP dashed)
//   _PORT._PROTO.NAME.NS.svc.DOMAIN SRV     a named port: target NAME.NS.svc.DOMAIN, or per endpoint (headless)
//   NAME.NS.svc.DOMAIN              CNAME   an ExternalName Service (chased when the target is in the zone)
//   A-B-C-D.NS.pod.DOMAIN           A       1.2.3.4 for any namespace (`pods insecure`; IPv6 with dashes → AAAA)
//   D.C.B.A.in-addr.arpa (ip6.arpa) PTR     cluster IP → its Service; pod IP → endpoint hostname name or A-B-C-D.NS.pod.DOMAIN
//   DOMAIN                          SOA, NS ns.dns.DOMAIN (whose A is kube-system/kube-dns' cluster IP)
// A name inside DOMAIN that does not exist is NXDOMAIN, one that exists without the asked type is
// NODATA; both carry the SOA in the authority section (negative caching, RFC 2308). Reverse names
// are ours only for IPs the cluster knows; others are left to the upstreams (`fallthrough`).
// Lookups are case-insensitive; answers are owned by the asked name as the client spelled it.
import { isIP } from 'node:net';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Answer, RecordType, SoaAnswer, SrvData } from 'dns-packet';

/** CoreDNS' default TTL for cluster records (seconds). */
export const DEFAULT_TTL = 5;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** CNAME chains longer than this are cut (a loop between ExternalName Services). */
export const MAX_CNAME_CHAIN = 8;

export type Rcode = 'NOERROR' | 'NXDOMAIN';

export interface ZoneAnswer {
  readonly rcode: Rcode;
  readonly answers: Answer[];
  readonly authorities: Answer[];
  readonly additionals: Answer[];
  /** set when the answer ends in a CNAME to a name outside the zone: the caller may resolve it upstream and append the result */
  readonly chase?: string;
}

interface Node {
  a: string[];
  aaaa: string[];
  srv: SrvData[];
  cname?: string;
}

export interface ZoneSource {
  readonly domain: string;
  readonly services: readonly Service[];
  readonly slices: readonly EndpointSlice[];
  readonly pods: readonly Pod[];
  /** default DEFAULT_TTL */
  readonly ttl?: number;
  /** SOA serial; default the current time in seconds */
  readonly serial?: number;
}

/** lower-case, no trailing dot */
export function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** 1.2.3.4 → 1-2-3-4; 2001:db8::1 → 2001-db8--1 (the pod and endpoint name of an IP). */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** The reverse name of an IP (`4.3.2.1.in-addr.arpa`, nibbles for IPv6), lower-case. */
export function reverseName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${expandIPv6(ip).replace(/:/g, '').split('').reverse().join('.')}.ip6.arpa`;
}

function expandIPv6(ip: string): string {
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** The IP a reverse name stands for, or undefined when it is not a complete address. */
export function ipOfReverseName(name: string): string | undefined {
  const n = normalizeName(name);
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    const ip = parts.reverse().join('.');
    return parts.length === 4 && isIP(ip) === 4 && parts.every((p) => /^\d+$/.test(p) && String(Number(p)) === p) ? ip : undefined;
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
    const hex = nibbles.reverse().join('');
    return compressIPv6(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

function compressIPv6(full: string): string {
  const groups = full.split(':').map((g) => g.replace(/^0+(?=.)/, ''));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function isReady(ep: { conditions?: { ready?: boolean } }): boolean {
  return ep.conditions?.ready !== false; // nil means ready (discovery/v1)
}

export class ClusterZone {
  readonly domain: string;
  readonly ttl: number;
  readonly serial: number;
  private readonly nodes = new Map<string, Node>();
  /** names that exist only because something exists below them */
  private readonly interior = new Set<string>();
  private readonly reverse = new Map<string, string[]>();
  /** pod IP → namespace, for PTRs not claimed by a Service or an endpoint hostname (names made on lookup) */
  private readonly podNamespace = new Map<string, string>();
  private readonly namespaces = new Set<string>();

  constructor(src: ZoneSource) {
    this.domain = normalizeName(src.domain);
    this.ttl = src.ttl ?? DEFAULT_TTL;
    this.serial = src.serial ?? Math.floor(Date.now() / 1000);
    this.build(src);
  }

  /** true when `name` is in the cluster domain (the zone answers it, positively or not) */
  inZone(name: string): boolean {
    const n = normalizeName(name);
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  /**
   * The answer to one question, or undefined when the name is not ours (outside the domain, or a
   * reverse name of an IP the cluster does not know): then the caller forwards it.
   */
  answer(qname: string, qtype: RecordType | string): ZoneAnswer | undefined {
    const n = normalizeName(qname);
    if (!this.inZone(n)) {
      const ip = ipOfReverseName(n);
      if (ip === undefined) return undefined;
      const podNS = this.podNamespace.get(ip);
      const names = this.reverse.get(ip) ?? (podNS === undefined ? undefined : [`${dashedIP(ip)}.${podNS}.pod.${this.domain}`]);
      if (!names) return undefined;
      if (qtype !== 'PTR' && qtype !== 'ANY') return { rcode: 'NOERROR', answers: [], authorities: [], additionals: [] };
      return { rcode: 'NOERROR', answers: names.map((data) => ({ type: 'PTR', name: qname, ttl: this.ttl, data })), authorities: [], additionals: [] };
    }
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    let owner = qname;
    let current = n;
    for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
      const node = this.node(current);
      if (!node) {
        if (hop > 0) return { rcode: 'NOERROR', answers, authorities: [this.soa()], additionals };
        const exists = this.interior.has(current) || current === this.domain;
        if (exists && current === this.domain) answers.push(...this.apex(owner, qtype));
        return { rcode: exists ? 'NOERROR' : 'NXDOMAIN', answers, authorities: answers.length ? [] : [this.soa()], additionals };
      }
      if (node.cname !== undefined) {
        answers.push({ type: 'CNAME', name: owner, ttl: this.ttl, data: node.cname });
        if (qtype === 'CNAME' || qtype === 'ANY') break;
        if (!this.inZone(node.cname)) return { rcode: 'NOERROR', answers, authorities: [], additionals, chase: node.cname };
        owner = node.cname;
        current = node.cname;
        continue;
      }
      const ttl = this.ttl;
      if (qtype === 'A' || qtype === 'ANY') for (const ip of node.a) answers.push({ type: 'A', name: owner, ttl, data: ip });
      if (qtype === 'AAAA' || qtype === 'ANY') for (const ip of node.aaaa) answers.push({ type: 'AAAA', name: owner, ttl, data: ip });
      if (qtype === 'SRV' || qtype === 'ANY') {
        const targets = new Set<string>();
        for (const data of node.srv) {
          answers.push({ type: 'SRV', name: owner, ttl, data });
          targets.add(data.target);
        }
        for (const t of targets) {
          const tn = this.node(t);
          for (const ip of tn?.a ?? []) additionals.push({ type: 'A', name: t, ttl, data: ip });
          for (const ip of tn?.aaaa ?? []) additionals.push({ type: 'AAAA', name: t, ttl, data: ip });
        }
      }
      break;
    }
    return { rcode: 'NOERROR', answers, authorities: answers.length ? [] : [this.soa()], additionals };
  }

  soa(): SoaAnswer {
    return {
      type: 'SOA',
      name: this.domain,
      ttl: this.ttl,
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: this.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
  }

  private apex(owner: string, qtype: string): Answer[] {
    const out: Answer[] = [];
    if (qtype === 'SOA' || qtype === 'ANY') out.push({ ...this.soa(), name: owner });
    if (qtype === 'NS' || qtype === 'ANY') out.push({ type: 'NS', name: owner, ttl: this.ttl, data: `ns.dns.${this.domain}` });
    return out;
  }

  /** the node of a name, including the computed pod records */
  private node(n: string): Node | undefined {
    const hit = this.nodes.get(n);
    if (hit) return hit;
    const podSuffix = `.pod.${this.domain}`;
    if (!n.endsWith(podSuffix)) return undefined;
    const labels = n.slice(0, -podSuffix.length).split('.');
    if (labels.length !== 2 || !labels[1]) return undefined;
    const v4 = labels[0].replace(/-/g, '.');
    if (isIP(v4) === 4 && v4.split('.').every((p) => String(Number(p)) === p)) return { a: [v4], aaaa: [], srv: [] };
    const v6 = labels[0].replace(/-/g, ':');
    if (labels[0].includes('-') && isIP(v6) === 6) return { a: [], aaaa: [v6], srv: [] };
    return undefined;
  }

  private nodeFor(name: string): Node {
    let node = this.nodes.get(name);
    if (!node) {
      node = { a: [], aaaa: [], srv: [] };
      this.nodes.set(name, node);
      for (let i = name.indexOf('.'); i >= 0 && name.length - i - 1 > this.domain.length; i = name.indexOf('.', i + 1)) {
        this.interior.add(name.slice(i + 1));
      }
    }
    return node;
  }

  private addIP(name: string, ip: string): void {
    const node = this.nodeFor(name);
    const list = isIP(ip) === 6 ? node.aaaa : node.a;
    if (!list.includes(ip)) list.push(ip);
  }

  private addPTR(ip: string, target: string): void {
    const list = this.reverse.get(ip);
    if (!list) this.reverse.set(ip, [target]);
    else if (!list.includes(target)) list.push(target);
  }

  private build(src: ZoneSource): void {
    const d = this.domain;
    this.interior.add(`svc.${d}`);
    this.interior.add(`pod.${d}`);
    const slicesOf = new Map<string, EndpointSlice[]>();
    for (const s of src.slices) {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svc) continue;
      const key = `${s.metadata?.namespace ?? ''}/${svc}`;
      const list = slicesOf.get(key);
      if (list) list.push(s);
      else slicesOf.set(key, [s]);
    }
    for (const p of src.pods) {
      const ns = p.metadata?.namespace;
      if (!ns || p.spec?.hostNetwork) continue;
      this.namespaces.add(ns);
      const ips = p.status?.podIPs;
      if (ips?.length) for (const { ip } of ips) if (ip) this.podNamespace.set(ip, ns);
      else if (p.status?.podIP) this.podNamespace.set(p.status.podIP, ns);
    }
    const endpointPTR = new Map<string, string>();
    for (const svc of src.services) {
      const ns = svc.metadata?.namespace;
      const name = svc.metadata?.name;
      if (!ns || !name) continue;
      this.namespaces.add(ns);
      const base = `${name}.${ns}.svc.${d}`.toLowerCase();
      const spec = svc.spec ?? {};
      if (spec.type === 'ExternalName') {
        if (spec.externalName) this.nodeFor(base).cname = normalizeName(spec.externalName);
        continue;
      }
      const namedPorts = (spec.ports ?? []).filter((p) => p.name);
      const headless = spec.clusterIP === 'None';
      if (!headless) {
        const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
        for (const ip of ips.filter((x) => isIP(x))) {
          this.addIP(base, ip);
          this.addPTR(ip, base);
        }
        this.nodeFor(base);
        for (const p of namedPorts) {
          const srv = { priority: 0, weight: 100, port: p.port, target: base };
          this.nodeFor(`_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`.toLowerCase()).srv.push(srv);
          this.nodeFor(base).srv.push(srv);
        }
        continue;
      }
      this.nodeFor(base);
      const publishNotReady = spec.publishNotReadyAddresses === true;
      const srvByPort = new Map<string, SrvData[]>();
      for (const slice of slicesOf.get(`${ns}/${name}`) ?? []) {
        for (const ep of slice.endpoints ?? []) {
          if (!publishNotReady && !isReady(ep)) continue;
          for (const ip of ep.addresses ?? []) {
            if (!isIP(ip)) continue;
            const epName = `${(ep.hostname ?? dashedIP(ip)).toLowerCase()}.${base}`;
            this.addIP(base, ip);
            this.addIP(epName, ip);
            if (ep.hostname) endpointPTR.set(ip, epName);
            else if (!this.podNamespace.has(ip)) this.podNamespace.set(ip, ep.targetRef?.namespace ?? ns);
            for (const p of slice.ports ?? []) {
              if (!p.name || p.port === undefined) continue;
              const owner = `_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`.toLowerCase();
              const list = srvByPort.get(owner) ?? [];
              if (!list.some((s) => s.target === epName && s.port === p.port)) list.push({ priority: 0, weight: 0, port: p.port, target: epName });
              srvByPort.set(owner, list);
            }
          }
        }
      }
      for (const [owner, list] of srvByPort) {
        const weight = Math.max(1, Math.floor(100 / list.length));
        for (const s of list) {
          const srv = { ...s, weight };
          this.nodeFor(owner).srv.push(srv);
          this.nodeFor(base).srv.push(srv);
        }
      }
    }
    // an endpoint hostname names the pod better than its dashed IP; cluster IPs are never pod IPs
    for (const [ip, name] of endpointPTR) this.addPTR(ip, name);
    for (const ns of this.namespaces) {
      this.interior.add(`${ns}.svc.${d}`);
      this.interior.add(`${ns}.pod.${d}`);
    }
    // ns.dns.DOMAIN: the name server of the zone's NS record, at the kube-dns Service's address.
    const kubeDNS = this.nodes.get(`kube-dns.kube-system.svc.${d}`);
    if (kubeDNS && (kubeDNS.a.length || kubeDNS.aaaa.length)) {
      const ns = this.nodeFor(`ns.dns.${d}`);
      ns.a.push(...kubeDNS.a);
      ns.aaaa.push(...kubeDNS.aaaa);
    }
  }
}

// A pod's /etc/resolv.conf, decided the way the kubelet does it (dnsPolicy and dnsConfig):
// - ClusterFirst (the default): the cluster DNS servers, search `NS.svc.DOMAIN svc.DOMAIN DOMAIN`
//   followed by the node's own search list, `options ndots:5`. A host-network pod with
//   ClusterFirst gets the node's configuration instead (ClusterFirstWithHostNet opts back in).
//   Without cluster DNS configured, ClusterFirst falls back to Default, as the kubelet does.
// - Default: the node's resolv.conf as it is.
// - None: only what spec.dnsConfig says.
// spec.dnsConfig is then merged in: its nameservers and searches are appended (duplicates dropped,
// at most 3 nameservers and 32 searches), its options override options of the same name.
import { readFileSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DNSConfig } from '../runtime/runtime.js';
import { parseResolvConf as parseApiResolvConf } from '../api/resolv-conf.js';

export interface ClusterDNSSettings {
  /** the kube-dns Service IP(s); empty: no cluster DNS */
  readonly servers: readonly string[];
  /** default cluster.local */
  readonly domain: string;
  /** the node's resolver configuration (Default policy, and the tail of ClusterFirst searches) */
  readonly node: DNSConfig;
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** Parses resolv.conf text into the runtime's DNSConfig shape (see src/api/resolv-conf.ts). */
export function parseResolvConf(text: string): DNSConfig {
  const r = parseApiResolvConf(text);
  return { servers: r.nameservers, searches: r.search, options: r.options };
}

/** The node's resolver configuration (empty when /etc/resolv.conf cannot be read). */
export function nodeResolvConf(path = '/etc/resolv.conf'): DNSConfig {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { servers: [], searches: [], options: [] };
  }
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs.filter((x) => x !== ''))];
}

function mergeOptions(base: readonly string[], extra: readonly { name?: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0], o);
  for (const o of extra) {
    if (!o.name) continue;
    byName.set(o.name, o.value === undefined || o.value === '' ? o.name : `${o.name}:${o.value}`);
  }
  return [...byName.values()];
}

/** The DNS configuration of `pod`'s sandbox. */
export function podDNSConfig(pod: Pod, dns: ClusterDNSSettings): DNSConfig {
  const spec = pod.spec;
  let policy = spec?.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec?.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && dns.servers.length === 0) policy = 'Default';

  let servers: string[];
  let searches: string[];
  let options: string[];
  if (policy === 'None') {
    servers = [];
    searches = [];
    options = [];
  } else if (policy === 'ClusterFirst') {
    const ns = pod.metadata?.namespace ?? 'default';
    servers = [...dns.servers];
    searches = [`${ns}.svc.${dns.domain}`, `svc.${dns.domain}`, dns.domain, ...dns.node.searches];
    options = ['ndots:5'];
  } else {
    servers = [...dns.node.servers];
    searches = [...dns.node.searches];
    options = [...dns.node.options];
  }
  const extra = spec?.dnsConfig;
  if (extra) {
    servers = [...servers, ...(extra.nameservers ?? [])];
    searches = [...searches, ...(extra.searches ?? [])];
    options = mergeOptions(options, extra.options ?? []);
  }
  return { servers: unique(servers).slice(0, MAX_NAMESERVERS), searches: unique(searches).slice(0, MAX_SEARCHES), options };
}

// resolv.conf as glibc reads it, for the node's DNS settings: the kubelet (pods with dnsPolicy
// Default, and the tail of ClusterFirst's search path) and the cluster DNS server (its upstreams)
// read the node's /etc/resolv.conf with it. Pure: text in, settings out.
import { isIP } from 'node:net';

export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly options: readonly string[];
}

/** Parses resolv.conf text (comments with # or ;, last `search`/`domain` wins, as glibc does). Invalid nameserver lines are skipped. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) {
      const ip = rest[0].replace(/%.*$/, ''); // drop an IPv6 zone id
      if (isIP(ip)) nameservers.push(ip);
    } else if (key === 'search' || key === 'domain') {
      search = rest;
    } else if (key === 'options') {
      options.push(...rest);
    }
  }
  return { nameservers, search, options };
}


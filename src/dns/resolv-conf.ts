// The node's upstream resolvers, read as the kubelet and CoreDNS read them: `nameserver` lines of
// /etc/resolv.conf. A loopback nameserver there is usually a local stub (systemd-resolved's
// 127.0.0.53) that pods cannot reach and that may forward back to us; it is replaced by the real
// upstreams systemd-resolved lists in /run/systemd/resolve/resolv.conf (loopback entries there are
// dropped). Without that file a loopback nameserver is kept: the DNS server runs on the node and
// can reach a local resolver; the server's own loop detection guards against it being itself.
// No upstream at all is a valid outcome: then names outside the cluster domain get SERVFAIL.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseResolvConf, type ResolvConf } from '../api/resolv-conf.js';

export const RESOLV_CONF = '/etc/resolv.conf';
export const SYSTEMD_RESOLVED_CONF = '/run/systemd/resolve/resolv.conf';
export const DNS_PORT = 53;

export { parseResolvConf, type ResolvConf };

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.toLowerCase().startsWith('::ffff:127.');
}

export interface DefaultUpstreamsOptions {
  /** default RESOLV_CONF */
  readonly resolvConf?: string;
  /** default SYSTEMD_RESOLVED_CONF */
  readonly systemdResolvConf?: string;
  /** reads a file or returns undefined when it does not exist; default fs */
  readonly readFile?: (path: string) => string | undefined;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The upstreams for names outside the cluster domain, as 'ip' entries (port 53), in resolv.conf order, de-duplicated. */
export function defaultUpstreams(opts: DefaultUpstreamsOptions = {}): string[] {
  const read = opts.readFile ?? readIfExists;
  const main = read(opts.resolvConf ?? RESOLV_CONF);
  if (main === undefined) return [];
  const out: string[] = [];
  for (const ns of parseResolvConf(main).nameservers) {
    if (!isLoopback(ns)) {
      out.push(ns);
      continue;
    }
    const resolved = read(opts.systemdResolvConf ?? SYSTEMD_RESOLVED_CONF);
    if (resolved === undefined) out.push(ns);
    else out.push(...parseResolvConf(resolved).nameservers.filter((n) => !isLoopback(n)));
  }
  return [...new Set(out)];
}

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** 'ip', 'ip:port', '[v6]:port' or 'v6' → host and port. Throws a TypeError naming the input when it is not one of those. */
export function parseUpstream(s: string): Upstream {
  if (isIP(s)) return { host: s, port: DNS_PORT };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !isIP(m[1]) || !(port > 0 && port < 65536)) {
    throw new TypeError(`invalid upstream "${s}": expected an IP address, optionally with a port ('10.0.0.1', '10.0.0.1:5353', '[::1]:53')`);
  }
  return { host: m[1], port };
}

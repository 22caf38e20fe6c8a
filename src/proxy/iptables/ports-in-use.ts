// Which TCP/UDP ports processes on this node listen on (any address), read from /proc/net: a
// LoadBalancer ingress on a node address must not silently take a port a process already serves.
import { readFileSync } from 'node:fs';

export interface ListeningPorts {
  readonly tcp: ReadonlySet<number>;
  readonly udp: ReadonlySet<number>;
}

/** Local ports of listening TCP sockets and bound UDP sockets (IPv4 and IPv6) of the node. */
export function listeningPorts(procNet = '/proc/net'): ListeningPorts {
  const read = (file: string, state: string): Set<number> => {
    const out = new Set<number>();
    let text = '';
    try {
      text = readFileSync(`${procNet}/${file}`, 'utf8');
    } catch {
      return out;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== state) continue;
      out.add(parseInt(f[1]!.split(':')[1]!, 16));
    }
    return out;
  };
  // TCP_LISTEN is 0A; a bound UDP socket is 07 (TCP_CLOSE)
  return {
    tcp: new Set([...read('tcp', '0A'), ...read('tcp6', '0A')]),
    udp: new Set([...read('udp', '07'), ...read('udp6', '07')]),
  };
}

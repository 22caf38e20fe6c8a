// Which ports a process on this node already listens on, from /proc/net/{tcp,tcp6,udp,udp6} (this
// network namespace). Every proxy mode reads it before serving a LoadBalancer port on the node's own
// addresses, so a local server is never taken over silently.
import { readFileSync } from 'node:fs';

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

export interface ListeningPorts {
  readonly tcp: ReadonlySet<number>;
  readonly udp: ReadonlySet<number>;
}

/** Local ports with a TCP listener or an unconnected (bound) UDP socket, on any address. */
export function listeningPorts(procNet = '/proc/net'): ListeningPorts {
  return {
    tcp: read([`${procNet}/tcp`, `${procNet}/tcp6`], TCP_LISTEN),
    udp: read([`${procNet}/udp`, `${procNet}/udp6`], UDP_UNCONNECTED),
  };
}

/** Parses /proc/net/{tcp,udp}[6] text: the local ports of sockets in `state` (hex, e.g. '0A'). */
export function parseProcNet(text: string, state: string): number[] {
  const ports: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== state) continue;
    const port = parseInt(f[1]!.split(':')[1] ?? '', 16);
    if (Number.isInteger(port)) ports.push(port);
  }
  return ports;
}

function read(files: string[], state: string): Set<number> {
  const out = new Set<number>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const p of parseProcNet(text, state)) out.add(p);
  }
  return out;
}

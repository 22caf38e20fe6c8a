// The benchmarks' way to talk to a `skiff server` they started: its kubeconfig's CA, admin token and
// port, and one HTTPS request at a time on a keep-alive agent. Deliberately not src/client: the
// benchmarks measure the server from outside, as any HTTP client would see it.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface Conn {
  readonly port: number;
  readonly ca: string;
  readonly token: string;
  readonly agent: Agent;
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** A connection to the server a kubeconfig written by `skiff server` names. */
export function kubeconfigConn(path: string, maxSockets = 32): Conn {
  const kc = parse(readFileSync(path, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
  return {
    port: Number(new URL(kc.clusters[0]!.cluster.server).port),
    ca: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(),
    token: kc.users[0]!.user.token,
    agent: new Agent({ keepAlive: true, maxSockets, noDelay: true }),
  };
}

/** One request; `body` is sent as it is when a string, else as JSON. Never rejects on an HTTP status. */
export function call(c: Conn, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: c.port, path, method, ca: c.ca, servername: 'localhost', agent: c.agent, headers: { Authorization: `Bearer ${c.token}`, 'Content-Type': 'application/json', Accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

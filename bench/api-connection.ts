// The benchmarks' way to talk to a `skiff server` they started: its kubeconfig's CA, admin token and
// port, and requests over a pool of keep-alive HTTPS connections. Deliberately not src/client: the
// benchmarks measure the server from outside, as any HTTP client would see it.
//
// The pool is undici's: the load generator shares this machine's two cores with the server, and
// undici spends about 0.17 ms of CPU per pod create where node:https' Agent spent 0.24–0.32 ms
// (measured alternated against one server, 2026-11-26), which left the server less CPU.
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { parse } from 'yaml';

export interface Conn {
  readonly port: number;
  readonly ca: string;
  readonly token: string;
  /** keep-alive connections to the server, at most the `connections` kubeconfigConn was given */
  readonly pool: Pool;
  /** Closes the pool's connections (requests still in flight fail). */
  close(): Promise<void>;
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** A connection to the server a kubeconfig written by `skiff server` names. */
export function kubeconfigConn(path: string, connections = 32): Conn {
  const kc = parse(readFileSync(path, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
  const port = Number(new URL(kc.clusters[0]!.cluster.server).port);
  const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString();
  // One request at a time per connection (no pipelining), as Kubernetes clients send them.
  const pool = new Pool(`https://127.0.0.1:${port}`, { connections, pipelining: 1, connect: { ca, servername: 'localhost', noDelay: true } });
  return { port, ca, token: kc.users[0]!.user.token, pool, close: () => pool.destroy() };
}

/** One request; `body` is sent as it is when a string, else as JSON. Never rejects on an HTTP status. */
export async function call(c: Conn, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await c.pool.request({
    method: method as 'GET',
    path,
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

// The three checks probes and lifecycle hooks run from the node, with Kubernetes' outputs:
// - httpGet: GET scheme://host:port/path (host default: the pod IP; port by number or by the
//   container's named port; httpHeaders, Host header included; HTTPS without certificate
//   verification); 200–399 is success, else `HTTP probe failed with statuscode: 500`;
// - tcpSocket: a TCP connection opens (`dial tcp 10.42.0.5:80: connect: connection refused`);
// - exec: a command in the container through the runtime; exit 0 is success, output = stdout+stderr.
// Each settles once `signal` aborts (timeoutSeconds), reporting a timeout.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction } from 'kubernetes-types/core/v1.js';
import type { Runtime } from '../../runtime/runtime.js';
import { KUBELET_VERSION } from '../node-status.js';

export interface CheckResult {
  readonly ok: boolean;
  readonly output: string;
}

/** Bytes of a response body or command output kept for messages (Kubernetes keeps 10 KiB). */
export const MAX_OUTPUT_BYTES = 10 * 1024;

/** `kube-probe/1.32` as Kubernetes' prober sends it. */
export const PROBE_USER_AGENT = `kube-probe/${KUBELET_VERSION.replace(/^v/, '').split('.').slice(0, 2).join('.')}`;

/** A port number, or the containerPort of the container's port with that name. Throws when neither. */
export function resolvePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') return port;
  if (port !== undefined && /^\d+$/.test(port)) return Number(port);
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`couldn't find port: ${String(port)} in ${container.name}`);
  return found.containerPort;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function dialError(host: string, port: number, e: NodeJS.ErrnoException): string {
  const what = e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.code === 'EHOSTUNREACH' ? 'connect: no route to host' : e.code === 'ETIMEDOUT' ? 'i/o timeout' : e.message;
  return `dial tcp ${hostPort(host, port)}: ${what}`;
}

export function httpGetCheck(action: HTTPGetAction, container: Container, podIP: string | undefined, signal: AbortSignal): Promise<CheckResult> {
  const scheme = (action.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? 'https' : 'http';
  const host = action.host || podIP;
  if (!host) return Promise.resolve({ ok: false, output: 'no pod IP to probe yet' });
  let port: number;
  try {
    port = resolvePort(action.port, container);
  } catch (e) {
    return Promise.resolve({ ok: false, output: (e as Error).message });
  }
  let path = action.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const url = `${scheme}://${hostPort(host, port)}${path}`;
  const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) {
    const existing = Object.keys(headers).find((k) => k.toLowerCase() === h.name.toLowerCase());
    if (existing) delete headers[existing];
    headers[h.name] = h.value;
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: CheckResult) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(
      { host: host.replace(/^\[|\]$/g, ''), port, path, method: 'GET', headers, rejectUnauthorized: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_OUTPUT_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
          if (code >= 200 && code < 400) finish({ ok: true, output: body });
          else finish({ ok: false, output: `HTTP probe failed with statuscode: ${code}` });
        });
        res.on('error', (e) => finish({ ok: false, output: `Get "${url}": ${e.message}` }));
      },
    );
    const onAbort = () => {
      req.destroy();
      finish({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, output: `Get "${url}": ${e.code && e.syscall === 'connect' ? dialError(host, port, e) : e.message}` }));
    req.end();
  });
}

export function tcpSocketCheck(action: TCPSocketAction, container: Container, podIP: string | undefined, signal: AbortSignal): Promise<CheckResult> {
  const host = action.host || podIP;
  if (!host) return Promise.resolve({ ok: false, output: 'no pod IP to probe yet' });
  let port: number;
  try {
    port = resolvePort(action.port, container);
  } catch (e) {
    return Promise.resolve({ ok: false, output: (e as Error).message });
  }
  return new Promise((resolve) => {
    let done = false;
    const sock = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const finish = (r: CheckResult) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, output: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('connect', () => finish({ ok: true, output: '' }));
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, output: dialError(host, port, e) }));
  });
}

/** Collects written bytes up to MAX_OUTPUT_BYTES. */
function collector(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (size < MAX_OUTPUT_BYTES) chunks.push(Buffer.from(chunk));
      size += chunk.length;
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).subarray(0, MAX_OUTPUT_BYTES).toString('utf8') };
}

export async function execCheck(action: ExecAction, runtime: Runtime, containerId: string, signal: AbortSignal): Promise<CheckResult & { exitCode?: number }> {
  const command = action.command ?? [];
  if (!runtime.exec) return { ok: false, output: 'the container runtime does not support exec' };
  const out = collector();
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const exitCode = await Promise.race([
      runtime.exec(containerId, command, { stdout: out.stream, stderr: out.stream, signal: ac.signal }),
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(new Error('timeout'));
        signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true });
      }),
    ]);
    return { ok: exitCode === 0, output: out.text(), exitCode };
  } catch (e) {
    if (signal.aborted) return { ok: false, output: `command "${command.join(' ')}" timed out` };
    return { ok: false, output: e instanceof Error ? e.message : String(e) };
  } finally {
    signal.removeEventListener('abort', onAbort);
    ac.abort();
  }
}

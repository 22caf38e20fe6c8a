// GET /containerLogs/{namespace}/{pod}/{container}: the container's log from the runtime, as
// Kubernetes' kubelet serves it (text/plain, chunked, flushed as it comes; follow keeps the
// response open until the container exits or the client goes away).
import type { ServerResponse } from 'node:http';
import type { LogOptions, Runtime } from '../../runtime/runtime.js';
import { logContainer } from './container-lookup.js';
import { KubeletHttpError } from './status.js';

export interface ContainerLogsRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly query: URLSearchParams;
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1' || v === '';
}

function int(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new KubeletHttpError(400, `invalid ${name}: ${v}: must be an integer >= ${min}`, true);
  return n;
}

/** The runtime's LogOptions for a containerLogs query; 400 for bad values. `now`: ms since the epoch. */
export function logOptions(q: URLSearchParams, now: number): LogOptions & { previous: boolean } {
  const sinceSeconds = int(q, 'sinceSeconds', 1);
  const sinceTimeText = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTimeText) throw new KubeletHttpError(400, 'at most one of sinceTime or sinceSeconds may be specified', true);
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (Number.isNaN(sinceTime)) throw new KubeletHttpError(400, `invalid sinceTime: ${sinceTimeText}: want RFC 3339`, true);
  } else if (sinceSeconds !== undefined) sinceTime = now - sinceSeconds * 1000;
  return {
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    tailLines: int(q, 'tailLines', 0),
    limitBytes: int(q, 'limitBytes', 1),
    sinceTime,
  };
}

/** Serves one containerLogs request. Refusals throw KubeletHttpError before anything is written. */
export async function serveContainerLogs(runtime: Runtime, r: ContainerLogsRequest, res: ServerResponse, now: number): Promise<void> {
  if (!runtime.logs) throw new KubeletHttpError(500, 'the container runtime does not support logs');
  const { previous, ...opts } = logOptions(r.query, now);
  const c = await logContainer(runtime, r.namespace, r.pod, r.container, previous);
  const aborter = new AbortController();
  res.on('close', () => aborter.abort());
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();
  try {
    await runtime.logs(c.id, res, { ...opts, follow: opts.follow && c.state !== 'exited', signal: aborter.signal });
  } finally {
    if (!res.writableEnded) res.end();
  }
}

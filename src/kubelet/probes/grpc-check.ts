// gRPC probes as Kubernetes runs them: grpc.health.v1.Health/Check over plain-text HTTP/2 to the
// pod IP and port, with the probe's `service`; success when the answer is SERVING. Outputs as
// Kubernetes': `service unhealthy (responded with "NOT_SERVING")`, `timeout: health rpc did not
// complete within 1s`, `error: failed to connect service at "10.42.0.5:9000": ...`,
// `error: health rpc probe failed: rpc error: code = 5 desc = ...`.
import { connect, constants } from 'node:http2';
import type { GRPCAction } from 'kubernetes-types/core/v1.js';
import type { CheckResult } from './probe-actions.js';

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** HealthCheckRequest{service} as a length-prefixed gRPC message. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  const body = s.length ? Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]) : Buffer.alloc(0);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(body.length, 1);
  return Buffer.concat([frame, body]);
}

/** The ServingStatus of a HealthCheckResponse message body (field 1, varint); 0 when absent. */
export function decodeServingStatus(body: Buffer): number {
  let i = 0;
  while (i < body.length) {
    const key = body[i++]!;
    const [value, next] = readVarint(body, i);
    i = next;
    if (key === 0x08) return value;
    if ((key & 7) === 2) i += value; // a length-delimited field we do not know
  }
  return 0;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}

function readVarint(b: Buffer, i: number): [number, number] {
  let v = 0;
  let shift = 0;
  while (i < b.length) {
    const byte = b[i++]!;
    v |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  return [v, i];
}

export function grpcCheck(action: GRPCAction, podIP: string | undefined, timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult> {
  if (!podIP) return Promise.resolve({ ok: false, output: 'no pod IP to probe yet' });
  const addr = podIP.includes(':') ? `[${podIP}]:${action.port}` : `${podIP}:${action.port}`;
  return new Promise((resolve) => {
    let done = false;
    let connected = false;
    const session = connect(`http://${addr}`);
    const finish = (r: CheckResult) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      session.destroy();
      resolve(r);
    };
    const onAbort = () =>
      finish({ ok: false, output: connected ? `timeout: health rpc did not complete within ${timeoutSeconds}s` : `timeout: failed to connect service "${addr}" within ${timeoutSeconds}s` });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const connectError = (e: Error) => finish({ ok: false, output: `error: failed to connect service at "${addr}": ${e.message}` });
    session.on('error', connectError);
    session.on('connect', () => (connected = true));
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    const noteStatus = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', noteStatus);
    req.on('trailers', noteStatus);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (e: Error & { cause?: unknown }) => (connected ? finish({ ok: false, output: `error: health rpc probe failed: ${e.message}` }) : connectError(e.cause instanceof Error ? e.cause : e)));
    req.on('end', () => {
      if (grpcStatus !== undefined && grpcStatus !== '0') return finish({ ok: false, output: `error: health rpc probe failed: rpc error: code = ${grpcStatus} desc = ${grpcMessage}` });
      const all = Buffer.concat(chunks);
      const status = all.length >= 5 ? decodeServingStatus(all.subarray(5, 5 + all.readUInt32BE(1))) : 0;
      if (status === 1) finish({ ok: true, output: '' });
      else finish({ ok: false, output: `service unhealthy (responded with "${STATUS_NAMES[status] ?? String(status)}")` });
    });
    req.end(encodeHealthCheckRequest(action.service ?? ''));
  });
}

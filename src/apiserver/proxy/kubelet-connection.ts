// TLS connections from the API server to kubelets: the kubelet's serving certificate is verified
// against the cluster CA (its SANs must name the address dialled), and the API server presents its
// client certificate (signed by the same CA), which is how kubelets know who calls.
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { ApiError } from '../../api/errors.js';
import type { KubeletLocation } from './kubelet-location.js';

/** PEM: the API server's client key and certificate, and the CA kubelet serving certificates are signed by. */
export interface KubeletClientTLS {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

/** How long to wait for the kubelet's TCP+TLS handshake. */
export const KUBELET_DIAL_TIMEOUT_MS = 10_000;

export function kubeletURL(loc: KubeletLocation): string {
  return `https://${loc.host.includes(':') ? `[${loc.host}]` : loc.host}:${loc.port}${loc.path}`;
}

/** The error kubectl shows when the kubelet cannot be reached (as Kubernetes: `error dialing backend: ...`). */
export function dialError(loc: KubeletLocation, e: unknown): ApiError {
  return new ApiError(500, 'InternalError', `error dialing backend: ${e instanceof Error ? e.message : String(e)} (${kubeletURL(loc)})`);
}

function tlsOptions(loc: KubeletLocation, tls: KubeletClientTLS) {
  return { host: loc.host, port: loc.port, key: tls.key, cert: tls.cert, ca: tls.ca, servername: isIP(loc.host) ? undefined : loc.host };
}

/** A GET to the kubelet; resolves with the response (any status). */
export function kubeletGet(loc: KubeletLocation, tls: KubeletClientTLS, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ ...tlsOptions(loc, tls), method: 'GET', path: loc.path, signal, timeout: KUBELET_DIAL_TIMEOUT_MS, headers: { Accept: '*/*' }, agent: false });
    req.on('response', resolve);
    req.on('timeout', () => req.destroy(new Error('timeout connecting to the kubelet')));
    req.on('error', (e) => reject(dialError(loc, e)));
    req.end();
  });
}

/** A verified TLS connection to the kubelet. */
export function kubeletDial(loc: KubeletLocation, tls: KubeletClientTLS): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect(tlsOptions(loc, tls));
    const timer = setTimeout(() => s.destroy(new Error('timeout connecting to the kubelet')), KUBELET_DIAL_TIMEOUT_MS);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(dialError(loc, e));
    });
  });
}

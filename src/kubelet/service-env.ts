// Kubernetes' service environment variables (docker-link style): for every Service of the pod's
// namespace with a cluster IP (when the pod's enableServiceLinks is not false), and always for the
// `kubernetes` Service of the `default` namespace:
//   {SVC}_SERVICE_HOST, {SVC}_SERVICE_PORT (first port), {SVC}_SERVICE_PORT_{PORTNAME} (named ports),
//   {SVC}_PORT=tcp://IP:PORT (first port), {SVC}_PORT_{PORT}_{PROTO}[_PROTO|_PORT|_ADDR]
// where SVC is the name upper-cased with '-' → '_'. Pure.
import type { Service } from 'kubernetes-types/core/v1.js';

/** Services in this namespace whose names make env vars even for pods of other namespaces. */
export const MASTER_SERVICE_NAMESPACE = 'default';
export const MASTER_SERVICES: ReadonlySet<string> = new Set(['kubernetes']);

function envName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The env vars of these services, in the services' order (sort them first for a stable result). */
export function serviceEnvVars(services: readonly Service[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of services) {
    const ports = s.spec?.ports ?? [];
    if (!hasClusterIP(s) || ports.length === 0) continue;
    const ip = s.spec!.clusterIP!;
    const prefix = envName(s.metadata?.name ?? '');
    out.set(`${prefix}_SERVICE_HOST`, ip);
    out.set(`${prefix}_SERVICE_PORT`, String(ports[0]!.port));
    for (const p of ports) if (p.name) out.set(`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${proto}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.set(`${prefix}_PORT`, url);
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.set(pp, url);
      out.set(`${pp}_PROTO`, proto);
      out.set(`${pp}_PORT`, String(p.port));
      out.set(`${pp}_ADDR`, ip);
    });
  }
  return out;
}

/**
 * The services whose variables a pod of `namespace` gets: the master services from `default`
 * always, the namespace's own only with `enableServiceLinks` (one of the namespace's own with a
 * master service's name wins). Sorted by name.
 */
export function servicesForPod(enableServiceLinks: boolean, own: readonly Service[], defaults: readonly Service[]): Service[] {
  const byName = new Map<string, Service>();
  for (const s of defaults) {
    const name = s.metadata?.name ?? '';
    if (MASTER_SERVICES.has(name) && hasClusterIP(s)) byName.set(name, s);
  }
  if (enableServiceLinks) {
    for (const s of own) {
      const name = s.metadata?.name ?? '';
      if (!hasClusterIP(s)) continue;
      byName.set(name, s);
    }
  }
  return [...byName.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

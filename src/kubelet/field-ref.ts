// The values the downward API exposes (env fieldRef/resourceFieldRef and downwardAPI volume
// items), as Kubernetes computes them: pod fields by path (`metadata.labels['k']`, `status.podIP`,
// ...) and a container's resource requests/limits divided by a divisor, rounded up; a limit the
// container does not set is the node's allocatable amount. Pure. Unsupported paths throw an Error
// saying what is supported.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../api/quantity.js';

/** What the kubelet knows about the pod besides its spec (IPs come from the sandbox). */
export interface PodFieldContext {
  readonly hostIP: string;
  /** the pod's IPs (the node's for host-network pods); empty until the sandbox has one */
  readonly podIPs: readonly string[];
}

/** `metadata.labels['app']` → ['labels', 'app']. */
function subscript(path: string): [string, string] | undefined {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** A map as downward API files print it: sorted `key="value"` lines (value quoted as Go's strconv.Quote). */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/**
 * The value of a pod field. `forVolume`: the downwardAPI volume's set (whole label and annotation
 * maps allowed, IPs not); otherwise the env set.
 */
export function podFieldValue(pod: Pod, fieldPath: string, ctx: PodFieldContext, forVolume = false): string {
  const m = pod.metadata ?? {};
  const sub = subscript(fieldPath);
  if (sub) return (sub[0] === 'labels' ? m.labels : m.annotations)?.[sub[1]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
  }
  if (forVolume) {
    if (fieldPath === 'metadata.labels') return formatMap(m.labels);
    if (fieldPath === 'metadata.annotations') return formatMap(m.annotations);
  } else {
    switch (fieldPath) {
      case 'spec.nodeName':
        return pod.spec?.nodeName ?? '';
      case 'spec.serviceAccountName':
        return pod.spec?.serviceAccountName ?? '';
      case 'status.hostIP':
        return ctx.hostIP;
      case 'status.hostIPs':
        return ctx.hostIP;
      case 'status.podIP':
        return ctx.podIPs[0] ?? '';
      case 'status.podIPs':
        return ctx.podIPs.join(',');
    }
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/**
 * A container resource (`limits.cpu`, `requests.memory`, `limits.ephemeral-storage`, ...) divided
 * by `divisor` (default "1") and rounded up, as a string. CPU is compared in milli-units
 * (limits.cpu 250m with divisor 1m → "250"; with divisor 1 → "1"). Unset limits are the node's
 * allocatable amount; unset requests are 0 (cpu and memory requests default to the limits when
 * only those are set, as the API server defaults them).
 */
export function containerResourceValue(container: Container, resource: string, divisor: string | number | undefined, allocatable: Readonly<Record<string, string>>): string {
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  if ((kind !== 'limits' && kind !== 'requests') || !['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-')) {
    throw new Error(`unsupported container resource: ${resource}`);
  }
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  let q: string | number | undefined;
  if (kind === 'limits') q = limits[name] ?? allocatable[name];
  else q = requests[name] ?? limits[name];
  const d = parseQuantity(divisor === undefined || divisor === '' ? '1' : divisor);
  const v = parseQuantity(q ?? '0');
  if (name === 'cpu') {
    const dm = d.milli === 0n ? 1n : d.milli;
    return String(ceilDiv(v.milli, dm));
  }
  const NANO = 1_000_000_000n;
  const dv = ceilDiv(d.nano, NANO) || 1n;
  return String(ceilDiv(ceilDiv(v.nano, NANO), dv));
}

function ceilDiv(a: bigint, b: bigint): bigint {
  if (a <= 0n) return a / b;
  return (a + b - 1n) / b;
}

// Parses a request path into what it addresses (as Kubernetes' RequestInfo): API prefix,
// group, version, namespace, resource, name, subresource. Pure.

export interface ResourceRequest {
  readonly kind: 'resource';
  readonly group: string;
  readonly version: string;
  readonly namespace?: string;
  readonly resource: string;
  readonly name?: string;
  readonly subresource?: string;
  /** path segments after the subresource (e.g. pods/x/proxy/...) */
  readonly rest: readonly string[];
}

export interface NonResourceRequest {
  readonly kind: 'nonresource';
  readonly path: string;
}

export interface GroupRequest {
  /** /api, /apis, /api/v1, /apis/apps, /apis/apps/v1 */
  readonly kind: 'discovery';
  readonly group?: string;
  readonly version?: string;
  readonly legacy: boolean;
}

export type RequestInfo = ResourceRequest | NonResourceRequest | GroupRequest;

export function parseRequestPath(pathname: string): RequestInfo {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (pathname.includes('%')) for (let i = 0; i < parts.length; i++) parts[i] = decodeURIComponent(parts[i]!);
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'discovery', legacy: true };
    if (parts.length === 2) return { kind: 'discovery', legacy: true, group: '', version: parts[1] };
    return resourceParts('', parts[1], parts.slice(2)) ?? { kind: 'nonresource', path: pathname };
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'discovery', legacy: false };
    if (parts.length === 2) return { kind: 'discovery', legacy: false, group: parts[1] };
    if (parts.length === 3) return { kind: 'discovery', legacy: false, group: parts[1], version: parts[2] };
    return resourceParts(parts[1], parts[2], parts.slice(3)) ?? { kind: 'nonresource', path: pathname };
  }
  return { kind: 'nonresource', path: pathname };
}

function resourceParts(group: string, version: string, p: string[]): ResourceRequest | undefined {
  // namespaces/NS/RESOURCE/NAME/SUB... ; but `namespaces/NAME` and `namespaces/NAME/status` address the Namespace itself.
  if (p[0] === 'namespaces' && p.length >= 3 && !(group === '' && (p[2] === 'status' || p[2] === 'finalize') && p.length === 3)) {
    return { kind: 'resource', group, version, namespace: p[1], resource: p[2], name: p[3], subresource: p[4], rest: p.slice(5) };
  }
  if (p.length === 0) return undefined;
  return { kind: 'resource', group, version, resource: p[0], name: p[1], subresource: p[2], rest: p.slice(3) };
}

// Where a request goes: the namespace and name it addresses (checked as client-go checks them)
// and the Kubernetes REST path. Shared by every Client implementation so they refuse the same
// calls with the same messages.
import type { KubeObject } from './object.js';
import { groupVersion, type ResourceInfo } from './resources.js';

export interface Address {
  /** undefined for cluster-scoped resources, and for namespaced collections across all namespaces */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

/**
 * The namespace a call uses: none for cluster-scoped resources; for namespaced ones, required
 * when a name is given (TypeError otherwise, with client-go's message).
 */
export function namespaceFor(info: ResourceInfo, namespace: string | undefined, name: string | undefined): string | undefined {
  if (!info.namespaced) return undefined;
  if (namespace) return namespace;
  if (name !== undefined) throw new TypeError(`an empty namespace may not be set when a resource name is provided (${info.plural} "${name}")`);
  return undefined;
}

/** Checks a name given as an argument (client-go's message when empty). */
export function requireName(info: ResourceInfo, name: string): string {
  if (!name) throw new TypeError(`resource name may not be empty (${info.plural})`);
  return name;
}

/** The address of an object to create: its namespace (required when namespaced) and its name (may be empty with generateName). */
export function createAddress(info: ResourceInfo, obj: KubeObject): Address {
  const namespace = obj.metadata?.namespace;
  if (info.namespaced && !namespace) throw new TypeError(`an empty namespace may not be set during creation (${info.plural} "${obj.metadata?.name ?? obj.metadata?.generateName ?? ''}")`);
  return { namespace: info.namespaced ? namespace : undefined, name: obj.metadata?.name || undefined };
}

/** The address of an existing object, from its metadata (name required). */
export function objectAddress(info: ResourceInfo, obj: KubeObject): Address & { readonly name: string } {
  const name = obj.metadata?.name;
  if (!name) throw new TypeError(`resource name may not be empty (${info.plural})`);
  return { namespace: namespaceFor(info, obj.metadata?.namespace, name), name };
}

/** `/api/v1/namespaces/default/pods/web/status`, `/apis/apps/v1/deployments`, ... Segments are URI-encoded. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string, subresource?: string): string {
  const base = info.group ? `/apis/${groupVersion(info)}` : `/api/${info.version}`;
  let path = base;
  if (info.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${info.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

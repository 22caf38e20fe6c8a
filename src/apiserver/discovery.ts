// Discovery documents: /api, /apis, /api/v1, /apis/GROUP[/VERSION] (legacy), and the aggregated
// APIGroupDiscoveryList (apidiscovery.k8s.io/v2 and v2beta1) kubectl asks for first. Built once
// from the static resource table; pure.
import { RESOURCES, apiGroups, groupVersion, type ResourceInfo } from '../api/resources.js';

interface SubresourceInfo {
  readonly name: string;
  readonly kind: { group: string; version: string; kind: string };
  readonly verbs: string[];
}

function subresourceInfo(r: ResourceInfo, sub: string): SubresourceInfo {
  const self = { group: r.group, version: r.version, kind: r.kind };
  switch (sub) {
    case 'status':
      return { name: sub, kind: self, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { name: sub, kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] };
    case 'binding':
      return { name: sub, kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] };
    case 'eviction':
      return { name: sub, kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] };
    case 'log':
      return { name: sub, kind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] };
    case 'exec':
      return { name: sub, kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] };
    case 'attach':
      return { name: sub, kind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, verbs: ['create', 'get'] };
    case 'portforward':
      return { name: sub, kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] };
    case 'finalize':
      return { name: sub, kind: self, verbs: ['update'] };
    default:
      return { name: sub, kind: self, verbs: ['get'] };
  }
}

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(g: { group: string; versions: string[] }): object {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups().map(groupEntry) };
}

export function apiGroup(group: string): object | undefined {
  const g = apiGroups().find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) } : undefined;
}

/** Legacy APIResourceList for one group-version, or undefined if none is served. */
export function apiResourceList(group: string, version: string): object | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (!rs.length) return undefined;
  const resources: object[] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      const sub = subresourceInfo(r, s);
      resources.push({
        name: `${r.plural}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(sub.kind.group !== r.group ? { group: sub.kind.group, version: sub.kind.version } : {}),
        kind: sub.kind.kind,
        verbs: sub.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources };
}

/** Which aggregated discovery version (v2 or v2beta1) the Accept header asks for, if any. */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const p = part.split(';').map((s) => s.trim());
    if (p.includes('g=apidiscovery.k8s.io') && p.includes('as=APIGroupDiscoveryList')) {
      if (p.includes('v=v2')) return 'v2';
      if (p.includes('v=v2beta1')) return 'v2beta1';
    }
  }
  return undefined;
}

/** The aggregated APIGroupDiscoveryList for /api (legacy = core group only) or /apis. */
export function aggregatedDiscovery(legacy: boolean, version: 'v2' | 'v2beta1'): object {
  const groups = legacy ? [{ group: '', versions: ['v1'] }] : apiGroups();
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: RESOURCES.filter((r) => r.group === g.group && r.version === v).map((r) => ({
          resource: r.plural,
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs,
          ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
          ...(r.categories.length ? { categories: r.categories } : {}),
          ...(r.subresources.length
            ? {
                subresources: r.subresources.map((s) => {
                  const sub = subresourceInfo(r, s);
                  return { subresource: s, responseKind: sub.kind, verbs: sub.verbs };
                }),
              }
            : {}),
        })),
      })),
    })),
  };
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

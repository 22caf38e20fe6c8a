// Hand-made schemas for the patch tests: enough of apps/v1 Deployment to exercise every list
// and map behaviour strategic merge and server-side apply know. Test support only.
import type { SchemaNode } from '../../api/openapi/schema-lookup.js';

export const str: SchemaNode = { type: 'string' };
export const int: SchemaNode = { type: 'integer' };
export const intOrString: SchemaNode = { type: 'string', intOrString: true };

export function obj(props: Record<string, SchemaNode>, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { type: 'object', property: (n) => props[n], propertyNames: () => Object.keys(props), ...extra };
}
export const mapOf = (items: SchemaNode, extra: Partial<SchemaNode> = {}): SchemaNode => ({ type: 'map', items, ...extra });
export const listOf = (items: SchemaNode, extra: Partial<SchemaNode> = {}): SchemaNode => ({ type: 'array', items, ...extra });

export const objectMeta = obj({
  name: str,
  namespace: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: str,
  labels: mapOf(str),
  annotations: mapOf(str),
  finalizers: listOf(str, { patchStrategy: 'merge', listType: 'set' }),
  managedFields: listOf(obj({ manager: str })),
});

const port = obj({ containerPort: int, protocol: str, name: str });
const env = obj({ name: str, value: str });
export const container = obj({
  name: str,
  image: str,
  args: listOf(str),
  env: listOf(env, { patchMergeKey: 'name', patchStrategy: 'merge', listType: 'map', listMapKeys: ['name'] }),
  ports: listOf(port, { patchMergeKey: 'containerPort', patchStrategy: 'merge', listType: 'map', listMapKeys: ['containerPort', 'protocol'] }),
  resources: obj({ limits: mapOf(str), requests: mapOf(str) }),
});
const volume = obj({ name: str, emptyDir: obj({ medium: str }), configMap: obj({ name: str }) });

export const podSpec = obj({
  containers: listOf(container, { patchMergeKey: 'name', patchStrategy: 'merge', listType: 'map', listMapKeys: ['name'] }),
  volumes: listOf(volume, { patchMergeKey: 'name', patchStrategy: 'merge,retainKeys', listType: 'map', listMapKeys: ['name'] }),
  tolerations: listOf(obj({ key: str, value: str })),
  nodeSelector: mapOf(str),
  // a merge list known only by its patch strategy (no x-kubernetes-list-type)
  imagePullSecrets: listOf(obj({ name: str }), { patchMergeKey: 'name', patchStrategy: 'merge' }),
});

export const deploymentSchema = obj({
  apiVersion: str,
  kind: str,
  metadata: objectMeta,
  spec: obj({
    replicas: int,
    selector: obj({ matchLabels: mapOf(str) }, { mapType: 'atomic' }),
    strategy: obj(
      { type: str, rollingUpdate: obj({ maxSurge: intOrString, maxUnavailable: intOrString }) },
      { patchStrategy: 'retainKeys' },
    ),
    template: obj({ metadata: objectMeta, spec: podSpec }),
  }),
  status: obj({ replicas: int, readyReplicas: int }),
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { gvPathOf } from './operations.js';
import { openapiV2Document, openapiV2Served } from './v2.js';
import { openapiV3Document, openapiV3Index, openapiV3Served } from './v3.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function get(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
  return cur;
}

function v3(gvPath: string): Obj {
  const d = openapiV3Document(gvPath);
  assert.ok(d, gvPath);
  return d as Obj;
}

/** Every `$ref` string anywhere in a document. */
function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refs(x, out);
  else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refs(x, out);
    }
  }
  return out;
}

function resolve(doc: Obj, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), ref);
  return get(doc, ...ref.slice(2).split('/'));
}

function operations(doc: Obj): { path: string; method: string; op: Obj }[] {
  const out: { path: string; method: string; op: Obj }[] = [];
  for (const [path, item] of Object.entries((doc['paths'] ?? {}) as Obj)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete']) {
      const op = get(item, method);
      if (isObj(op)) out.push({ path, method, op });
    }
  }
  return out;
}

const gvk = (r: Pick<ResourceInfo, 'group' | 'version' | 'kind'>) => ({ group: r.group, kind: r.kind, version: r.version });

describe('openapi v3', () => {
  it('indexes every served group-version with the hash of its document', () => {
    const index = openapiV3Index();
    const expected = [...new Set(RESOURCES.map((r) => gvPathOf(r.group, r.version)))].sort();
    assert.deepEqual(Object.keys(index.paths).sort(), expected);
    for (const [gvPath, entry] of Object.entries(index.paths)) {
      const d = openapiV3Served(gvPath);
      assert.ok(d);
      assert.equal(openapiV3Document(gvPath), d.document);
      assert.equal(entry.serverRelativeURL, `/openapi/v3/${gvPath}?hash=${d.hash}`);
      assert.equal(d.hash, createHash('sha512').update(d.body).digest('hex').toUpperCase());
      assert.equal(d.etag, `"${d.hash}"`);
      assert.deepEqual(JSON.parse(d.body), d.document);
    }
  });

  it('finds documents by any spelling of the path and nothing else', () => {
    const d = openapiV3Served('apis/apps/v1');
    assert.equal(openapiV3Served('/openapi/v3/apis/apps/v1?hash=X'), d);
    assert.equal(openapiV3Document('/openapi/v3/apis/apps/v1?hash=X'), d?.document);
    assert.equal(openapiV3Served('/apis/apps/v1'), d);
    assert.equal(openapiV3Document('apis/apps/v2'), undefined);
    assert.equal(openapiV3Document('apis/apps'), undefined);
    assert.equal(openapiV3Document(''), undefined);
  });

  it('has a schema with its GVK for every served kind (what kubectl explain looks for)', () => {
    for (const r of RESOURCES) {
      const doc = v3(gvPathOf(r.group, r.version));
      const schemas = Object.values((get(doc, 'components', 'schemas') ?? {}) as Obj);
      const found = schemas.filter((s) => {
        const list = get(s, 'x-kubernetes-group-version-kind');
        return Array.isArray(list) && list.some((g) => JSON.stringify(g) === JSON.stringify(gvk(r)));
      });
      assert.equal(found.length, 1, `${r.group}/${r.version} ${r.kind}`);
    }
  });

  it('serves the paths kubectl explain searches, with the GVK on their operations', () => {
    for (const r of RESOURCES) {
      const doc = v3(gvPathOf(r.group, r.version));
      const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
      if (!r.verbs.includes('get')) {
        // the self reviews: created and answered, never stored — one POST on the collection
        const path = `${prefix}/${r.plural}`;
        assert.deepEqual(get(doc, 'paths', path, 'post', 'x-kubernetes-group-version-kind'), gvk(r), path);
        assert.equal(get(doc, 'paths', path, 'get'), undefined, path);
        continue;
      }
      const path = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}/{name}` : `${prefix}/${r.plural}/{name}`;
      assert.deepEqual(get(doc, 'paths', path, 'get', 'x-kubernetes-group-version-kind'), gvk(r), path);
      assert.equal(get(doc, 'paths', path, 'get', 'x-kubernetes-action'), 'get');
    }
  });

  it('lists fieldValidation inline on every PATCH operation (so kubectl validates server-side)', () => {
    for (const gvPath of Object.keys(openapiV3Index().paths)) {
      const doc = v3(gvPath);
      for (const { path, op } of operations(doc).filter((o) => o.method === 'patch')) {
        const names = ((op['parameters'] ?? []) as unknown[]).map((p) => get(p, 'name'));
        assert.ok(names.includes('fieldValidation'), path);
        assert.ok(isObj(op['x-kubernetes-group-version-kind']), path);
      }
    }
    const patch = get(v3('apis/apps/v1'), 'paths', '/apis/apps/v1/namespaces/{namespace}/deployments/{name}', 'patch');
    assert.deepEqual(get(patch, 'x-kubernetes-group-version-kind'), { group: 'apps', kind: 'Deployment', version: 'v1' });
    assert.equal(get(patch, 'x-kubernetes-action'), 'patch');
    assert.ok(isObj(get(patch, 'requestBody', 'content', 'application/strategic-merge-patch+json')));
    assert.ok(isObj(get(patch, 'requestBody', 'content', 'application/apply-patch+yaml')));
  });

  it('serves subresources and collection operations', () => {
    const apps = v3('apis/apps/v1');
    const scale = '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale';
    assert.deepEqual(get(apps, 'paths', scale, 'patch', 'x-kubernetes-group-version-kind'), { group: 'autoscaling', kind: 'Scale', version: 'v1' });
    assert.ok(isObj(get(apps, 'components', 'schemas', 'io.k8s.api.autoscaling.v1.Scale')));
    const status = '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status';
    assert.deepEqual(Object.keys(get(apps, 'paths', status) as Obj).sort(), ['get', 'parameters', 'patch', 'put']);
    assert.equal(get(apps, 'paths', '/apis/apps/v1/namespaces/{namespace}/deployments', 'delete', 'x-kubernetes-action'), 'deletecollection');
    assert.equal(get(apps, 'paths', '/apis/apps/v1/deployments', 'get', 'operationId'), 'listAppsV1DeploymentForAllNamespaces');
    assert.equal(get(apps, 'paths', '/apis/apps/v1/watch/namespaces/{namespace}/deployments', 'get', 'x-kubernetes-action'), 'watchlist');
    const core = v3('api/v1');
    assert.equal(get(core, 'paths', '/api/v1/namespaces/{namespace}/pods/{name}', 'get', 'operationId'), 'readCoreV1NamespacedPod');
    assert.deepEqual(get(core, 'paths', '/api/v1/namespaces/{namespace}/pods/{name}/eviction', 'post', 'x-kubernetes-group-version-kind'), { group: 'policy', kind: 'Eviction', version: 'v1' });
    assert.deepEqual(get(core, 'paths', '/api/v1/namespaces/{namespace}/pods/{name}/binding', 'post', 'x-kubernetes-group-version-kind'), { group: '', kind: 'Binding', version: 'v1' });
    assert.equal(get(core, 'paths', '/api/v1/namespaces/{namespace}/pods/{name}/exec', 'post', 'x-kubernetes-action'), 'connect');
    assert.equal(get(core, 'paths', '/api/v1/namespaces/{namespace}/pods/{name}/log', 'get', 'operationId'), 'readCoreV1NamespacedPodLog');
    assert.equal(get(core, 'paths', '/api/v1/namespaces/{name}/finalize', 'put', 'x-kubernetes-action'), 'put');
    assert.equal(get(core, 'paths', '/api/v1/nodes/{name}', 'get', 'operationId'), 'readCoreV1Node');
    // Namespace has no deletecollection
    assert.equal(get(core, 'paths', '/api/v1/namespaces', 'delete'), undefined);
  });

  it('resolves every $ref, and keeps schemas of other group-versions out', () => {
    for (const gvPath of Object.keys(openapiV3Index().paths)) {
      const doc = v3(gvPath);
      for (const ref of refs(doc)) assert.ok(resolve(doc, ref) !== undefined, `${gvPath}: ${ref}`);
    }
    const coordination = Object.keys((get(v3('apis/coordination.k8s.io/v1'), 'components', 'schemas') ?? {}) as Obj);
    assert.ok(coordination.includes('io.k8s.api.coordination.v1.Lease'));
    assert.ok(!coordination.includes('io.k8s.api.core.v1.PodSpec'));
  });

  it('publishes strategic-merge metadata and kubectl-friendly types', () => {
    const schemas = get(v3('apis/apps/v1'), 'components', 'schemas');
    const containers = get(schemas, 'io.k8s.api.core.v1.PodSpec', 'properties', 'containers');
    assert.equal(get(containers, 'x-kubernetes-patch-merge-key'), 'name');
    assert.equal(get(containers, 'x-kubernetes-patch-strategy'), 'merge');
    assert.equal(get(containers, 'x-kubernetes-list-type'), 'map');
    assert.equal(get(containers, 'items', '$ref'), '#/components/schemas/io.k8s.api.core.v1.Container');
    const strategy = get(schemas, 'io.k8s.api.apps.v1.DeploymentSpec', 'properties', 'strategy');
    assert.equal(get(strategy, 'x-kubernetes-patch-strategy'), 'retainKeys');
    assert.deepEqual(get(strategy, 'allOf'), [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }]);
    assert.deepEqual(get(schemas, 'io.k8s.apimachinery.pkg.util.intstr.IntOrString', 'oneOf'), [{ type: 'integer' }, { type: 'string' }]);
    assert.deepEqual(get(schemas, 'io.k8s.apimachinery.pkg.api.resource.Quantity', 'oneOf'), [{ type: 'string' }, { type: 'number' }]);
  });
});

describe('openapi v2', () => {
  const doc = openapiV2Document() as Obj;

  it('is a Swagger 2.0 document with every definition and served path', () => {
    assert.equal(doc['swagger'], '2.0');
    assert.ok(isObj(get(doc, 'definitions', 'io.k8s.api.apps.v1.Deployment')));
    assert.ok(isObj(get(doc, 'paths', '/api/v1/namespaces/{namespace}/pods/{name}', 'patch')));
    assert.ok(isObj(get(doc, 'paths', '/apis/batch/v1/namespaces/{namespace}/cronjobs/{name}/status', 'put')));
    assert.equal(openapiV2Document(), openapiV2Document());
    const served = openapiV2Served();
    assert.equal(served.document, doc);
    assert.equal(served.hash, createHash('sha512').update(served.body).digest('hex').toUpperCase());
  });

  it('resolves every $ref', () => {
    for (const ref of refs(doc)) assert.ok(resolve(doc, ref) !== undefined, ref);
  });

  it('lists fieldValidation on PATCH and a body parameter on writes', () => {
    for (const { path, op } of operations(doc).filter((o) => o.method === 'patch')) {
      const params = (op['parameters'] ?? []) as unknown[];
      assert.ok(params.some((p) => get(p, 'name') === 'fieldValidation'), path);
      assert.ok(params.some((p) => get(p, 'in') === 'body'), path);
    }
  });
});

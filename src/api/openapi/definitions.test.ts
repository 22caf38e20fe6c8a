import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESOURCES } from '../resources.js';
import { DEFINITION_REF_PREFIX, definitionName, definitions, refName, schemaLookup, schemaNodeFor, type Schema } from './definitions.js';
import { ATOMIC_STRUCTS, PATCH_META } from './patch-meta.js';
import type { SchemaNode } from './schema-lookup.js';

function at(root: SchemaNode | undefined, path: string): SchemaNode {
  let node = root;
  for (const part of path.split('.')) {
    assert.ok(node, `no node before ${part} in ${path}`);
    node = part === '[]' ? node.items : node.property?.(part);
  }
  assert.ok(node, `no node at ${path}`);
  return node;
}

describe('definitions', () => {
  it('has a definition with its GVK for every served kind and, when it can be listed, its list', () => {
    for (const r of RESOURCES) {
      for (const kind of r.verbs.includes('list') ? [r.kind, r.listKind] : [r.kind]) {
        const name = definitionName(r.group, r.version, kind);
        assert.ok(name, `${r.group}/${r.version} ${kind}`);
        const gvks = definitions[name]?.['x-kubernetes-group-version-kind'] ?? [];
        assert.ok(gvks.some((g) => g.group === r.group && g.version === r.version && g.kind === kind), name);
      }
    }
  });

  it('names kinds as Kubernetes does', () => {
    assert.equal(definitionName('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
    assert.equal(definitionName('', 'v1', 'Event'), 'io.k8s.api.core.v1.Event');
    assert.equal(definitionName('events.k8s.io', 'v1', 'Event'), 'io.k8s.api.events.v1.Event');
    assert.equal(definitionName('autoscaling', 'v1', 'Scale'), 'io.k8s.api.autoscaling.v1.Scale');
    assert.equal(definitionName('policy', 'v1', 'Eviction'), 'io.k8s.api.policy.v1.Eviction');
    assert.equal(definitionName('', 'v1', 'Status'), 'io.k8s.apimachinery.pkg.apis.meta.v1.Status');
    assert.equal(definitionName('apps', 'v1', 'DeleteOptions'), 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
    assert.equal(definitionName('apps', 'v1', 'StatefulSet'), undefined);
    assert.ok(definitions['io.k8s.api.core.v1.PodTemplateSpec'], 'PodTemplateSpec is core/v1');
  });

  it('resolves every $ref', () => {
    const check = (s: Schema, where: string): void => {
      if (s.$ref !== undefined) {
        assert.ok(s.$ref.startsWith(DEFINITION_REF_PREFIX), `${where}: ${s.$ref}`);
        assert.ok(definitions[refName(s.$ref)], `${where}: unresolved ${s.$ref}`);
      }
      if (s.items) check(s.items, `${where}[]`);
      if (typeof s.additionalProperties === 'object') check(s.additionalProperties, `${where}{}`);
      for (const [k, p] of Object.entries(s.properties ?? {})) check(p, `${where}.${k}`);
    };
    for (const [name, def] of Object.entries(definitions)) check(def, name);
  });

  it('merges the patch metadata', () => {
    for (const [name, fields] of Object.entries(PATCH_META)) {
      for (const [field, meta] of Object.entries(fields)) {
        const prop = definitions[name]?.properties?.[field];
        assert.ok(prop, `${name}.${field}`);
        for (const [k, v] of Object.entries(meta)) assert.deepEqual(prop[k as keyof Schema], v, `${name}.${field} ${k}`);
      }
    }
    for (const name of ATOMIC_STRUCTS) assert.equal(definitions[name]?.['x-kubernetes-map-type'], 'atomic', name);
  });

  it('keeps required fields', () => {
    assert.deepEqual(definitions['io.k8s.api.apps.v1.DeploymentSpec']?.required, ['selector', 'template']);
    assert.deepEqual(definitions['io.k8s.api.core.v1.Container']?.required, ['name']);
  });
});

describe('schemaLookup', () => {
  const deployment = schemaLookup.forKind('apps', 'v1', 'Deployment');
  const pod = schemaLookup.forKind('', 'v1', 'Pod');

  it('answers undefined for kinds it does not know', () => {
    assert.equal(schemaLookup.forKind('apps', 'v1', 'Nope'), undefined);
    assert.equal(schemaLookup.forKind('', 'v2', 'Pod'), undefined);
  });

  it('maps types', () => {
    assert.equal(deployment?.type, 'object');
    assert.ok(deployment?.propertyNames?.().includes('spec'));
    assert.equal(at(deployment, 'spec.replicas').type, 'integer');
    assert.equal(at(deployment, 'spec.paused').type, 'boolean');
    assert.equal(at(deployment, 'metadata.name').type, 'string');
    assert.equal(at(deployment, 'metadata.creationTimestamp').type, 'string');
    assert.equal(at(deployment, 'spec.template.spec.containers').type, 'array');
    assert.equal(at(deployment, 'spec.template.spec.containers.[]').type, 'object');
    assert.deepEqual(at(deployment, 'spec').required, ['selector', 'template']);
    assert.equal(at(deployment, 'spec').property?.('replicasx'), undefined);
    assert.equal(at(deployment, 'spec').property?.('__proto__'), undefined);
  });

  it('marks IntOrString and Quantity', () => {
    const maxSurge = at(deployment, 'spec.strategy.rollingUpdate.maxSurge');
    assert.equal(maxSurge.type, 'string');
    assert.equal(maxSurge.intOrString, true);
    const limits = at(pod, 'spec.containers.[].resources.limits');
    assert.equal(limits.type, 'map');
    assert.equal(limits.items?.intOrString, true);
    assert.equal(at(pod, 'spec.containers.[].name').intOrString, undefined);
  });

  it('treats free-form values as any and maps as maps', () => {
    const labels = at(pod, 'metadata.labels');
    assert.equal(labels.type, 'map');
    assert.equal(labels.items?.type, 'string');
    assert.equal(at(pod, 'metadata.managedFields.[].fieldsV1').type, 'any');
    assert.equal(at(schemaLookup.forKind('', 'v1', 'ConfigMap'), 'data').type, 'map');
    assert.equal(at(schemaLookup.forKind('apps', 'v1', 'WatchEvent'), 'object').type, 'any');
  });

  it('carries strategic-merge and list metadata', () => {
    const containers = at(pod, 'spec.containers');
    assert.equal(containers.patchMergeKey, 'name');
    assert.equal(containers.patchStrategy, 'merge');
    assert.equal(containers.listType, 'map');
    assert.deepEqual(containers.listMapKeys, ['name']);
    assert.equal(at(pod, 'spec.volumes').patchStrategy, 'merge,retainKeys');
    const ports = at(pod, 'spec.containers.[].ports');
    assert.equal(ports.patchMergeKey, 'containerPort');
    assert.deepEqual(ports.listMapKeys, ['containerPort', 'protocol']);
    assert.equal(at(pod, 'spec.containers.[].env').patchMergeKey, 'name');
    assert.equal(at(pod, 'spec.containers.[].volumeMounts').patchMergeKey, 'mountPath');
    assert.equal(at(pod, 'spec.tolerations').listType, 'atomic');
    assert.equal(at(pod, 'spec.tolerations').patchMergeKey, undefined);
    assert.equal(at(pod, 'status.conditions').patchMergeKey, 'type');
    assert.equal(at(pod, 'metadata.ownerReferences').patchMergeKey, 'uid');
    assert.equal(at(pod, 'metadata.finalizers').patchStrategy, 'merge');
    assert.equal(at(pod, 'metadata.finalizers').listType, 'set');
    assert.equal(at(pod, 'spec.nodeSelector').mapType, 'atomic');
    const strategy = at(deployment, 'spec.strategy');
    assert.equal(strategy.patchStrategy, 'retainKeys');
    assert.equal(strategy.property?.('type')?.type, 'string', 'a $ref with siblings still exposes the target properties');
    assert.equal(at(deployment, 'spec.selector').mapType, 'atomic');
    const pdb = schemaLookup.forKind('policy', 'v1', 'PodDisruptionBudget');
    assert.equal(at(pdb, 'spec.selector').patchStrategy, 'replace', 'a strategic merge patch replaces a PDB selector whole');
    assert.equal(at(pdb, 'status.conditions').patchMergeKey, 'type');
    const svcPorts = at(schemaLookup.forKind('', 'v1', 'Service'), 'spec.ports');
    assert.equal(svcPorts.patchMergeKey, 'port');
    assert.deepEqual(svcPorts.listMapKeys, ['port', 'protocol']);
    assert.equal(at(schemaLookup.forKind('', 'v1', 'Node'), 'status.addresses').patchMergeKey, 'type');
  });

  it('caches nodes', () => {
    assert.equal(schemaLookup.forKind('', 'v1', 'Pod'), pod);
    assert.equal(schemaNodeFor('io.k8s.api.core.v1.PodSpec'), at(pod, 'spec'));
    assert.equal(at(pod, 'spec.containers'), at(pod, 'spec.containers'));
  });
});

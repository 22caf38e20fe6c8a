// REST paths and the namespace rules every Client implementation shares.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createAddress, namespaceFor, objectAddress, resourcePath } from './address.js';
import { findResource, type ResourceInfo } from './resources.js';

function resourceInfo(group: string, version: string, plural: string): ResourceInfo {
  const r = findResource(group, version, plural);
  if (!r) throw new Error(`no resource ${plural}`);
  return r;
}

const PODS = resourceInfo('', 'v1', 'pods');
const NODES = resourceInfo('', 'v1', 'nodes');
const DEPLOYMENTS = resourceInfo('apps', 'v1', 'deployments');

test('paths for core and grouped, namespaced and cluster-scoped resources', () => {
  assert.equal(resourcePath(PODS, 'prod'), '/api/v1/namespaces/prod/pods');
  assert.equal(resourcePath(PODS, undefined), '/api/v1/pods');
  assert.equal(resourcePath(PODS, 'prod', 'web', 'binding'), '/api/v1/namespaces/prod/pods/web/binding');
  assert.equal(resourcePath(NODES, 'ignored', 'n1', 'status'), '/api/v1/nodes/n1/status');
  assert.equal(resourcePath(DEPLOYMENTS, 'prod', 'web', 'scale'), '/apis/apps/v1/namespaces/prod/deployments/web/scale');
  assert.equal(resourcePath(PODS, 'a b', 'c/d'), '/api/v1/namespaces/a%20b/pods/c%2Fd');
});

test('namespaces: required with a name for namespaced resources, ignored for cluster-scoped ones', () => {
  assert.equal(namespaceFor(PODS, 'prod', 'web'), 'prod');
  assert.equal(namespaceFor(PODS, '', undefined), undefined, 'all namespaces');
  assert.equal(namespaceFor(NODES, 'prod', 'n1'), undefined);
  assert.throws(() => namespaceFor(PODS, '', 'web'), { name: 'TypeError', message: /an empty namespace may not be set when a resource name is provided/ });
  assert.throws(() => createAddress(PODS, { metadata: { name: 'web' } }), /an empty namespace may not be set during creation/);
  assert.deepEqual(createAddress(NODES, { metadata: { name: 'n1', namespace: 'x' } }), { namespace: undefined, name: 'n1' });
  assert.throws(() => objectAddress(PODS, { metadata: { namespace: 'prod' } }), /resource name may not be empty/);
});

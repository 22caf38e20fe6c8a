import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { applyPatch, APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, supportedPatchTypes, type PatchContext } from './patch.js';
import { deploymentSchema } from './test-schema.js';

type Json = Record<string, unknown>;
const NOW = new Date('2024-05-01T10:00:00Z');
const ctx = (extra: Partial<PatchContext> = {}): PatchContext => ({ schema: deploymentSchema, now: NOW, apiVersion: 'apps/v1', ...extra });

const live = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '5', labels: { app: 'web' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'b' }] } } },
});
const images = (o: KubeObject): unknown[] => ((((o.spec as Json).template as Json).spec as Json).containers as Json[]).map((c) => c.image);

test('applyPatch dispatches on the content type', () => {
  const cases: { name: string; type: string; body: string; check: (o: KubeObject) => void }[] = [
    {
      name: 'json patch',
      type: JSON_PATCH,
      body: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 3 }]),
      check: (o) => assert.equal((o.spec as Json).replicas, 3),
    },
    {
      name: 'merge patch replaces lists',
      type: `${MERGE_PATCH}; charset=utf-8`,
      body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } }),
      check: (o) => assert.deepEqual(images(o), ['nginx:2']),
    },
    {
      name: 'strategic merge patch merges lists by key',
      type: STRATEGIC_MERGE_PATCH,
      body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } }),
      check: (o) => assert.deepEqual(images(o), ['nginx:2', 'b']),
    },
    {
      name: 'apply (YAML)',
      type: APPLY_PATCH,
      body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n',
      check: (o) => {
        assert.equal((o.spec as Json).replicas, 4);
        // live had no managedFields: its fields were before-first-apply's, forced over to kubectl
        assert.deepEqual(
          o.metadata?.managedFields?.map((e) => [e.manager, e.operation]),
          [
            ['kubectl', 'Apply'],
            ['before-first-apply', 'Update'],
          ],
        );
      },
    },
  ];
  for (const c of cases) {
    const input = live();
    const out = applyPatch(input, c.body, c.type, ctx({ manager: 'kubectl', ...(c.type === APPLY_PATCH ? { force: true } : {}) }));
    c.check(out);
    assert.equal(out.metadata?.uid, 'u1', c.name);
    assert.deepEqual(input, live(), `${c.name}: live untouched`);
  }
});

test('applyPatch records non-apply patches as Update by the manager', () => {
  const out = applyPatch(live(), '{"spec":{"replicas":2}}', MERGE_PATCH, ctx({ manager: 'kubectl-patch' }));
  assert.deepEqual(out.metadata?.managedFields, [
    { manager: 'kubectl-patch', operation: 'Update', apiVersion: 'apps/v1', time: '2024-05-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
  ]);
  assert.equal(applyPatch(live(), '{"spec":{"replicas":2}}', MERGE_PATCH, ctx()).metadata?.managedFields, undefined, 'no manager: nothing recorded');
});

test('applyPatch creates through apply only', () => {
  const created = applyPatch(undefined, JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'new' } }), APPLY_PATCH, ctx({ manager: 'kubectl', kind: 'Deployment' }));
  assert.equal(created.metadata?.name, 'new');
  assert.throws(() => applyPatch(undefined, '{}', MERGE_PATCH, ctx()), /needs an existing object/);
});

test('applyPatch errors carry Kubernetes status codes and messages', () => {
  const cases: { name: string; type: string; body: string; extra?: Partial<PatchContext>; code: number; reason: string; message: string }[] = [
    {
      name: 'unsupported content type',
      type: 'application/json',
      body: '{}',
      code: 415,
      reason: 'UnsupportedMediaType',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    },
    {
      name: 'strategic merge on a custom resource',
      type: STRATEGIC_MERGE_PATCH,
      body: '{}',
      extra: { strategicMergePatch: false },
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    },
    {
      name: 'apply without field manager',
      type: APPLY_PATCH,
      body: '{}',
      code: 422,
      reason: 'Invalid',
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    },
    {
      name: 'force on a merge patch',
      type: MERGE_PATCH,
      body: '{}',
      extra: { force: true, manager: 'm' },
      code: 422,
      reason: 'Invalid',
      message: 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    },
    { name: 'invalid JSON', type: STRATEGIC_MERGE_PATCH, body: '{"spec":', code: 400, reason: 'BadRequest', message: 'error decoding patch: ' },
    { name: 'empty JSON body', type: JSON_PATCH, body: '', code: 400, reason: 'BadRequest', message: 'error decoding patch: ' },
    { name: 'merge patch not an object', type: MERGE_PATCH, body: '[1]', code: 400, reason: 'BadRequest', message: 'Invalid JSON Patch' },
    { name: 'invalid YAML', type: APPLY_PATCH, body: 'a: [1', extra: { manager: 'kubectl' }, code: 400, reason: 'BadRequest', message: 'error decoding YAML: ' },
    {
      name: 'YAML list',
      type: APPLY_PATCH,
      body: '- 1',
      extra: { manager: 'kubectl' },
      code: 400,
      reason: 'BadRequest',
      message: 'error decoding YAML: json: cannot unmarshal array into Go value of type map[string]interface {}',
    },
    {
      name: 'empty apply body',
      type: APPLY_PATCH,
      body: '',
      extra: { manager: 'kubectl' },
      code: 400,
      reason: 'BadRequest',
      message: 'Incorrect version specified in apply patch. Specified patch version: , expected: apps/v1',
    },
    {
      name: 'json patch replacing the document with a list',
      type: JSON_PATCH,
      body: '[{"op":"replace","path":"","value":[1]}]',
      code: 422,
      reason: 'Invalid',
      message: ' "" is invalid: patch: Invalid value: "[1]": json: cannot unmarshal array into Go value of type map[string]interface {}',
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => applyPatch(live(), c.body, c.type, ctx(c.extra)),
      (e: unknown) => {
        assert.ok(e instanceof ApiError, c.name);
        assert.equal(e.code, c.code, c.name);
        assert.equal(e.reason, c.reason, c.name);
        assert.ok(e.message.startsWith(c.message), `${c.name}: ${e.message}`);
        return true;
      },
    );
  }
});

test('supportedPatchTypes lists what the apiserver advertises', () => {
  assert.deepEqual(supportedPatchTypes(), [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH]);
  assert.deepEqual(supportedPatchTypes(false), [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]);
});

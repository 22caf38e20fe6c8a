import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import { findResource } from '../api/resources.js';
import { ALLOWED_REASON, answerSelfReview, isSelfReview } from './self-reviews.js';

const ADMIN = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
const SSAR = findResource('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews')!;
const SSRR = findResource('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews')!;
const SSR = findResource('authentication.k8s.io', 'v1', 'selfsubjectreviews')!;

test('the three self reviews are create-only and recognised; nothing else is', () => {
  for (const r of [SSAR, SSRR, SSR]) {
    assert.ok(isSelfReview(r), r.plural);
    assert.deepEqual(r.verbs, ['create']);
  }
  assert.equal(isSelfReview(findResource('', 'v1', 'pods')!), false);
});

test('an access review is allowed (every authenticated user may do everything), its spec echoed', () => {
  const spec = { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } };
  assert.deepEqual(answerSelfReview(SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec }, ADMIN), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: true, reason: ALLOWED_REASON },
  });
  const nonResource = answerSelfReview(SSAR, { spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } }, ADMIN);
  assert.deepEqual(nonResource.status, { allowed: true, reason: ALLOWED_REASON });
});

test('an access review needs exactly one of resourceAttributes and nonResourceAttributes (422)', () => {
  for (const spec of [{}, { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/', verb: 'get' } }]) {
    assert.throws(
      () => answerSelfReview(SSAR, { spec }, ADMIN),
      (e: unknown) => e instanceof ApiError && e.code === 422 && /SelfSubjectAccessReview\.authorization\.k8s\.io "" is invalid: spec\.(resourceAttributes|nonResourceAttributes)/.test(e.message),
    );
  }
});

test('the rules review lists everything; the self review names the user and groups', () => {
  const rules = answerSelfReview(SSRR, { spec: { namespace: 'default' } }, ADMIN);
  assert.deepEqual(rules.status, { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false });
  const me = answerSelfReview(SSR, {}, ADMIN);
  assert.deepEqual(me, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { creationTimestamp: null }, status: { userInfo: { username: 'admin', groups: ['system:masters', 'system:authenticated'] } } });
});

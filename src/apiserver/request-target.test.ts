import assert from 'node:assert/strict';
import { it } from 'node:test';

import { parseRequestTarget } from './request-target.js';

it('agrees with URL on path and query', () => {
  const targets = [
    '/',
    '/api/v1/namespaces/default/pods',
    '/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
    '/api/v1/namespaces/default/pods/a.b-c?dryRun=All&dryRun=All',
    '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb%2Ctier+in+(a,b)',
    '/api/v1/namespaces/default/pods/x%2Fy',
    '/api/v1/namespaces/default/pods/../secrets',
    '/api/v1/./namespaces',
    '//api/v1',
    '/api/v1/pods?watch=1#frag',
    '/api/v1/pods#frag?x=1',
    '/api/v1/pods\\x',
    '/api/v1/pods/a b',
    '/api/v1/pods/é',
    '/api/v1/pods?',
    '/apis/apps/v1/namespaces/default/deployments/web/scale?',
    '/api/v1/pods/.hidden',
  ];
  for (const t of targets) {
    const url = new URL(t, 'https://skiff');
    const got = parseRequestTarget(t);
    assert.equal(got.pathname, url.pathname, t);
    assert.deepEqual([...got.searchParams], [...url.searchParams], t);
  }
});

it('takes a missing target as /', () => {
  assert.equal(parseRequestTarget(undefined).pathname, '/');
});

// The service account controller against a FakeClient (a hand-written in-memory fake of Client,
// checked by the client contract suite) with a FakeClock.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { resourceInfo } from '../../client/client.js';
import { Harness } from '../endpoints/testing.js';
import { createServiceAccountController, wantsDefaultServiceAccount } from './controller.js';

const NAMESPACES = resourceInfo('', 'v1', 'namespaces');
const SERVICE_ACCOUNTS = resourceInfo('', 'v1', 'serviceaccounts');

describe('service account controller', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.stop());

  const names = async (ns: string) => (await h.list(SERVICE_ACCOUNTS, ns)).map((o) => o.metadata?.name).sort();

  test('every active namespace gets a default ServiceAccount, recreated after deletion', async () => {
    await h.client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' }, status: { phase: 'Active' } });
    await h.start(createServiceAccountController);
    await h.client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' }, status: { phase: 'Active' } });
    await h.settle();
    assert.deepEqual(await names('a'), ['default']);
    assert.deepEqual(await names('b'), ['default']);
    await h.client.delete(SERVICE_ACCOUNTS, 'a', 'default');
    await h.settle();
    assert.deepEqual(await names('a'), ['default']);
  });

  test('terminating namespaces get none', async () => {
    await h.client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' }, status: { phase: 'Terminating' } });
    await h.start(createServiceAccountController);
    assert.deepEqual(await names('gone'), []);
    assert.equal(wantsDefaultServiceAccount(undefined), false);
    assert.equal(wantsDefaultServiceAccount({ metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:00:00Z' } }), false);
  });
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';
import type { ListOptions, ListResult } from '../client/client.js';
import { FakeClient } from '../client/fake-client.js';
import { Informer } from '../client/informer.js';
import { ClientPodObjects, SERVICES } from './pod-objects.js';

class CountingClient extends FakeClient {
  lists = 0;
  override list<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.lists++;
    return super.list<T>(info, namespace, opts);
  }
}

function service(namespace: string, name: string): Service & KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: { clusterIP: '10.43.0.10', ports: [{ port: 80 }] } } as Service & KubeObject;
}

const names = (l: Service[]) => l.map((s) => s.metadata?.name).sort();

test('services come from the informer: it waits for the first list, sees later changes, and LISTs no more', async (t) => {
  const client = new CountingClient();
  await client.create(SERVICES, service('a', 'one'));
  await client.create(SERVICES, service('b', 'two'));
  const inf = new Informer<Service & KubeObject>({ client, resource: SERVICES });
  const objects = new ClientPodObjects(client, { services: inf });
  const first = objects.services('a'); // before the informer runs: waits for its first list
  inf.start();
  t.after(() => inf.stop());
  assert.deepEqual(names(await first), ['one']);
  const listsAfterSync = client.lists;
  await client.create(SERVICES, service('a', 'three'));
  for (let i = 0; i < 100 && (await objects.services('a')).length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(names(await objects.services('a')), ['one', 'three']);
  assert.deepEqual(names(await objects.services('b')), ['two']);
  assert.equal(client.lists, listsAfterSync, 'no LIST per call');
});

test('services: a LIST per call without an informer, and when the informer stops before its first list', async () => {
  const client = new CountingClient();
  await client.create(SERVICES, service('a', 'one'));
  assert.deepEqual(names(await new ClientPodObjects(client).services('a')), ['one']);
  assert.equal(client.lists, 1);
  const inf = new Informer<Service & KubeObject>({ client, resource: SERVICES });
  const pending = new ClientPodObjects(client, { services: inf }).services('a');
  inf.start();
  await inf.stop();
  assert.deepEqual(names(await pending), ['one']);
});

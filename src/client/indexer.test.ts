// Indexer and Lister: keys, the default namespace index, custom indexes kept in step on update,
// delete and replace, selector reads.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseLabelSelector } from '../api/labels.js';
import type { KubeObject } from '../api/object.js';
import { Indexer, NAMESPACE_INDEX } from './indexer.js';
import { Lister } from './lister.js';

const obj = (ns: string | undefined, name: string, labels: Record<string, string> = {}, node = ''): KubeObject => ({
  metadata: { name, ...(ns ? { namespace: ns } : {}), labels },
  spec: { nodeName: node },
});
const byNode = (o: KubeObject): string[] => {
  const n = (o.spec as { nodeName?: string }).nodeName;
  return n ? [n] : [];
};

test('keys are namespace/name, or name for cluster-scoped objects', () => {
  const ix = new Indexer();
  ix.upsert(obj('a', 'x'));
  ix.upsert(obj(undefined, 'node-1'));
  assert.deepEqual(ix.listKeys().sort(), ['a/x', 'node-1']);
  assert.equal(ix.getByName('a', 'x')?.metadata?.name, 'x');
  assert.equal(ix.getByName(undefined, 'node-1')?.metadata?.name, 'node-1');
  assert.deepEqual(ix.byIndex(NAMESPACE_INDEX, '').map((o) => o.metadata?.name), ['node-1']);
});

test('indexes follow upserts, deletes and replace', () => {
  const ix = new Indexer({ node: byNode });
  ix.upsert(obj('a', 'p1', {}, 'n1'));
  ix.upsert(obj('a', 'p2', {}, 'n1'));
  ix.upsert(obj('b', 'p3'));
  assert.deepEqual(ix.indexKeys('node', 'n1').sort(), ['a/p1', 'a/p2']);
  assert.deepEqual(ix.indexKeys('node', ''), [], 'unbound pods are not indexed');
  const old = ix.upsert(obj('a', 'p2', {}, 'n2'));
  assert.equal((old?.spec as { nodeName: string }).nodeName, 'n1');
  assert.deepEqual(ix.indexKeys('node', 'n1'), ['a/p1']);
  assert.deepEqual(ix.indexKeys('node', 'n2'), ['a/p2']);
  assert.equal(ix.deleteKey('a/p1')?.metadata?.name, 'p1');
  assert.equal(ix.deleteKey('a/p1'), undefined);
  assert.deepEqual(ix.indexValues('node'), ['n2']);
  assert.deepEqual(ix.byIndex(NAMESPACE_INDEX, 'a').map((o) => o.metadata?.name), ['p2']);
  ix.replace([obj('c', 'p9', {}, 'n9')]);
  assert.deepEqual(ix.listKeys(), ['c/p9']);
  assert.deepEqual(ix.indexValues('node'), ['n9']);
  assert.deepEqual(ix.indexValues(NAMESPACE_INDEX), ['c']);
});

test('an update under the same index values keeps the key indexed and serves the new object; multi-valued indexes follow changes', () => {
  const labelsIndex = (o: KubeObject): string[] => Object.keys(o.metadata?.labels ?? {}).sort();
  const ix = new Indexer({ node: byNode, labels: labelsIndex });
  ix.upsert(obj('a', 'p1', { x: '1', y: '1' }, 'n1'));
  ix.upsert(obj('a', 'p1', { x: '2', y: '2' }, 'n1'));
  assert.deepEqual(ix.byIndex('node', 'n1').map((o) => o.metadata?.labels?.x), ['2']);
  assert.deepEqual(ix.indexKeys('labels', 'x'), ['a/p1']);
  ix.upsert(obj('a', 'p1', { y: '3', z: '3' }, 'n1'));
  assert.deepEqual(ix.indexKeys('labels', 'x'), []);
  assert.deepEqual(ix.indexValues('labels').sort(), ['y', 'z']);
  assert.deepEqual(ix.byIndex('labels', 'z').map((o) => o.metadata?.labels?.y), ['3']);
  assert.deepEqual(ix.byIndex(NAMESPACE_INDEX, 'a').map((o) => o.metadata?.labels?.y), ['3']);
});

test('indexes added later cover existing objects; unknown or duplicate indexes are errors', () => {
  const ix = new Indexer();
  ix.upsert(obj('a', 'p1', {}, 'n1'));
  ix.addIndexers({ node: byNode });
  assert.deepEqual(ix.indexKeys('node', 'n1'), ['a/p1']);
  assert.throws(() => ix.addIndexers({ node: byNode }), /already exists/);
  assert.throws(() => ix.byIndex('nope', 'x'), /index "nope" does not exist/);
});

test('Lister reads by namespace, name and selector', () => {
  const ix = new Indexer();
  ix.upsert(obj('a', 'web-1', { app: 'web' }));
  ix.upsert(obj('a', 'db-1', { app: 'db' }));
  ix.upsert(obj('b', 'web-2', { app: 'web' }));
  const l = new Lister(ix);
  assert.equal(l.list().length, 3);
  assert.deepEqual(l.list(parseLabelSelector('app=web')).map((o) => o.metadata?.name).sort(), ['web-1', 'web-2']);
  assert.deepEqual(l.listInNamespace('a', parseLabelSelector('app=web')).map((o) => o.metadata?.name), ['web-1']);
  assert.deepEqual(l.listInNamespace('a').length, 2);
  assert.equal(l.get('b', 'web-2')?.metadata?.name, 'web-2');
  assert.equal(l.get('b', 'web-1'), undefined);
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SchedulerCache } from './cache.js';
import type { PodInfo } from './pod-info.js';
import { makeNode, makePod } from './testing.js';

const ZONE = 'topology.kubernetes.io/zone';

test('domain counts are built once, follow pod changes, and are rebuilt when node labels change', () => {
  const cache = new SchedulerCache();
  cache.setNode(makeNode('a1', { labels: { [ZONE]: 'a' } }));
  cache.setNode(makeNode('b1', { labels: { [ZONE]: 'b' } }));
  cache.setNode(makeNode('x'));
  const web = makePod('w1', { nodeName: 'a1', labels: { app: 'web' } });
  cache.setPod(web);
  cache.setPod(makePod('db', { nodeName: 'b1', labels: { app: 'db' } }));
  let calls = 0;
  const spec = {
    countKey: 'app=web',
    counts: (p: PodInfo) => {
      calls++;
      return p.labels.app === 'web';
    },
    topologyKey: ZONE,
  };
  const snapshot = cache.snapshot;
  assert.deepEqual([...snapshot.domainCounts.get(spec, snapshot.nodes)], [['a', 1], ['b', 0]]);
  const built = calls;
  cache.setPod(makePod('w2', { nodeName: 'b1', labels: { app: 'web' } }));
  cache.setPod(makePod('w3', { nodeName: 'x', labels: { app: 'web' } }));
  cache.removePod(web);
  assert.deepEqual([...snapshot.domainCounts.get(spec, snapshot.nodes)], [['a', 0], ['b', 1]]);
  assert.equal(calls, built + 2, 'one check per added pod on an eligible node, none on x');
  cache.setNode(makeNode('x', { labels: { [ZONE]: 'c' } }));
  assert.deepEqual(new Map(snapshot.domainCounts.get(spec, snapshot.nodes)), new Map([['a', 0], ['b', 1], ['c', 1]]));
});

// pruneDisruptedPods / countHealthyPods: which eviction entries stay, and who counts as healthy.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { rfc3339 } from '../../api/time.js';
import { countHealthyPods, pruneDisruptedPods } from './disrupted-pods.js';
import { DELETION_TIMEOUT_MS, type Pod } from './objects.js';

const NOW = Date.UTC(2025, 0, 1, 12);

function pod(name: string, opts: { ready?: boolean; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', ...(opts.deleting ? { deletionTimestamp: rfc3339(NOW) } : {}) },
    status: { conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

test('pruneDisruptedPods keeps entries in force and reports the first deadline', () => {
  const pods = [pod('fresh'), pod('older'), pod('stale'), pod('deleting', { deleting: true }), pod('edge'), pod('unlisted')];
  const listed = {
    fresh: rfc3339(NOW - 10_000),
    older: rfc3339(NOW - 60_000),
    stale: rfc3339(NOW - DELETION_TIMEOUT_MS - 1000),
    deleting: rfc3339(NOW - 1000),
    gone: rfc3339(NOW - 1000),
    edge: rfc3339(NOW - DELETION_TIMEOUT_MS),
    garbage: 'yesterday',
  };
  const got = pruneDisruptedPods(listed, pods, NOW);
  assert.deepEqual(got.disruptedPods, { fresh: listed.fresh, older: listed.older, edge: listed.edge });
  assert.deepEqual(got.expired.map((p) => p.metadata?.name), ['stale']);
  assert.equal(got.recheckAtMs, NOW, 'the entry exactly at its deadline expires first');
  assert.deepEqual(pruneDisruptedPods(undefined, pods, NOW), { disruptedPods: {}, expired: [] });
});

test('countHealthyPods: Ready, not being deleted, not evicted within the timeout', () => {
  const pods = [pod('a'), pod('b'), pod('not-ready', { ready: false }), pod('deleting', { deleting: true }), pod('evicted'), pod('evicted-long-ago')];
  const disrupted = { evicted: rfc3339(NOW - 1000), 'evicted-long-ago': rfc3339(NOW - DELETION_TIMEOUT_MS - 1000) };
  assert.equal(countHealthyPods(pods, disrupted, NOW), 3);
  assert.equal(countHealthyPods(pods, {}, NOW), 4);
});

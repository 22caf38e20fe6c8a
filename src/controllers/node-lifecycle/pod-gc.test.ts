// The pod GC against a FakeClient (a hand-written in-memory fake of Client, checked by the client
// contract suite) with a FakeClock: orphans go after the quarantine, finished pods beyond the
// threshold go oldest first.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { Harness, NODES, PODS, makeNode, makePod } from '../endpoints/testing.js';
import { createPodGcController } from './pod-gc.js';

describe('pod GC', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.stop());

  const pods = async () => (await h.list<Pod & KubeObject>(PODS)).map((p) => p.metadata?.name).sort();

  test('pods bound to a node that no longer exists are deleted after the quarantine, others stay', async () => {
    await h.client.create(NODES, makeNode('n1'));
    await h.client.create(PODS, makePod('alive', { node: 'n1' }));
    await h.client.create(PODS, makePod('orphan', { node: 'ghost' }));
    await h.client.create(PODS, makePod('pending', { node: '' }));
    await h.start(createPodGcController({ gcPeriodMs: 20_000, quarantineMs: 40_000 }));
    await h.advance(20_000);
    assert.deepEqual(await pods(), ['alive', 'orphan', 'pending']);
    await h.advance(20_000);
    assert.deepEqual(await pods(), ['alive', 'pending']);
  });

  test('a node that comes back in time saves its pods', async () => {
    await h.client.create(PODS, makePod('p', { node: 'late' }));
    await h.start(createPodGcController({ gcPeriodMs: 20_000, quarantineMs: 40_000 }));
    await h.advance(20_000);
    await h.client.create(NODES, makeNode('late'));
    await h.advance(60_000);
    assert.deepEqual(await pods(), ['p']);
  });

  test('finished pods beyond the threshold are deleted, oldest first', async () => {
    await h.client.create(NODES, makeNode('node-1'));
    for (const name of ['first', 'second', 'third', 'fourth']) {
      await h.client.create(PODS, makePod(name, { phase: 'Succeeded' }));
      await h.clock.advance(1000);
    }
    await h.client.create(PODS, makePod('running'));
    await h.start(createPodGcController({ terminatedPodThreshold: 2 }));
    assert.deepEqual(await pods(), ['fourth', 'running', 'third']);
  });
});

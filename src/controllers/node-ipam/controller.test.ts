// The node IPAM controller against a FakeClient (a hand-written in-memory fake of Client, checked
// by the client contract suite) with a FakeClock: nodes get distinct pod CIDRs, existing ones are
// respected after a restart, deleted nodes free theirs, and a full cluster CIDR is reported.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { Harness, NODES, makeNode } from '../endpoints/testing.js';
import { createNodeIpamController } from './controller.js';

describe('node IPAM controller', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.stop());

  const cidrs = async () => Object.fromEntries((await h.list<Node & { [k: string]: unknown }>(NODES, '')).map((n) => [n.metadata?.name, `${n.spec?.podCIDR ?? '-'} ${JSON.stringify(n.spec?.podCIDRs ?? [])}`]));

  test('each node without a pod CIDR gets the next free /24; nodes that have one keep it', async () => {
    const taken = makeNode('old');
    taken.spec = { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] };
    await h.client.create(NODES, taken);
    await h.client.create(NODES, makeNode('a'));
    await h.start(createNodeIpamController());
    await h.client.create(NODES, makeNode('b'));
    await h.settle();
    assert.deepEqual(await cidrs(), {
      old: '10.42.0.0/24 ["10.42.0.0/24"]',
      a: '10.42.1.0/24 ["10.42.1.0/24"]',
      b: '10.42.2.0/24 ["10.42.2.0/24"]',
    });
  });

  test('a full cluster CIDR: CIDRNotAvailable, then the subnet of a deleted node', async () => {
    await h.client.create(NODES, makeNode('a'));
    await h.client.create(NODES, makeNode('b'));
    await h.start(createNodeIpamController({ clusterCIDR: '10.42.0.0/23', nodeCIDRMaskSize: 24 }));
    await h.client.create(NODES, makeNode('c'));
    await h.settle();
    assert.equal((await cidrs()).c, '- []');
    const events = await h.events();
    assert.deepEqual(
      events.filter((e) => e.reason === 'CIDRNotAvailable').map((e) => `${e.object} ${e.type} ${e.message}`),
      ['Node/c Normal Node c status is now: CIDRNotAvailable'],
    );

    const aCidr = (await cidrs()).a;
    await h.client.delete(NODES, undefined, 'a');
    await h.advance(1000);
    assert.equal((await cidrs()).c, aCidr, 'c got the subnet a had');
  });

  test('with a custom range and mask', async () => {
    await h.client.create(NODES, makeNode('a'));
    await h.start(createNodeIpamController({ clusterCIDR: '198.18.0.0/16', nodeCIDRMaskSize: 26 }));
    assert.equal((await cidrs()).a, '198.18.0.0/26 ["198.18.0.0/26"]');
  });

  test('a failed write is retried with the same subnet', async () => {
    await h.client.create(NODES, makeNode('a'));
    h.client.injectError('patch', new Error('connection reset'), 1);
    await h.start(createNodeIpamController());
    await h.advance(100);
    assert.equal((await cidrs()).a, '10.42.0.0/24 ["10.42.0.0/24"]');
  });

  test('invalid options are refused when the factory is made', () => {
    assert.throws(() => createNodeIpamController({ clusterCIDR: '10.42.0.0/16', nodeCIDRMaskSize: 12 }), /invalid node CIDR mask size 12/);
  });
});

// Tests of the pure node health rules: signs of life on the controller's clock, grace periods,
// conditions set to Unknown, and zone states.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { conditionsWhenUnreachable } from './desired-conditions.js';
import { isOverdue, observeHealth } from './node-health.js';
import { computeZoneState, zoneEvictionRate, zoneKey } from './zone-state.js';

const T0 = Date.UTC(2025, 0, 1);
const grace = { gracePeriodMs: 50_000, startupGracePeriodMs: 60_000 };
const node = (heartbeat?: string): Node => ({
  metadata: { name: 'n1', creationTimestamp: '2025-01-01T00:00:00Z' },
  status: { conditions: heartbeat ? [{ type: 'Ready', status: 'True', lastHeartbeatTime: heartbeat }] : [] },
});
const lease = (renew: string): Lease => ({ metadata: { name: 'n1' }, spec: { renewTime: renew } });

describe('observeHealth / isOverdue', () => {
  test('a Lease renewal is a sign of life; silence past the grace period makes the node overdue', () => {
    let h = observeHealth(undefined, node('2025-01-01T00:00:00Z'), lease('2025-01-01T00:00:00.000000Z'), T0);
    assert.equal(h.probeAt, T0);
    h = observeHealth(h, node('2025-01-01T00:00:00Z'), lease('2025-01-01T00:00:10.000000Z'), T0 + 10_500);
    assert.equal(h.probeAt, T0 + 10_500, 'seen on the controller clock');
    h = observeHealth(h, node('2025-01-01T00:00:00Z'), lease('2025-01-01T00:00:10.000000Z'), T0 + 60_000);
    assert.equal(h.probeAt, T0 + 10_500, 'the same renewal again is no news');
    assert.equal(isOverdue(h, node('x'), T0 + 60_500, grace), false);
    assert.equal(isOverdue(h, node('x'), T0 + 60_501, grace), true);
  });

  test('a new Ready heartbeat is a sign of life too; an older Lease is not', () => {
    let h = observeHealth(undefined, node('a'), lease('2025-01-01T00:00:10Z'), T0);
    h = observeHealth(h, node('b'), lease('2025-01-01T00:00:05Z'), T0 + 30_000);
    assert.equal(h.probeAt, T0 + 30_000);
    h = observeHealth(h, node('b'), lease('2025-01-01T00:00:05Z'), T0 + 40_000);
    assert.equal(h.probeAt, T0 + 30_000);
  });

  test('a node that never posted status is measured from its creation, with the startup grace period', () => {
    const h = observeHealth(undefined, node(), undefined, T0 + 5_000);
    assert.equal(h.probeAt, T0);
    assert.equal(isOverdue(h, node(), T0 + 60_000, grace), false);
    assert.equal(isOverdue(h, node(), T0 + 60_001, grace), true);
  });
});

describe('conditionsWhenUnreachable', () => {
  test('kubelet conditions become Unknown; missing ones are added; NetworkUnavailable is left alone', () => {
    const n: Node = {
      metadata: { name: 'n1', creationTimestamp: '2025-01-01T00:00:00Z' },
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: 'h', lastTransitionTime: 't' },
          { type: 'MemoryPressure', status: 'False' },
          { type: 'NetworkUnavailable', status: 'False' },
        ],
      },
    };
    const out = conditionsWhenUnreachable(n, '2025-01-01T00:01:00Z')!;
    assert.deepEqual(
      out.map((c) => `${c.type}=${c.status} ${c.reason ?? ''} ${c.message ?? ''} ${c.lastTransitionTime ?? ''}`),
      [
        'Ready=Unknown NodeStatusUnknown Kubelet stopped posting node status. 2025-01-01T00:01:00Z',
        'MemoryPressure=Unknown NodeStatusUnknown Kubelet stopped posting node status. 2025-01-01T00:01:00Z',
        'NetworkUnavailable=False   ',
        'DiskPressure=Unknown NodeStatusNeverUpdated Kubelet never posted node status. 2025-01-01T00:01:00Z',
        'PIDPressure=Unknown NodeStatusNeverUpdated Kubelet never posted node status. 2025-01-01T00:01:00Z',
      ],
    );
    assert.equal(out[0]!.lastHeartbeatTime, 'h', 'the last heartbeat is kept');
    assert.equal(n.status!.conditions![0]!.status, 'True', 'input untouched');
    assert.equal(conditionsWhenUnreachable({ ...n, status: { conditions: out } }, 'later'), undefined);
  });
});

describe('zones', () => {
  const rates = { evictionRate: 0.1, secondaryEvictionRate: 0.01, largeClusterSizeThreshold: 50, unhealthyZoneThreshold: 0.55 };
  const cases: [string, (string | undefined)[], string][] = [
    ['all Ready', ['True', 'True'], 'Normal'],
    ['one of three down', ['True', 'True', 'Unknown'], 'Normal'],
    ['none Ready', ['Unknown', 'False', undefined], 'FullDisruption'],
    ['three of five down', ['True', 'True', 'Unknown', 'Unknown', 'False'], 'PartialDisruption'],
    ['two of three down (not more than two)', ['True', 'Unknown', 'Unknown'], 'Normal'],
  ];
  for (const [name, ready, want] of cases) test(name, () => assert.equal(computeZoneState(ready, 0.55), want));
  test('eviction rates by state and size', () => {
    assert.equal(zoneEvictionRate('Normal', 3, rates), 0.1);
    assert.equal(zoneEvictionRate('PartialDisruption', 10, rates), 0);
    assert.equal(zoneEvictionRate('PartialDisruption', 100, rates), 0.01);
    assert.equal(zoneEvictionRate('FullDisruption', 3, rates), 0.1);
  });
  test('zone keys', () => {
    assert.equal(zoneKey({ metadata: {} }), '');
    assert.equal(zoneKey({ metadata: { labels: { 'topology.kubernetes.io/zone': 'a', 'topology.kubernetes.io/region': 'r' } } }), 'r:\u0000:a');
  });
});

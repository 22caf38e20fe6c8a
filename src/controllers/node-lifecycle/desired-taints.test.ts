// Table-driven tests of the taints the node lifecycle controller keeps: NoSchedule taints from
// conditions and cordoning, the NoExecute taint it is told to keep, and other taints untouched.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { desiredTaints, type NoExecuteTaint } from './desired-taints.js';

const T0 = Date.UTC(2025, 0, 1, 0, 1, 0);
const node = (conditions: Record<string, string>, taints: Taint[] = [], unschedulable = false): Node => ({
  metadata: { name: 'n1' },
  spec: { taints, ...(unschedulable ? { unschedulable } : {}) },
  status: { conditions: Object.entries(conditions).map(([type, status]) => ({ type, status })) },
});
const brief = (ts: readonly Taint[] | undefined) => ts?.map((t) => `${t.key.replace('node.kubernetes.io/', '')}:${t.effect}${t.timeAdded ? `@${t.timeAdded}` : ''}`);

describe('desiredTaints', () => {
  const cases: { name: string; node: Node; noExecute: NoExecuteTaint; want: string[] | undefined }[] = [
    { name: 'healthy node: nothing to do', node: node({ Ready: 'True', MemoryPressure: 'False' }), noExecute: 'none', want: undefined },
    {
      name: 'Ready Unknown: unreachable NoSchedule, and NoExecute with timeAdded when asked',
      node: node({ Ready: 'Unknown' }),
      noExecute: 'node.kubernetes.io/unreachable',
      want: ['unreachable:NoSchedule', 'unreachable:NoExecute@2025-01-01T00:01:00Z'],
    },
    { name: 'Ready False, NoExecute held back by the rate limiter', node: node({ Ready: 'False' }), noExecute: 'keep', want: ['not-ready:NoSchedule'] },
    {
      name: 'Ready False after Unknown: taints swapped',
      node: node({ Ready: 'False' }, [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2025-01-01T00:00:00Z' },
      ]),
      noExecute: 'node.kubernetes.io/not-ready',
      want: ['not-ready:NoSchedule', 'not-ready:NoExecute@2025-01-01T00:01:00Z'],
    },
    {
      name: 'back to Ready: the controller taints go, a user taint stays',
      node: node({ Ready: 'True' }, [
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2025-01-01T00:00:00Z' },
      ]),
      noExecute: 'none',
      want: ['dedicated:NoSchedule'],
    },
    {
      name: 'an existing NoExecute taint keeps its timeAdded',
      node: node({ Ready: 'Unknown' }, [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2025-01-01T00:00:00Z' },
      ]),
      noExecute: 'node.kubernetes.io/unreachable',
      want: undefined,
    },
    {
      name: 'pressure conditions and cordoning',
      node: node({ Ready: 'True', MemoryPressure: 'True', DiskPressure: 'True', PIDPressure: 'True', NetworkUnavailable: 'True' }, [], true),
      noExecute: 'none',
      want: ['memory-pressure:NoSchedule', 'disk-pressure:NoSchedule', 'pid-pressure:NoSchedule', 'network-unavailable:NoSchedule', 'unschedulable:NoSchedule'],
    },
    {
      name: 'uncordoned, pressure gone',
      node: node({ Ready: 'True', MemoryPressure: 'False' }, [
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      ]),
      noExecute: 'none',
      want: [],
    },
    {
      name: 'keep leaves a NoExecute taint in place',
      node: node({}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]),
      noExecute: 'keep',
      want: undefined,
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(brief(desiredTaints(c.node, c.noExecute, T0)), c.want));
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { nodeStrategy as strategy } from './node.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-03T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function node(fields: Partial<KubeObject> = {}, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels, creationTimestamp: '2024-05-01T12:00:00Z' }, ...fields };
}

function check(fields: Partial<KubeObject>): string[] {
  const obj = node(fields);
  strategy.defaults(obj, ctx);
  return strategy.validate(obj, ctx).map(formatFieldError);
}

describe('node validation', () => {
  const cases: { name: string; fields: Partial<KubeObject>; want: string[] }[] = [
    {
      name: 'valid',
      fields: {
        spec: { podCIDR: '10.42.1.0/24', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
        status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
      },
      want: [],
    },
    {
      name: 'taint effect enum and required',
      fields: { spec: { taints: [{ key: 'a', effect: 'NoAdmit' }, { key: 'b' }] } },
      want: ['spec.taints[0].effect: Unsupported value: "NoAdmit": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"', 'spec.taints[1].effect: Required value'],
    },
    {
      name: 'taints unique by key and effect',
      fields: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }, { key: 'a', value: 'x', effect: 'NoSchedule' }] } },
      want: ['spec.taints[2]: Duplicate value: {"key":"a","value":"x","effect":"NoSchedule"}: taints must be unique by key and effect pair'],
    },
    {
      name: 'taint key and value syntax',
      fields: { spec: { taints: [{ key: 'a b', value: '-x', effect: 'NoSchedule' }] } },
      want: [
        `spec.taints[0].key: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        `spec.taints[0].value: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    },
    { name: 'bad pod CIDR', fields: { spec: { podCIDRs: ['10.42.1.0/33'] } }, want: ['spec.podCIDRs[0]: Invalid value: "10.42.1.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'] },
    { name: 'two IPv4 pod CIDRs', fields: { spec: { podCIDRs: ['10.42.1.0/24', '10.42.2.0/24'] } }, want: ['spec.podCIDRs: Invalid value: ["10.42.1.0/24","10.42.2.0/24"]: may specify no more than one CIDR for each IP family'] },
    { name: 'dual-stack pod CIDRs', fields: { spec: { podCIDRs: ['10.42.1.0/24', 'fd00:42:1::/64'] } }, want: [] },
    {
      name: 'quantities',
      fields: { status: { capacity: { cpu: '-1', pods: '1.5', memory: 'lots' } } },
      want: [
        'status.capacity[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        'status.capacity[pods]: Invalid value: "1.5": must be an integer',
        `status.capacity[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        'status.allocatable[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        'status.allocatable[pods]: Invalid value: "1.5": must be an integer',
        `status.allocatable[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      ],
    },
    { name: 'unschedulable type', fields: { spec: { unschedulable: 'yes' } }, want: ['spec.unschedulable: Invalid value: "yes": must be a boolean'] },
    { name: 'spec type', fields: { spec: [] }, want: ['spec: Invalid value: []: must be an object'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(check(c.fields), c.want));

  it('mirrors podCIDR and podCIDRs, defaults allocatable', () => {
    const a = node({ spec: { podCIDR: '10.42.1.0/24' }, status: { capacity: { cpu: '2' } } });
    strategy.defaults(a, ctx);
    assert.deepEqual(a.spec, { podCIDR: '10.42.1.0/24', podCIDRs: ['10.42.1.0/24'] });
    assert.deepEqual((a.status as { allocatable: unknown }).allocatable, { cpu: '2' });
    const b = node({ spec: { podCIDRs: ['10.42.2.0/24'] } });
    strategy.defaults(b, ctx);
    assert.deepEqual(b.spec, { podCIDRs: ['10.42.2.0/24'], podCIDR: '10.42.2.0/24' });
  });

  it('keeps status on create', () => {
    const obj = node({ status: { addresses: [{ type: 'InternalIP', address: '198.18.0.2' }] } });
    strategy.prepareForCreate(obj, ctx);
    assert.deepEqual(obj.status, { addresses: [{ type: 'InternalIP', address: '198.18.0.2' }] });
  });
});

describe('node updates', () => {
  const cases: { name: string; old: unknown; next: unknown; want: string[] }[] = [
    { name: 'podCIDR may be set once', old: {}, next: { podCIDRs: ['10.42.1.0/24'] }, want: [] },
    { name: 'podCIDR may not change', old: { podCIDRs: ['10.42.1.0/24'] }, next: { podCIDRs: ['10.42.9.0/24'] }, want: ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'] },
    { name: 'podCIDR may not be removed', old: { podCIDRs: ['10.42.1.0/24'] }, next: {}, want: ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'] },
    { name: 'providerID is set once', old: { providerID: 'skiff://a' }, next: { providerID: 'skiff://b' }, want: ['spec.providerID: Forbidden: node updates may not change providerID except from "" to valid'] },
    { name: 'cordon', old: { podCIDRs: ['10.42.1.0/24'] }, next: { podCIDRs: ['10.42.1.0/24'], unschedulable: true }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const old = node({ spec: c.old });
      const obj = node({ spec: c.next });
      strategy.prepareForUpdate(obj, old, ctx);
      strategy.defaults(obj, ctx);
      assert.deepEqual(strategy.validateUpdate(obj, old, ctx).map(formatFieldError), c.want);
    });
  }

  it('main updates keep status; status updates keep spec and reject duplicate addresses', () => {
    const old = node({ spec: { podCIDRs: ['10.42.1.0/24'] }, status: { phase: 'Running' } });
    const obj = node({ spec: { podCIDRs: ['10.42.1.0/24'], unschedulable: true }, status: { phase: 'Gone' } });
    strategy.prepareForUpdate(obj, old, ctx);
    assert.deepEqual(obj.status, { phase: 'Running' });

    const st = node({ spec: { unschedulable: true }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.2' }, { type: 'InternalIP', address: '198.18.0.2' }] } });
    strategy.prepareForStatusUpdate!(st, old, ctx);
    assert.deepEqual(st.spec, { podCIDRs: ['10.42.1.0/24'], podCIDR: '10.42.1.0/24' });
    assert.deepEqual(strategy.validateStatusUpdate!(st, old, ctx).map(formatFieldError), ['status.addresses[1]: Duplicate value: {"type":"InternalIP","address":"198.18.0.2"}']);
  });
});

describe('node table', () => {
  const ready = (status: string) => ({ conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status }] });
  const info = { kubeletVersion: 'v1.32.0-skiff', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'runc://1.1.12' };
  const cases: { name: string; obj: KubeObject; want: unknown[] }[] = [
    {
      name: 'ready control plane',
      obj: node(
        {
          status: { ...ready('True'), nodeInfo: info, addresses: [{ type: 'Hostname', address: 'node-1' }, { type: 'InternalIP', address: '198.18.0.2' }] },
        },
        { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '', 'kubernetes.io/role': 'etcd' },
      ),
      want: ['node-1', 'Ready', 'control-plane,etcd,master', '2d', 'v1.32.0-skiff', '198.18.0.2', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'runc://1.1.12'],
    },
    {
      name: 'not ready and cordoned',
      obj: node({ spec: { unschedulable: true }, status: ready('False') }),
      want: ['node-1', 'NotReady,SchedulingDisabled', '<none>', '2d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    },
    { name: 'unknown', obj: node({ status: { conditions: [] } }), want: ['node-1', 'Unknown', '<none>', '2d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cells = strategy.table.cells(c.obj, ctx.now);
      assert.equal(cells.length, strategy.table.columns.length);
      assert.deepEqual(cells, c.want);
    });
  }

  it('columns', () => {
    assert.deepEqual(
      strategy.table.columns.map((c) => `${c.name}:${c.priority}`),
      ['Name:0', 'Status:0', 'Roles:0', 'Age:0', 'Version:0', 'Internal-IP:1', 'External-IP:1', 'OS-Image:1', 'Kernel-Version:1', 'Container-Runtime:1'],
    );
  });

  it('spec.unschedulable selector', () => {
    assert.equal(strategy.fieldSelectors['spec.unschedulable']!(node({ spec: { unschedulable: true } })), 'true');
    assert.equal(strategy.fieldSelectors['spec.unschedulable']!(node()), 'false');
  });
});

describe('node create (NodeTaint admission)', () => {
  const created = (spec: unknown): unknown => {
    const obj = node(spec === undefined ? {} : { spec: spec as KubeObject['spec'] });
    strategy.admitCreate!(obj, ctx);
    return obj.spec;
  };
  const notReady = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };

  it('taints a new node not-ready:NoSchedule, after the taints it has', () => {
    assert.deepEqual(created(undefined), { taints: [notReady] });
    assert.deepEqual(created({ podCIDR: '10.42.1.0/24', taints: null }), { podCIDR: '10.42.1.0/24', taints: [notReady] });
    assert.deepEqual(created({ taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }), {
      taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }, notReady],
    });
  });

  it('adds nothing when the node already has the taint (any value), or another effect of it stays beside it', () => {
    assert.deepEqual(created({ taints: [{ ...notReady, value: 'x' }] }), { taints: [{ ...notReady, value: 'x' }] });
    assert.deepEqual(created({ taints: [{ key: notReady.key, effect: 'NoExecute' }] }), { taints: [{ key: notReady.key, effect: 'NoExecute' }, notReady] });
  });

  it('leaves taints that are not a list for validation to refuse', () => {
    assert.deepEqual(created({ taints: 'x' }), { taints: 'x' });
    const obj = node({ spec: 'x' as unknown as KubeObject['spec'] });
    strategy.admitCreate!(obj, ctx);
    assert.equal(obj.spec, 'x');
  });

  it('does not taint a node on update', () => {
    const live = node({ spec: {} });
    const next = node({ spec: {} });
    strategy.prepareForUpdate(next, live, ctx);
    assert.deepEqual(next.spec, {});
  });
});

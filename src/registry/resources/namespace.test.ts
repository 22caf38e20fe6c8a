import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { namespaceFinalize, namespaceStrategy as strategy } from './namespace.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function ns(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, creationTimestamp: '2024-05-01T11:59:30Z' }, ...extra };
}

function created(input: KubeObject): KubeObject {
  const obj = structuredClone(input);
  strategy.prepareForCreate(obj, ctx);
  strategy.defaults(obj, ctx);
  return obj;
}

describe('namespace create', () => {
  const cases: { name: string; input: KubeObject; finalizers: unknown; labels: unknown }[] = [
    { name: 'bare', input: ns('dev'), finalizers: ['kubernetes'], labels: { 'kubernetes.io/metadata.name': 'dev' } },
    {
      name: 'keeps own labels and finalizers, adds kubernetes',
      input: ns('dev', { metadata: { name: 'dev', labels: { team: 'a', 'kubernetes.io/metadata.name': 'other' } }, spec: { finalizers: ['example.com/x'] } }),
      finalizers: ['example.com/x', 'kubernetes'],
      labels: { team: 'a', 'kubernetes.io/metadata.name': 'dev' },
    },
    { name: 'client status is replaced', input: ns('dev', { status: { phase: 'Terminating' } }), finalizers: ['kubernetes'], labels: { 'kubernetes.io/metadata.name': 'dev' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const obj = created(c.input);
      assert.deepEqual((obj.spec as { finalizers: unknown }).finalizers, c.finalizers);
      assert.deepEqual(obj.metadata?.labels, c.labels);
      assert.deepEqual(obj.status, { phase: 'Active' });
      assert.deepEqual(strategy.validate(obj, ctx), []);
    });
  }
});

describe('namespace validation', () => {
  const cases: { name: string; spec: unknown; want: string[] }[] = [
    { name: 'unqualified custom finalizer', spec: { finalizers: ['kubernetes', 'custom'] }, want: ['spec.finalizers[1]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'] },
    { name: 'qualified finalizer', spec: { finalizers: ['example.com/cleanup'] }, want: [] },
    { name: 'wrong type', spec: { finalizers: 'kubernetes' }, want: ['spec.finalizers: Invalid value: "kubernetes": must be an array of strings'] },
    { name: 'spec of wrong type', spec: 7, want: ['spec: Invalid value: 7: must be an object'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(strategy.validate(ns('x', { spec: c.spec }), ctx).map(formatFieldError), c.want);
    });
  }
});

describe('namespace updates', () => {
  it('main resource cannot change finalizers or status', () => {
    const old = created(ns('dev'));
    const obj = ns('dev', { spec: { finalizers: [] }, status: { phase: 'Terminating' } });
    strategy.prepareForUpdate(obj, old, ctx);
    assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(obj.status, { phase: 'Active' });
  });

  it('finalize can change only finalizers', () => {
    const old = created(ns('dev'));
    const obj = ns('dev', { spec: { finalizers: [] }, status: { phase: 'Bogus' } });
    namespaceFinalize.prepareForUpdate(obj, old);
    assert.deepEqual(obj.spec, { finalizers: [] });
    assert.deepEqual(obj.status, { phase: 'Active' });
    assert.deepEqual(namespaceFinalize.validateUpdate(obj), []);
  });

  const statusCases: { name: string; deleting: boolean; phase: string; want: string[] }[] = [
    { name: 'Active while live', deleting: false, phase: 'Active', want: [] },
    { name: 'Terminating while live', deleting: false, phase: 'Terminating', want: [`status.Phase: Invalid value: "Terminating": may only be 'Active' if \`deletionTimestamp\` is empty`] },
    { name: 'Terminating while deleting', deleting: true, phase: 'Terminating', want: [] },
    { name: 'Active while deleting', deleting: true, phase: 'Active', want: [`status.Phase: Invalid value: "Active": may only be 'Terminating' if \`deletionTimestamp\` is not empty`] },
  ];
  for (const c of statusCases) {
    it(`status: ${c.name}`, () => {
      const old = created(ns('dev'));
      if (c.deleting) old.metadata!.deletionTimestamp = '2024-05-01T12:00:00Z';
      const obj = structuredClone(old);
      obj.status = { phase: c.phase };
      obj.spec = { finalizers: [] };
      strategy.prepareForStatusUpdate!(obj, old, ctx);
      assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
      assert.deepEqual(strategy.validateStatusUpdate!(obj, old, ctx).map(formatFieldError), c.want);
    });
  }
});

describe('namespace table and selectors', () => {
  it('NAME, STATUS, AGE', () => {
    const obj = created(ns('dev'));
    assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'Status', 'Age']);
    assert.deepEqual(strategy.table.cells(obj, ctx.now), ['dev', 'Active', '30s']);
  });

  it('status.phase', () => {
    assert.equal(strategy.fieldSelectors['status.phase']!(created(ns('dev'))), 'Active');
    assert.equal(strategy.fieldSelectors['status.phase']!(ns('dev', { status: 'x' })), '');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { endpointSliceStrategy as strategy, formatSliceEndpoints, formatSlicePorts, validateFQDN } from './endpointslice.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function slice(fields: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc12', namespace: 'default', creationTimestamp: '2024-05-01T11:59:00Z' },
    ...fields,
  };
}

function check(fields: Record<string, unknown>): string[] {
  const obj = slice(fields);
  strategy.defaults(obj, ctx);
  return strategy.validate(obj, ctx).map(formatFieldError);
}

describe('endpointslice validation', () => {
  const cases: { name: string; fields: Record<string, unknown>; want: string[] }[] = [
    {
      name: 'valid',
      fields: { addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true }, nodeName: 'n1' }], ports: [{ name: 'http', port: 80 }] },
      want: [],
    },
    { name: 'addressType required', fields: { endpoints: [] }, want: ['addressType: Required value'] },
    { name: 'addressType enum', fields: { addressType: 'IP' }, want: ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"'] },
    { name: 'addresses required', fields: { addressType: 'IPv4', endpoints: [{}] }, want: ['endpoints[0].addresses: Required value: must contain at least 1 address'] },
    {
      name: 'addresses by type',
      fields: { addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1', '0.0.0.0'] }] },
      want: ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address', 'endpoints[0].addresses[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)'],
    },
    { name: 'IPv6 addresses', fields: { addressType: 'IPv6', endpoints: [{ addresses: ['10.0.0.1'] }] }, want: ['endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address'] },
    { name: 'FQDN addresses', fields: { addressType: 'FQDN', endpoints: [{ addresses: ['example.com.', 'localhost'] }] }, want: ['endpoints[0].addresses[1]: Invalid value: "localhost": should be a domain with at least two segments separated by dots'] },
    {
      name: 'ports: duplicate names and protocol',
      fields: { addressType: 'IPv4', ports: [{ port: 80 }, { port: 81 }, { name: 'x', protocol: 'HTTP' }] },
      want: ['ports[1].name: Duplicate value: ""', 'ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
    },
    { name: 'endpoints of wrong type', fields: { addressType: 'IPv4', endpoints: {} }, want: ['endpoints: Invalid value: {}: must be an array'] },
    { name: 'too many endpoints', fields: { addressType: 'IPv4', endpoints: new Array(1001).fill({ addresses: ['10.42.0.1'] }) }, want: ['endpoints: Too many: must have at most 1000 items'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(check(c.fields), c.want));

  it('addressType is immutable', () => {
    const old = slice({ addressType: 'IPv4' });
    const obj = slice({ addressType: 'IPv6' });
    assert.deepEqual(strategy.validateUpdate(obj, old, ctx).map(formatFieldError), ['addressType: Invalid value: "IPv6": field is immutable']);
  });

  it('defaults port name and protocol', () => {
    const obj = slice({ addressType: 'IPv4', ports: [{ port: 80 }] });
    strategy.defaults(obj, ctx);
    assert.deepEqual(obj.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  });

  it('validateFQDN', () => {
    assert.deepEqual(validateFQDN('', 'x').map(formatFieldError), ['x: Required value']);
    assert.deepEqual(validateFQDN('a.b.c', 'x'), []);
  });
});

describe('endpointslice table', () => {
  it('formats ports and endpoints', () => {
    assert.equal(formatSlicePorts([{ port: 80 }, { name: 'dns' }, {}]), '80,dns,*');
    assert.equal(formatSlicePorts([{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }, { port: 5 }]), '1,2,3 + 2 more...');
    assert.equal(formatSlicePorts(undefined), '<unset>');
    assert.equal(formatSliceEndpoints([{ addresses: ['a', 'b'] }, { addresses: ['c', 'd'] }]), 'a,b,c + 1 more...');
    assert.equal(formatSliceEndpoints([]), '<unset>');
  });

  it('cells', () => {
    const obj = slice({ addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5'] }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    assert.deepEqual(strategy.table.cells(obj, ctx.now), ['web-abc12', 'IPv4', '80', '10.42.0.5', '60s']);
  });
});

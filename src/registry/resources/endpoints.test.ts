import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSubset } from 'kubernetes-types/core/v1.js';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { endpointsStrategy as strategy, formatEndpoints } from './endpoints.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function ep(subsets: unknown): KubeObject {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' }, subsets };
}

function check(subsets: unknown): string[] {
  const obj = ep(subsets);
  strategy.defaults(obj, ctx);
  return strategy.validate(obj, ctx).map(formatFieldError);
}

describe('endpoints validation', () => {
  const cases: { name: string; subsets: unknown; want: string[] }[] = [
    { name: 'valid', subsets: [{ addresses: [{ ip: '10.42.0.5', nodeName: 'node-1' }], ports: [{ port: 8080 }] }], want: [] },
    { name: 'no subsets', subsets: undefined, want: [] },
    { name: 'headless without ports', subsets: [{ notReadyAddresses: [{ ip: '10.42.0.5', hostname: 'web-0' }] }], want: [] },
    { name: 'needs addresses', subsets: [{ ports: [{ port: 80 }] }], want: ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`'] },
    {
      name: 'bad and special addresses',
      subsets: [{ addresses: [{ ip: '10.42.0.999' }, { ip: '127.0.0.1' }, { ip: '169.254.1.1' }] }],
      want: [
        'subsets[0].addresses[0].ip: Invalid value: "10.42.0.999": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        'subsets[0].addresses[1].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'subsets[0].addresses[2].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      ],
    },
    {
      name: 'ports: names required when several, protocol enum, range',
      subsets: [{ addresses: [{ ip: '10.42.0.5' }], ports: [{ port: 80 }, { name: 'b', port: 70000, protocol: 'ICMP' }] }],
      want: [
        'subsets[0].ports[0].name: Required value',
        'subsets[0].ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'subsets[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      ],
    },
    { name: 'subsets of wrong type', subsets: 'x', want: ['subsets: Invalid value: "x": must be an array'] },
    { name: 'address of wrong type', subsets: [{ addresses: ['10.0.0.1'] }], want: ['subsets[0].addresses[0]: Invalid value: "10.0.0.1": must be an object'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(check(c.subsets), c.want));

  it('defaults port protocol to TCP', () => {
    const obj = ep([{ addresses: [{ ip: '10.42.0.5' }], ports: [{ port: 80 }] }]);
    strategy.defaults(obj, ctx);
    assert.deepEqual((obj.subsets as EndpointSubset[])[0]!.ports, [{ port: 80, protocol: 'TCP' }]);
  });
});

describe('endpoints table', () => {
  const a = (ip: string) => ({ ip });
  const cases: { name: string; subsets: EndpointSubset[] | undefined; want: string }[] = [
    { name: 'none', subsets: undefined, want: '<none>' },
    { name: 'one', subsets: [{ addresses: [a('10.42.0.5')], ports: [{ port: 8080 }] }], want: '10.42.0.5:8080' },
    {
      name: 'more than three',
      subsets: [{ addresses: [a('10.42.0.5'), a('10.42.0.6')], ports: [{ port: 8080 }, { port: 9090 }] }],
      want: '10.42.0.5:8080,10.42.0.6:8080,10.42.0.5:9090 + 1 more...',
    },
    { name: 'no ports', subsets: [{ addresses: [a('10.42.0.5'), a('10.42.0.6')] }], want: '10.42.0.5,10.42.0.6' },
    { name: 'IPv6', subsets: [{ addresses: [a('fd00::5')], ports: [{ port: 80 }] }], want: '[fd00::5]:80' },
    { name: 'only not ready', subsets: [{ notReadyAddresses: [a('10.42.0.5')], ports: [{ port: 80 }] }], want: '' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(formatEndpoints(c.subsets), c.want));

  it('cells', () => {
    const obj = ep([{ addresses: [{ ip: '10.42.0.5' }], ports: [{ port: 8080 }] }]);
    assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'Endpoints', 'Age']);
    assert.deepEqual(strategy.table.cells(obj, ctx.now), ['web', '10.42.0.5:8080', '60m']);
  });
});

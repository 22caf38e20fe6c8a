import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, InvalidError } from '../../api/errors.js';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { RegistryConfig, Strategy, StrategyContext } from '../strategy.js';
import { ServiceAllocator, formatLabels, kubeDnsClusterIP, serviceStrategy } from './service.js';

const config: RegistryConfig = { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 };
const ctx: StrategyContext = { now: new Date('2024-05-01T12:00:00Z'), config };

function fresh(): { strategy: Strategy; allocator: ServiceAllocator } {
  const allocator = new ServiceAllocator(config, { random: () => 0 });
  return { strategy: serviceStrategy(config, allocator), allocator };
}

function svc(name: string, spec: unknown): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' }, spec };
}

/** The generic registry's create path, throwing InvalidError on validation failures. */
function create(strategy: Strategy, input: KubeObject): KubeObject {
  const obj = structuredClone(input);
  strategy.prepareForCreate(obj, ctx);
  strategy.defaults(obj, ctx);
  const errs = strategy.validate(obj, ctx);
  if (errs.length) throw new InvalidError({ resource: 'services', group: '', kind: 'Service', name: obj.metadata?.name }, errs);
  strategy.allocation!.allocate(obj);
  return obj;
}

/** The generic registry's update path, releasing what the old object held on success. */
function update(strategy: Strategy, input: KubeObject, old: KubeObject): KubeObject {
  const obj = structuredClone(input);
  strategy.prepareForUpdate(obj, old, ctx);
  strategy.defaults(obj, ctx);
  const errs = strategy.validateUpdate(obj, old, ctx);
  if (errs.length) throw new InvalidError({ resource: 'services', group: '', kind: 'Service', name: obj.metadata?.name }, errs);
  strategy.allocation!.reallocate(obj, old);
  strategy.allocation!.release(old, obj);
  return obj;
}

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a throw');
}

function messages(strategy: Strategy, spec: unknown): string[] {
  const obj = svc('web', spec);
  strategy.prepareForCreate(obj, ctx);
  strategy.defaults(obj, ctx);
  return strategy.validate(obj, ctx).map(formatFieldError);
}

describe('service defaults and allocation on create', () => {
  it('fills a minimal ClusterIP service as Kubernetes does', () => {
    const { strategy } = fresh();
    const out = create(strategy, svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    assert.deepEqual(out.spec, {
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      clusterIP: '10.43.1.1',
      clusterIPs: ['10.43.1.1'],
    });
    assert.deepEqual(out.status, { loadBalancer: {} });
  });

  const cases: { name: string; spec: Record<string, unknown>; want: Record<string, unknown> }[] = [
    {
      name: 'NodePort gets a node port and externalTrafficPolicy Cluster',
      spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] },
      want: { externalTrafficPolicy: 'Cluster', ports: [{ port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30086 }] },
    },
    {
      name: 'LoadBalancer allocates node ports by default',
      spec: { type: 'LoadBalancer', ports: [{ port: 443 }] },
      want: { allocateLoadBalancerNodePorts: true, externalTrafficPolicy: 'Cluster', ports: [{ port: 443, protocol: 'TCP', targetPort: 443, nodePort: 30086 }] },
    },
    {
      name: 'LoadBalancer without node ports',
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 443 }] },
      want: { ports: [{ port: 443, protocol: 'TCP', targetPort: 443 }] },
    },
    {
      name: 'LoadBalancer Local gets a health check node port',
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 443 }] },
      want: { healthCheckNodePort: 30087 },
    },
    {
      name: 'ClientIP affinity gets the 3h timeout',
      spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] },
      want: { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } },
    },
    {
      name: 'headless gets no address',
      spec: { clusterIP: 'None', selector: { app: 'db' } },
      want: { clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' },
    },
    {
      name: 'ExternalName gets no address and no families',
      spec: { type: 'ExternalName', externalName: 'db.example.com.' },
      want: { clusterIP: undefined, clusterIPs: undefined, ipFamilies: undefined, ipFamilyPolicy: undefined, internalTrafficPolicy: undefined },
    },
    {
      name: 'a requested free address is honoured',
      spec: { clusterIP: '10.43.0.10', ports: [{ port: 53, protocol: 'UDP' }] },
      want: { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'] },
    },
    {
      name: 'TCP and UDP on one port share a node port',
      spec: { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] },
      want: {
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53, nodePort: 30086 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53, nodePort: 30086 },
        ],
      },
    },
    {
      name: 'ClusterIP with externalIPs is externally accessible',
      spec: { externalIPs: ['198.18.0.7'], ports: [{ port: 80 }] },
      want: { externalTrafficPolicy: 'Cluster' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { strategy } = fresh();
      const out = create(strategy, svc('web', c.spec));
      const spec = out.spec as Record<string, unknown>;
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(spec[k], v, k);
    });
  }
});

describe('service validation', () => {
  const cases: { name: string; spec: unknown; want: string[] }[] = [
    { name: 'ports required', spec: { selector: { app: 'x' } }, want: ['spec.ports: Required value'] },
    {
      name: 'port names required with several ports, unique, DNS labels',
      spec: { ports: [{ port: 80 }, { name: 'a', port: 81 }, { name: 'a', port: 82 }, { name: 'B_', port: 83 }] },
      want: [
        'spec.ports[0].name: Required value',
        'spec.ports[2].name: Duplicate value: "a"',
        `spec.ports[3].name: Invalid value: "B_": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ],
    },
    {
      name: 'port range, protocol and target port name',
      spec: { ports: [{ port: 0, protocol: 'HTTP', targetPort: 'x_y' }] },
      want: [
        'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.ports[0].targetPort: Invalid value: "x_y": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      ],
    },
    { name: 'type enum', spec: { type: 'Ingress', ports: [{ port: 80 }] }, want: ['spec.type: Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'] },
    { name: 'externalName required', spec: { type: 'ExternalName' }, want: ['spec.externalName: Required value'] },
    {
      name: 'externalName must be a DNS subdomain',
      spec: { type: 'ExternalName', externalName: 'Not_A_Host' },
      want: [
        `spec.externalName: Invalid value: "Not_A_Host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    },
    { name: 'ExternalName may not have a clusterIP', spec: { type: 'ExternalName', externalName: 'a.b', clusterIP: '10.43.0.5' }, want: ['spec.clusterIPs: Forbidden: may not be set for ExternalName services'] },
    {
      name: 'NodePort may not be headless',
      spec: { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] },
      want: [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`],
    },
    { name: 'invalid clusterIP', spec: { clusterIP: '10.43.0.999', ports: [{ port: 80 }] }, want: ['spec.clusterIPs[0]: Invalid value: "10.43.0.999": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] },
    { name: 'IPv6 is not configured', spec: { clusterIP: 'fd00::10', ports: [{ port: 80 }] }, want: ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'] },
    {
      name: 'dual-stack required',
      spec: { ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] },
      want: ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'],
    },
    { name: 'nodePort on ClusterIP', spec: { ports: [{ port: 80, nodePort: 30001 }] }, want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"] },
    {
      name: 'duplicate port and protocol',
      spec: { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }, { name: 'c', port: 80, protocol: 'UDP' }] },
      want: ['spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}'],
    },
    { name: 'session affinity enum', spec: { sessionAffinity: 'Cookie', ports: [{ port: 80 }] }, want: ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'] },
    {
      name: 'ClientIP timeout bounds',
      spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 100000 } }, ports: [{ port: 80 }] },
      want: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 100000: must be greater than 0 and less than 86400'],
    },
    {
      name: 'externalTrafficPolicy only for external services',
      spec: { externalTrafficPolicy: 'Local', ports: [{ port: 80 }] },
      want: ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
    },
    { name: 'externalIPs must be usable', spec: { externalIPs: ['127.0.0.1'], ports: [{ port: 80 }] }, want: ['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'] },
    {
      name: 'selector is validated as labels',
      spec: { selector: { app: 'bad value' }, ports: [{ port: 80 }] },
      want: [
        `spec.selector: Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    },
    { name: 'allocateLoadBalancerNodePorts only for LB', spec: { allocateLoadBalancerNodePorts: true, ports: [{ port: 80 }] }, want: ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"] },
    { name: 'spec of the wrong type', spec: 'nope', want: ['spec: Invalid value: "nope": must be an object'] },
    { name: 'ports of the wrong type', spec: { ports: 'x' }, want: ['spec.ports: Invalid value: "x": must be an array'] },
    { name: 'port entries of the wrong type', spec: { ports: [80] }, want: ['spec.ports[0]: Invalid value: 80: must be an object'] },
    {
      name: 'port number given as a string',
      spec: { ports: [{ port: '80' }] },
      want: ['spec.ports[0].port: Invalid value: "80": must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: null: must be an integer or a string'],
    },
    { name: 'a valid service', spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }] }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { strategy } = fresh();
      assert.deepEqual(messages(strategy, c.spec), c.want);
    });
  }
});

describe('service allocation conflicts', () => {
  it('refuses a ClusterIP already held, with Kubernetes wording', () => {
    const { strategy } = fresh();
    create(strategy, svc('a', { clusterIP: '10.43.0.50', ports: [{ port: 80 }] }));
    const e = errorOf(() => create(strategy, svc('b', { clusterIP: '10.43.0.50', ports: [{ port: 80 }] })));
    assert.equal(e.code, 422);
    assert.equal(e.message, 'Service "b" is invalid: spec.clusterIPs: Invalid value: ["10.43.0.50"]: failed to allocate IP 10.43.0.50: provided IP is already allocated');
  });

  it('refuses a ClusterIP out of range', () => {
    const { strategy } = fresh();
    const e = errorOf(() => create(strategy, svc('b', { clusterIP: '10.0.0.1', ports: [{ port: 80 }] })));
    assert.equal(
      e.message,
      'Service "b" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.1"]: failed to allocate IP 10.0.0.1: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
    );
  });

  it('refuses a node port already held, and gives back the address it took', () => {
    const { strategy, allocator } = fresh();
    create(strategy, svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    const e = errorOf(() => create(strategy, svc('b', { type: 'NodePort', clusterIP: '10.43.0.60', ports: [{ port: 80, nodePort: 30080 }] })));
    assert.equal(e.message, 'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    assert.equal(allocator.isIPAllocated('10.43.0.60'), false);
  });

  it('refuses a node port out of range', () => {
    const { strategy } = fresh();
    const e = errorOf(() => create(strategy, svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] })));
    assert.equal(e.message, 'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('answers 500 when the pool is exhausted', () => {
    const allocator = new ServiceAllocator({ ...config, serviceCIDR: '198.18.0.0/30' });
    const strategy = serviceStrategy({ ...config, serviceCIDR: '198.18.0.0/30' }, allocator);
    create(strategy, svc('a', { ports: [{ port: 80 }] }));
    create(strategy, svc('b', { ports: [{ port: 80 }] }));
    const e = errorOf(() => create(strategy, svc('c', { ports: [{ port: 80 }] })));
    assert.equal(e.code, 500);
    assert.equal(e.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
  });

  it('release after a failed create or a delete frees everything', () => {
    const { strategy, allocator } = fresh();
    const a = create(strategy, svc('a', { type: 'NodePort', clusterIP: '10.43.0.70', ports: [{ port: 80, nodePort: 30070 }] }));
    strategy.allocation!.release(a);
    assert.equal(allocator.isIPAllocated('10.43.0.70'), false);
    assert.equal(allocator.isNodePortAllocated(30070), false);
    create(strategy, svc('b', { type: 'NodePort', clusterIP: '10.43.0.70', ports: [{ port: 80, nodePort: 30070 }] }));
  });
});

describe('service updates', () => {
  it('keeps allocated values when a manifest is re-applied without them', () => {
    const { strategy } = fresh();
    const manifest = svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
    const old = create(strategy, manifest);
    const out = update(strategy, manifest, old);
    assert.deepEqual(out.spec, old.spec);
  });

  it('refuses to change the ClusterIP', () => {
    const { strategy } = fresh();
    const old = create(strategy, svc('web', { clusterIP: '10.43.0.20', ports: [{ port: 80 }] }));
    const e = errorOf(() => update(strategy, svc('web', { clusterIP: '10.43.0.99', ports: [{ port: 80 }] }), old));
    assert.equal(e.message, 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.43.0.99"]: may not change once set');
  });

  it('refuses to turn a service headless', () => {
    const { strategy } = fresh();
    const old = create(strategy, svc('web', { ports: [{ port: 80 }] }));
    const e = errorOf(() => update(strategy, svc('web', { clusterIP: 'None', ports: [{ port: 80 }] }), old));
    assert.match(e.message, /spec\.clusterIPs\[0\]: Invalid value: \["None"\]: may not change once set/);
  });

  it('NodePort → ClusterIP gives the node port back', () => {
    const { strategy, allocator } = fresh();
    const old = create(strategy, svc('web', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    const changed = structuredClone(old);
    (changed.spec as Record<string, unknown>).type = 'ClusterIP';
    const out = update(strategy, changed, old);
    const spec = out.spec as Record<string, unknown>;
    assert.deepEqual(spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.equal(spec.externalTrafficPolicy, undefined);
    assert.equal(allocator.isNodePortAllocated(30080), false);
    assert.equal(spec.clusterIP, (old.spec as Record<string, unknown>).clusterIP);
  });

  it('ClusterIP → LoadBalancer allocates node ports and keeps the address', () => {
    const { strategy, allocator } = fresh();
    const old = create(strategy, svc('web', { ports: [{ port: 80 }] }));
    const out = update(strategy, svc('web', { type: 'LoadBalancer', ports: [{ port: 80 }] }), old);
    const spec = out.spec as { clusterIP: string; ports: { nodePort: number }[] };
    assert.equal(spec.clusterIP, (old.spec as { clusterIP: string }).clusterIP);
    assert.equal(allocator.isNodePortAllocated(spec.ports[0]!.nodePort), true);
  });

  it('ClusterIP → ExternalName wipes and frees the address; back again allocates a new one', () => {
    const { strategy, allocator } = fresh();
    const old = create(strategy, svc('web', { clusterIP: '10.43.0.30', ports: [{ port: 80 }] }));
    const changed = structuredClone(old);
    Object.assign(changed.spec as object, { type: 'ExternalName', externalName: 'db.example.com' });
    const ext = update(strategy, changed, old);
    const spec = ext.spec as Record<string, unknown>;
    assert.equal(spec.clusterIP, undefined);
    assert.equal(spec.ipFamilies, undefined);
    assert.equal(allocator.isIPAllocated('10.43.0.30'), false);
    const back = update(strategy, svc('web', { ports: [{ port: 80 }] }), ext);
    assert.ok(allocator.isIPAllocated((back.spec as { clusterIP: string }).clusterIP));
  });

  it('a failed update releases only what it claimed', () => {
    const { strategy, allocator } = fresh();
    const old = create(strategy, svc('web', { type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30001 }] }));
    const obj = structuredClone(old);
    (obj.spec as { ports: unknown[] }).ports.push({ name: 'b', port: 81, nodePort: 30002 });
    strategy.prepareForUpdate(obj, old, ctx);
    strategy.allocation!.reallocate(obj, old);
    assert.equal(allocator.isNodePortAllocated(30002), true);
    strategy.allocation!.release(obj, old);
    assert.equal(allocator.isNodePortAllocated(30002), false);
    assert.equal(allocator.isNodePortAllocated(30001), true);
  });

  it('status updates keep the spec and default ipMode', () => {
    const { strategy } = fresh();
    const old = create(strategy, svc('lb', { type: 'LoadBalancer', ports: [{ port: 80 }] }));
    const obj = structuredClone(old);
    obj.spec = { type: 'ClusterIP' };
    obj.status = { loadBalancer: { ingress: [{ ip: '198.18.0.9' }] } };
    strategy.prepareForStatusUpdate!(obj, old, ctx);
    assert.deepEqual(obj.spec, old.spec);
    assert.deepEqual(obj.status, { loadBalancer: { ingress: [{ ip: '198.18.0.9', ipMode: 'VIP' }] } });
    assert.deepEqual(strategy.validateStatusUpdate!(obj, old, ctx), []);
    obj.status = { loadBalancer: { ingress: [{ ip: 'x' }] } };
    assert.deepEqual(strategy.validateStatusUpdate!(obj, old, ctx).map(formatFieldError), ['status.loadBalancer.ingress[0].ip: Invalid value: "x": must be a valid IP address']);
  });
});

describe('service table', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  const cases: { name: string; obj: KubeObject; want: unknown[] }[] = [
    {
      name: 'ClusterIP',
      obj: svc('web', { type: 'ClusterIP', clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'], ports: [{ port: 80, protocol: 'TCP' }], selector: { tier: 'fe', app: 'web' } }),
      want: ['web', 'ClusterIP', '10.43.0.5', '<none>', '80/TCP', '60m', 'app=web,tier=fe'],
    },
    {
      name: 'NodePort with two ports',
      obj: svc('np', { type: 'NodePort', clusterIPs: ['10.43.0.6'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] }),
      want: ['np', 'NodePort', '10.43.0.6', '<none>', '80:30080/TCP,443/TCP', '60m', '<none>'],
    },
    {
      name: 'LoadBalancer pending',
      obj: svc('lb', { type: 'LoadBalancer', clusterIPs: ['10.43.0.7'], ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }] }),
      want: ['lb', 'LoadBalancer', '10.43.0.7', '<pending>', '80:31000/TCP', '60m', '<none>'],
    },
    {
      name: 'LoadBalancer with ingress and external IPs',
      obj: {
        ...svc('lb', { type: 'LoadBalancer', clusterIPs: ['10.43.0.7'], externalIPs: ['198.18.0.3'], ports: [{ port: 80, protocol: 'TCP' }] }),
        status: { loadBalancer: { ingress: [{ ip: '198.18.0.2' }, { hostname: 'lb.example.com' }] } },
      },
      want: ['lb', 'LoadBalancer', '10.43.0.7', '198.18.0.2,lb.example.com,198.18.0.3', '80/TCP', '60m', '<none>'],
    },
    {
      name: 'ExternalName',
      obj: svc('ext', { type: 'ExternalName', externalName: 'db.example.com' }),
      want: ['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '60m', '<none>'],
    },
    {
      name: 'headless',
      obj: svc('hl', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }] }),
      want: ['hl', 'ClusterIP', 'None', '<none>', '5432/TCP', '60m', '<none>'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { strategy } = fresh();
      const cells = strategy.table.cells(c.obj, now);
      assert.equal(cells.length, strategy.table.columns.length);
      assert.deepEqual(cells, c.want);
    });
  }

  it('columns are kubectl’s', () => {
    const { strategy } = fresh();
    assert.deepEqual(
      strategy.table.columns.map((c) => [c.name, c.priority]),
      [['Name', 0], ['Type', 0], ['Cluster-IP', 0], ['External-IP', 0], ['Port(s)', 0], ['Age', 0], ['Selector', 1]],
    );
  });

  it('formatLabels sorts keys', () => {
    assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
    assert.equal(formatLabels(undefined), '<none>');
  });
});

describe('service field selectors and misc', () => {
  it('selects on spec.type and spec.clusterIP', () => {
    const { strategy } = fresh();
    const o = svc('web', { type: 'NodePort', clusterIP: '10.43.0.5' });
    assert.equal(strategy.fieldSelectors['spec.type']!(o), 'NodePort');
    assert.equal(strategy.fieldSelectors['spec.clusterIP']!(o), '10.43.0.5');
    assert.equal(strategy.fieldSelectors['spec.clusterIP']!(svc('x', 7)), '');
  });

  it('kubeDnsClusterIP is re-exported', () => {
    assert.equal(kubeDnsClusterIP('10.43.0.0/16'), '10.43.0.10');
  });

  it('defaults never throw on odd shapes', () => {
    const { strategy } = fresh();
    for (const spec of [null, 5, 'x', [], { ports: 5 }, { ports: [null, 'x', { port: 'a' }] }, { sessionAffinity: 'ClientIP', sessionAffinityConfig: 'x' }]) {
      const obj = svc('odd', spec);
      strategy.prepareForCreate(obj, ctx);
      strategy.defaults(obj, ctx);
      strategy.validate(obj, ctx);
    }
  });
});

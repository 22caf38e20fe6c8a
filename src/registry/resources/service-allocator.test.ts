import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AllocationError, ServiceAllocator, apiServerClusterIP, heldBy, kubeDnsClusterIP, parseCIDR } from './service-allocator.js';

const config = { serviceCIDR: '10.43.0.0/16', nodePortRange: [30000, 32767] as const };

/** A deterministic random source cycling through `values`. */
function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

function failure(fn: () => unknown): { failure: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AllocationError, `expected AllocationError, got ${String(e)}`);
    return { failure: e.failure, message: e.message };
  }
  assert.fail('expected a throw');
}

describe('well-known ClusterIPs', () => {
  for (const [cidr, dns, api] of [
    ['10.43.0.0/16', '10.43.0.10', '10.43.0.1'],
    ['10.96.0.0/12', '10.96.0.10', '10.96.0.1'],
    ['198.18.4.0/24', '198.18.4.10', '198.18.4.1'],
    ['10.43.7.9/16', '10.43.0.10', '10.43.0.1'],
  ] as const) {
    it(`${cidr} → dns ${dns}, kubernetes ${api}`, () => {
      assert.equal(kubeDnsClusterIP(cidr), dns);
      assert.equal(apiServerClusterIP(cidr), api);
    });
  }
});

describe('parseCIDR', () => {
  for (const [v, want] of [
    ['10.0.0.0/8', { family: 'IPv4', prefix: 8 }],
    ['fd00::/64', { family: 'IPv6', prefix: 64 }],
    ['10.0.0.0/33', undefined],
    ['10.0.0.0', undefined],
    ['10.0.0/8', undefined],
    ['x/8', undefined],
  ] as const) {
    it(v, () => assert.deepEqual(parseCIDR(v), want));
  }
});

describe('ServiceAllocator ClusterIPs', () => {
  it('honours a free requested address and refuses it the second time', () => {
    const a = new ServiceAllocator(config);
    assert.equal(a.allocateIP('10.43.0.10'), '10.43.0.10');
    assert.deepEqual(failure(() => a.allocateIP('10.43.0.10')), { failure: 'Allocated', message: 'provided IP is already allocated' });
    a.releaseIP('10.43.0.10');
    assert.equal(a.allocateIP('10.43.0.10'), '10.43.0.10');
  });

  for (const ip of ['10.0.0.1', '10.43.0.0', '10.43.255.255', '10.44.0.1']) {
    it(`refuses ${ip} as not in range`, () => {
      const a = new ServiceAllocator(config);
      assert.deepEqual(failure(() => a.allocateIP(ip)), {
        failure: 'NotInRange',
        message: 'provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
      });
    });
  }

  it('gives random addresses from the upper band first, never network or broadcast', () => {
    const a = new ServiceAllocator(config, { random: seq(0, 0.999999) });
    assert.equal(a.allocateIP(), '10.43.1.1'); // offset 256: first address above the static band
    assert.equal(a.allocateIP(), '10.43.255.254');
  });

  it('falls back to the static band when the upper band is full, then reports full', () => {
    const a = new ServiceAllocator({ ...config, serviceCIDR: '198.18.0.0/28' }, { random: seq(0) });
    // /28: 14 usable addresses, static band of 16 → 0 for such a tiny pool: all dynamic.
    const got = new Set<string>();
    for (let i = 0; i < 14; i++) got.add(a.allocateIP());
    assert.equal(got.size, 14);
    assert.ok(!got.has('198.18.0.0') && !got.has('198.18.0.15'));
    assert.deepEqual(failure(() => a.allocateIP()), { failure: 'Full', message: 'range is full' });
    assert.equal(a.freeIPs, 0);
  });

  it('uses the static band last in a /24', () => {
    const a = new ServiceAllocator({ ...config, serviceCIDR: '198.18.0.0/24' }, { random: seq(0) });
    // /24: 256 addresses / 16 = 16 → band of 16; 254 usable; dynamic first takes offsets 16..253.
    for (let i = 0; i < 254 - 16; i++) assert.ok(a.allocateIP() !== '198.18.0.10');
    assert.equal(a.isIPAllocated('198.18.0.10'), false);
    assert.equal(a.allocateIP(), '198.18.0.1');
  });

  it('release is idempotent and ignores foreign addresses', () => {
    const a = new ServiceAllocator(config);
    const before = a.freeIPs;
    a.releaseIP('10.43.0.5');
    a.releaseIP('192.168.1.1');
    a.releaseIP('not-an-ip');
    assert.equal(a.freeIPs, before);
  });

  it('rejects a malformed configuration', () => {
    assert.throws(() => new ServiceAllocator({ ...config, serviceCIDR: 'fd00::/64' }), /IPv4 CIDR/);
    assert.throws(() => new ServiceAllocator({ ...config, nodePortRange: [32767, 30000] }), /node port range/);
  });
});

describe('ServiceAllocator NodePorts', () => {
  it('honours, refuses duplicates and out-of-range ports with Kubernetes wording', () => {
    const a = new ServiceAllocator(config);
    assert.equal(a.allocateNodePort(30080), 30080);
    assert.deepEqual(failure(() => a.allocateNodePort(30080)), { failure: 'Allocated', message: 'provided port is already allocated' });
    assert.deepEqual(failure(() => a.allocateNodePort(8080)), {
      failure: 'NotInRange',
      message: 'provided port is not in the valid range. The range of valid ports is 30000-32767',
    });
  });

  it('chooses above the static band first', () => {
    const a = new ServiceAllocator(config, { random: seq(0) });
    assert.equal(a.allocateNodePort(), 30086); // 2768 / 32 = 86
  });

  it('reports full', () => {
    const a = new ServiceAllocator({ ...config, nodePortRange: [30000, 30002] });
    a.allocateNodePort();
    a.allocateNodePort();
    a.allocateNodePort();
    assert.equal(failure(() => a.allocateNodePort()).failure, 'Full');
  });
});

describe('ServiceAllocator.restore', () => {
  it('marks what stored services hold, skipping foreign values and ExternalName', () => {
    const a = new ServiceAllocator(config);
    a.restore([
      { spec: { type: 'ClusterIP', clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'] } },
      { spec: { type: 'NodePort', clusterIP: '10.43.5.5', ports: [{ port: 80, nodePort: 30080 }, { port: 53, nodePort: 30053 }] } },
      { spec: { type: 'LoadBalancer', clusterIPs: ['10.43.6.6'], externalTrafficPolicy: 'Local', healthCheckNodePort: 31000, ports: [] } },
      { spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] } },
      { spec: { type: 'ExternalName', externalName: 'example.com', clusterIP: '10.43.7.7' } },
      { spec: { clusterIP: '10.0.0.1' } },
      { spec: 'garbage' },
      {},
    ]);
    for (const ip of ['10.43.0.1', '10.43.5.5', '10.43.6.6']) assert.equal(a.isIPAllocated(ip), true, ip);
    assert.equal(a.isIPAllocated('10.43.7.7'), false);
    for (const p of [30080, 30053, 31000]) assert.equal(a.isNodePortAllocated(p), true, String(p));
  });
});

describe('heldBy', () => {
  for (const [name, svc, ips, ports] of [
    ['headless', { spec: { clusterIP: 'None', clusterIPs: ['None'] } }, [], []],
    ['ClusterIP keeps no node ports', { spec: { type: 'ClusterIP', clusterIP: '10.43.0.3', ports: [{ port: 80, nodePort: 30001 }] } }, ['10.43.0.3'], []],
    ['LB cluster policy has no health check port', { spec: { type: 'LoadBalancer', clusterIPs: ['10.43.0.4'], healthCheckNodePort: 30002, ports: [{ port: 80, nodePort: 30003 }] } }, ['10.43.0.4'], [30003]],
    ['missing', undefined, [], []],
  ] as const) {
    it(name, () => {
      const h = heldBy(svc);
      assert.deepEqual([...h.ips], ips);
      assert.deepEqual([...h.ports], ports);
    });
  }
});

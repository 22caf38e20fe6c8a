// Endpoint choice with an injected clock and random source.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ProxyEndpoint } from '../model.js';
import { EndpointPicker, endpointKey } from './endpoint-picker.js';

const ep = (ip: string): ProxyEndpoint => ({ ip, port: 80, ready: true, local: true });
const eps = [ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')];

test('random choice among the endpoints not yet tried; none left → undefined', () => {
  let r = 0;
  const p = new EndpointPicker(undefined, { random: () => r });
  assert.equal(p.pick(eps, 'c')!.ip, '10.0.0.1');
  r = 0.99;
  assert.equal(p.pick(eps, 'c')!.ip, '10.0.0.3');
  r = 0;
  assert.equal(p.pick(eps, 'c', new Set([endpointKey(eps[0]!)]))!.ip, '10.0.0.2');
  assert.equal(p.pick(eps, 'c', new Set(eps.map(endpointKey))), undefined);
  assert.equal(p.pick([], 'c'), undefined);
});

test('ClientIP affinity: kept while younger than the timeout, dropped by forget or a vanished endpoint', () => {
  let now = 1000;
  let r = 0.5;
  const p = new EndpointPicker(10, { now: () => now, random: () => r });
  const first = p.pick(eps, 'c')!;
  assert.equal(first.ip, '10.0.0.2');
  p.served('c', first);
  r = 0;
  now += 9_000;
  assert.equal(p.pick(eps, 'c')!.ip, '10.0.0.2', 'affinity within the timeout');
  assert.equal(p.pick(eps, 'other')!.ip, '10.0.0.1', 'another client is free');
  assert.equal(p.pick([eps[0]!, eps[2]!], 'c')!.ip, '10.0.0.1', 'its endpoint is gone');
  now += 2_000;
  assert.equal(p.pick(eps, 'c')!.ip, '10.0.0.1', 'expired');
  p.served('c', eps[2]!);
  p.forget('c');
  assert.equal(p.pick(eps, 'c')!.ip, '10.0.0.1');
});

// parseServerFlags: the defaults Kubernetes users expect, where the control loops run (a worker
// thread with simulated nodes, the API server's thread otherwise), and flag errors for bad values.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseServerFlags } from './flags.js';

test('control loops: a worker thread by default with simulated nodes, the API thread without; --[no-]control-loops-thread decides', () => {
  assert.equal(parseServerFlags([]).controlLoopsThread, false);
  assert.equal(parseServerFlags(['--simulated-nodes', '3']).controlLoopsThread, true);
  assert.equal(parseServerFlags(['--simulated-nodes', '0']).controlLoopsThread, false);
  assert.equal(parseServerFlags(['--simulated-nodes', '3', '--no-control-loops-thread']).controlLoopsThread, false);
  assert.equal(parseServerFlags(['--control-loops-thread']).controlLoopsThread, true);
});

test('--event-ttl: 1h by default, any duration, 0 keeps Events; bad values are flag errors', () => {
  assert.equal(parseServerFlags([]).eventTTLMs, 3_600_000);
  assert.equal(parseServerFlags(['--event-ttl', '90s']).eventTTLMs, 90_000);
  assert.equal(parseServerFlags(['--event-ttl', '0']).eventTTLMs, 0);
  assert.throws(() => parseServerFlags(['--event-ttl', 'soon']), /--event-ttl: expected a duration such as 1h or 30m \(0: keep Events\), got "soon"/);
  assert.throws(() => parseServerFlags(['--event-ttl=-5m']), /--event-ttl: expected/);
});

test('--node-monitor-grace-period 50s and --default-toleration-seconds 300 by default, as in Kubernetes; bad values are flag errors', () => {
  const d = parseServerFlags([]);
  assert.equal(d.nodeMonitorGracePeriodMs, 50_000);
  assert.equal(d.defaultTolerationSeconds, 300);
  const f = parseServerFlags(['--node-monitor-grace-period', '4s', '--default-toleration-seconds', '4']);
  assert.equal(f.nodeMonitorGracePeriodMs, 4_000);
  assert.equal(f.defaultTolerationSeconds, 4);
  assert.equal(parseServerFlags(['--node-monitor-grace-period', '1m']).nodeMonitorGracePeriodMs, 60_000);
  assert.throws(() => parseServerFlags(['--node-monitor-grace-period', 'soon']), /--node-monitor-grace-period: expected a duration such as 50s or 1m, got "soon"/);
  assert.throws(() => parseServerFlags(['--default-toleration-seconds=-1']), /--default-toleration-seconds: expected a non-negative integer, got "-1"/);
  assert.throws(() => parseServerFlags(['--default-toleration-seconds', '2.5']), /--default-toleration-seconds: expected a non-negative integer/);
});

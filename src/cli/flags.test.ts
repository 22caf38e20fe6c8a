// parseServerFlags: where the control loops run by default (a worker thread with simulated
// nodes, the API server's thread otherwise) and that both forms of the flag override it.
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

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

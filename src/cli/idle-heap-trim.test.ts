import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { startIdleHeapTrim } from './idle-heap-trim.js';

test('a heap grown by a burst is collected once the event loop goes quiet, and only then', async () => {
  const ac = new AbortController();
  const lines: string[] = [];
  startIdleHeapTrim(ac.signal, { checkMs: 20, idleMs: 100, growthBytes: 4 * 2 ** 20, log: (l) => lines.push(l) });
  try {
    // a busy burst that leaves garbage behind: no trim while it runs
    const until = Date.now() + 300;
    let keep: unknown[] = [];
    while (Date.now() < until) {
      keep.push(new Array(10_000).fill({ x: Math.random() }));
      if (keep.length > 200) keep = [];
      await new Promise((r) => setImmediate(r));
    }
    keep = [];
    assert.deepEqual(lines, [], 'no collection while the loop is busy');
    for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines.length, 1, 'one collection once quiet');
    assert.match(lines[0]!, /^idle: heap \d+ → \d+ MiB/);
    // quiet without growth: no further collection
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(lines.length, 1);
  } finally {
    ac.abort();
  }
});

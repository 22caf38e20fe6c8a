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

test('the idle collection compacts: old-space pages that kept a few survivors each are given back', async () => {
  const { compactingCollection } = await import('./idle-heap-trim.js');
  const { getHeapSpaceStatistics } = await import('node:v8');
  const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!;
  // fill old space, then keep one object in 20: every page keeps a few survivors
  let all: { i: number; s: string }[] = [];
  for (let i = 0; i < 300_000; i++) all.push({ i, s: `item-${i}` });
  compactingCollection(); // promotes them all to old space
  const survivors = all.filter((_, i) => i % 20 === 0);
  all = [];
  const before = oldSpace().space_size;
  compactingCollection();
  const after = oldSpace();
  assert.equal(survivors.length, 15_000);
  assert.ok(after.space_size < before / 2, `old space ${before} → ${after.space_size} bytes, expected less than half`);
  assert.ok(after.space_size < 2 * after.space_used_size + 2 * 2 ** 20, `old space ${after.space_size} bytes for ${after.space_used_size} used: not compacted`);
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { slowStartBatch } from './slow-start.js';

test('slowStartBatch runs batches of 1, 2, 4, ... and stops after the first failing batch', async () => {
  const cases: { count: number; failAt?: number; batches: number[]; successes: number; calls: number }[] = [
    { count: 0, batches: [], successes: 0, calls: 0 },
    { count: 1, batches: [1], successes: 1, calls: 1 },
    { count: 3, batches: [1, 2], successes: 3, calls: 3 },
    { count: 10, batches: [1, 2, 4, 3], successes: 10, calls: 10 },
    { count: 10, failAt: 1, batches: [1], successes: 0, calls: 1 },
    { count: 10, failAt: 2, batches: [1, 2], successes: 2, calls: 3 },
    { count: 10, failAt: 5, batches: [1, 2, 4], successes: 6, calls: 7 },
  ];
  for (const c of cases) {
    let calls = 0;
    const r = await slowStartBatch(c.count, 1, async () => {
      calls++;
      if (calls === c.failAt) throw new Error('quota exceeded');
    });
    const label = `count ${c.count} failAt ${c.failAt}`;
    assert.deepEqual(r.batches, c.batches, label);
    assert.equal(r.successes, c.successes, label);
    assert.equal(calls, c.calls, label);
    assert.equal(r.error !== undefined, c.failAt !== undefined, label);
  }
});

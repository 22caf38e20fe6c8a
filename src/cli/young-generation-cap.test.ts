import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { capYoungGeneration, youngGenerationBytes } from './young-generation-cap.js';

/** Allocates with many survivors (what makes V8 grow its young generation) in short turns, as a server handles requests. */
async function churn(rounds: number): Promise<number> {
  let largest = 0;
  let keep: object[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 2_000; i++) keep.push({ i, s: `item-${r}-${i}` });
    if (keep.length > 200_000) keep = [];
    largest = Math.max(largest, youngGenerationBytes());
    await new Promise((resolve) => setImmediate(resolve));
  }
  return largest;
}

test('the young generation stays at the cap under allocation with survivors, and grows again once the cap is lifted', async () => {
  const ac = new AbortController();
  capYoungGeneration(ac.signal, 2);
  try {
    const capped = await churn(2000);
    assert.ok(capped <= 4 * 2 ** 20, `young generation ${capped} bytes, expected at most 4 MiB`);
  } finally {
    ac.abort();
  }
  // V8's own growth is back: the same churn grows it past the cap (its default limit is 16 MiB per semi-space)
  const free = await churn(2000);
  assert.ok(free > 4 * 2 ** 20, `young generation ${free} bytes after the cap was lifted, expected more than 4 MiB`);
});

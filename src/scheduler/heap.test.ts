import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Heap } from './heap.js';

test('Heap pops in order and supports update and delete by key', () => {
  const h = new Heap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
  for (const [k, v] of [['a', 5], ['b', 1], ['c', 3], ['d', 4], ['e', 2]] as const) h.push({ k, v });
  h.push({ k: 'a', v: 0 });
  assert.equal(h.delete('c')?.v, 3);
  assert.equal(h.delete('zz'), undefined);
  const out: string[] = [];
  for (let x = h.pop(); x; x = h.pop()) out.push(x.k);
  assert.deepEqual(out, ['a', 'b', 'e', 'd']);
  assert.equal(h.size, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch } from './merge-patch.js';

test('applyMergePatch follows RFC 7386', () => {
  // the examples of RFC 7386 appendix A, and Kubernetes' handling of nulls
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    // nulls inside new values are dropped, also in objects inside arrays
    [{}, { spec: { x: { y: null, z: 1 } } }, { spec: { x: { z: 1 } } }],
    [{}, { list: [{ a: null, b: 1 }, null] }, { list: [{ b: 1 }, null] }],
    // unrelated members are untouched
    [{ metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 1 } }, { metadata: { labels: { b: null, c: '3' } } }, { metadata: { labels: { a: '1', c: '3' } }, spec: { replicas: 1 } }],
  ];
  for (const [doc, patch, want] of cases) {
    const before = structuredClone(doc);
    assert.deepEqual(applyMergePatch(doc, patch), want, JSON.stringify([doc, patch]));
    assert.deepEqual(doc, before, 'input untouched');
  }
});

test('applyMergePatch returns a document that shares nothing with its inputs', () => {
  const doc = { a: { b: [1] }, keep: { x: 1 } };
  const patch = { c: { d: 1 } };
  const out = applyMergePatch(doc, patch) as { a: { b: number[] }; keep: { x: number }; c: { d: number } };
  out.a.b.push(2);
  out.keep.x = 2;
  out.c.d = 2;
  assert.deepEqual(doc, { a: { b: [1] }, keep: { x: 1 } });
  assert.deepEqual(patch, { c: { d: 1 } });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys, prefixEnd } from './key-order.js';

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('compareKeys', () => {
  it('agrees with UTF-8 byte order, also where UTF-16 code unit order does not', () => {
    const keys = ['', 'a', 'ab', 'b', '/', '\u00e9', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}', 'a\u{1f600}', 'a\uffff'];
    for (const a of keys) {
      for (const b of keys) {
        assert.equal(Math.sign(compareKeys(a, b)), Math.sign(utf8Order(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
  });
});

describe('prefixEnd', () => {
  it('bounds exactly the keys with the prefix', () => {
    assert.equal(prefixEnd('/a/b/'), '/a/b0');
    assert.equal(prefixEnd('/a/\ud7ff'), '/a/\ue000');
    assert.equal(prefixEnd('/a/\uffff'), '/a/\u{10000}');
    assert.equal(prefixEnd('/a/\u{10ffff}'), '/a0');
    assert.equal(prefixEnd(''), undefined);
    assert.equal(prefixEnd('\u{10ffff}'), undefined);
    for (const prefix of ['/a/b/', '/x\uffff', '/\u{1f600}']) {
      const end = prefixEnd(prefix) as string;
      for (const key of [prefix, `${prefix}z`, `${prefix}\u{10ffff}\u{10ffff}`]) assert.ok(compareKeys(key, end) < 0, key);
      assert.ok(compareKeys(end, prefix) > 0);
      assert.ok(!end.startsWith(prefix));
    }
  });
});

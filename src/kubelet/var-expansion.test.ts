import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { expandVars, lookupIn } from './var-expansion.js';

test('$(VAR) expansion as Kubernetes: defined, unknown, escaped, unclosed, lone $', () => {
  const lookup = lookupIn(new Map([['A', 'a'], ['EMPTY', '']]), new Map([['B', 'b'], ['A', 'shadowed']]));
  const table: [string, string][] = [
    ['$(A)', 'a'],
    ['x$(A)y$(B)z', 'xaybz'],
    ['$(EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$a'],
    ['$$', '$'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['a$', 'a$'],
    ['$()', '$()'],
    ['$(A)$(A)', 'aa'],
    ['no vars', 'no vars'],
    ['', ''],
  ];
  for (const [input, want] of table) assert.equal(expandVars(input, lookup), want, input);
});

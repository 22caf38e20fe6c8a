import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from './errors.js';
import { escapeFieldValue, fieldSelectorFromSet, parseFieldSelector, unescapeFieldValue } from './fields.js';

test('parseFieldSelector reads terms as Kubernetes does', () => {
  const cases: [string, [string, '=' | '!=', string][], string][] = [
    ['', [], ''],
    ['metadata.name=foo', [['metadata.name', '=', 'foo']], 'metadata.name=foo'],
    ['metadata.name==foo', [['metadata.name', '=', 'foo']], 'metadata.name=foo'],
    ['spec.nodeName!=', [['spec.nodeName', '!=', '']], 'spec.nodeName!='],
    ['spec.nodeName=', [['spec.nodeName', '=', '']], 'spec.nodeName='],
    ['b=1,a!=2', [['a', '!=', '2'], ['b', '=', '1']], 'a!=2,b=1'], // sorted by term text
    ['a=b,,c=d', [['a', '=', 'b'], ['c', '=', 'd']], 'a=b,c=d'], // empty terms skipped
    ['a=x\\,y', [['a', '=', 'x,y']], 'a=x\\,y'],
    ['a=x\\=y', [['a', '=', 'x=y']], 'a=x\\=y'],
    ['a=x\\\\y', [['a', '=', 'x\\y']], 'a=x\\\\y'],
    ['metadata.name = foo', [['metadata.name ', '=', ' foo']], 'metadata.name = foo'], // whitespace is significant
    ['=x', [['', '=', 'x']], '=x'],
  ];
  for (const [input, reqs, str] of cases) {
    const s = parseFieldSelector(input);
    assert.deepEqual(
      s.requirements.map((r) => [r.field, r.operator, r.value]),
      reqs,
      JSON.stringify(input),
    );
    assert.equal(s.empty, reqs.length === 0);
    assert.equal(s.toString(), str);
  }
});

test('parseFieldSelector refuses bad syntax with Kubernetes messages', () => {
  const cases: [string, string][] = [
    ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
    ['a=b,foo', "invalid selector: 'a=b,foo'; can't understand 'foo'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a!==b', 'invalid field selector: unescaped character in value: 61'],
    ['a=\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseFieldSelector(input), (e: unknown) => e instanceof BadRequestError && e.message === message, input);
  }
});

test('FieldSelector.matches compares values, missing ones as ""', () => {
  const pod: Record<string, string> = { 'metadata.name': 'web-1', 'spec.nodeName': 'node-a', 'status.phase': 'Running' };
  const get = (f: string): string | undefined => pod[f];
  const cases: [string, boolean][] = [
    ['', true],
    ['metadata.name=web-1', true],
    ['metadata.name=web-2', false],
    ['metadata.name!=web-2', true],
    ['spec.nodeName=node-a,status.phase=Running', true],
    ['spec.nodeName=node-a,status.phase!=Running', false],
    ['spec.schedulerName=', true], // unset reads as ""
    ['spec.schedulerName!=', false],
  ];
  for (const [sel, want] of cases) assert.equal(parseFieldSelector(sel).matches(get), want, sel);
});

test('escapeFieldValue and unescapeFieldValue round-trip', () => {
  for (const v of ['plain', 'a,b', 'a=b', 'a\\b', '\\,=']) {
    assert.equal(unescapeFieldValue(escapeFieldValue(v)), v);
  }
  assert.equal(escapeFieldValue('a,b=c\\'), 'a\\,b\\=c\\\\');
});

test('fieldSelectorFromSet', () => {
  const s = fieldSelectorFromSet({ 'spec.nodeName': 'n1', 'metadata.name': 'p' });
  assert.equal(s.toString(), 'metadata.name=p,spec.nodeName=n1');
  assert.equal(s.matches((f) => (f === 'metadata.name' ? 'p' : 'n1')), true);
});

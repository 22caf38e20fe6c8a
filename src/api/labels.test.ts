import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from './errors.js';
import { formatFieldError } from './field-errors.js';
import {
  everything,
  formatLabelSelector,
  labelSelectorAsString,
  labelSelectorFromObject,
  nothing,
  parseLabelSelector,
  selectorFromSet,
  validateLabelSelector,
} from './labels.js';

const QNAME_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

test('parseLabelSelector accepts the Kubernetes syntax and prints it canonically', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['   ', ''],
    ['x=a', 'x=a'],
    ['x==a', 'x=a'],
    ['x!=a', 'x!=a'],
    ['  x = a  ', 'x=a'],
    ['x=a,y=b', 'x=a,y=b'],
    ['y=b,x=a', 'x=a,y=b'], // sorted by key
    ['x in (b,a)', 'x in (a,b)'],
    ['x in(a)', 'x in (a)'],
    ['x notin (a, b ,c)', 'x notin (a,b,c)'],
    ['x in (a,a)', 'x in (a)'],
    ['x', 'x'],
    ['!x', '!x'],
    ['! x', '!x'],
    ['x=', 'x='], // empty value
    ['x=,y', 'x=,y'],
    ['x in ()', 'x in ()'], // Kubernetes reads () as the empty value
    ['x in (a,,b)', 'x in (,a,b)'],
    ['x in (,a)', 'x in (,a)'],
    ['x in (a,)', 'x in (,a)'],
    ['x>1', 'x>1'],
    ['x<10', 'x<10'],
    ['x > 1', 'x>1'],
    ['in in (in)', 'in in (in)'],
    ['notin=notin', 'notin=notin'],
    ['example.com/app-name=web_1.0', 'example.com/app-name=web_1.0'],
    ['z notin (c),!y,x=a', 'x=a,!y,z notin (c)'],
    ['x\t=\na', 'x=a'],
  ];
  for (const [input, want] of cases) {
    const s = parseLabelSelector(input);
    assert.equal(s.toString(), want, JSON.stringify(input));
    assert.equal(s.empty, want === '', `${JSON.stringify(input)}.empty`);
  }
});

test('parseLabelSelector exposes requirements', () => {
  assert.deepEqual(
    parseLabelSelector('tier in (b,a),app=web,!canary').requirements.map((r) => ({ ...r, values: [...r.values] })),
    [
      { key: 'app', operator: 'Equals', values: ['web'] },
      { key: 'canary', operator: 'DoesNotExist', values: [] },
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
    ],
  );
});

test('parseLabelSelector refuses bad input with Kubernetes messages', () => {
  const cases: [string, string][] = [
    ['x=a b', "found 'b', expected: ',' or 'end of string'"],
    ['x=a,', "found '', expected: identifier after ','"],
    ['x=a,,y', "found ',', expected: identifier after ','"],
    [',x', "found ',', expected: !, identifier, or 'end of string'"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['x in', "unable to parse requirement: found '' expected: '('"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['x in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['x in (a,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['x=(a)', "unable to parse requirement: found '(', expected: identifier"],
    ['x foo', "unable to parse requirement: found 'foo', expected: in, notin, =, ==, !=, gt, lt"],
    ['x exists', "unable to parse requirement: found 'exists', expected: in, notin, =, ==, !=, gt, lt. You may want to use 'key' or '!key' (without 'exists')."],
    ['x>a', `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['x>', `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['app:web', `unable to parse requirement: <nil>: Invalid value: "app:web": ${QNAME_RULE}`],
    ['x=-bad', `unable to parse requirement: values[0][x]: Invalid value: "-bad": ${VALUE_RULE}`],
    ['x in (ok,-bad)', `unable to parse requirement: values[0][x]: Invalid value: "-bad": ${VALUE_RULE}`],
    [
      'a.b_c/d=1',
      "unable to parse requirement: <nil>: Invalid value: \"a.b_c/d\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parseLabelSelector(input),
      (e: unknown) => {
        assert.ok(e instanceof BadRequestError, `${JSON.stringify(input)} throws BadRequestError`);
        assert.equal(e.message, message, JSON.stringify(input));
        assert.equal(e.code, 400);
        return true;
      },
    );
  }
});

test('Selector.matches follows Kubernetes requirement semantics', () => {
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', undefined, true],
    ['', { a: 'b' }, true],
    ['x=a', { x: 'a' }, true],
    ['x=a', { x: 'b' }, false],
    ['x=a', {}, false],
    ['x=a', undefined, false],
    ['x==a', { x: 'a', y: 'b' }, true],
    ['x!=a', {}, true],
    ['x!=a', { x: 'a' }, false],
    ['x!=a', { x: 'b' }, true],
    ['x in (a,b)', { x: 'b' }, true],
    ['x in (a,b)', { x: 'c' }, false],
    ['x in (a,b)', {}, false],
    ['x notin (a,b)', {}, true],
    ['x notin (a,b)', { x: 'a' }, false],
    ['x', { x: '' }, true],
    ['x', { y: '' }, false],
    ['!x', { x: '1' }, false],
    ['!x', {}, true],
    ['x=', { x: '' }, true],
    ['x=', {}, false],
    ['x in ()', { x: '' }, true],
    ['x>1', { x: '2' }, true],
    ['x>1', { x: '1' }, false],
    ['x>1', { x: 'a' }, false],
    ['x>1', {}, false],
    ['x<10', { x: '9' }, true],
    ['x<10', { x: '-20' }, true],
    ['x=a,y=b', { x: 'a', y: 'b' }, true],
    ['x=a,y=b', { x: 'a' }, false],
    ['toString', {}, false], // keys are own properties only
  ];
  for (const [sel, labels, want] of cases) {
    assert.equal(parseLabelSelector(sel).matches(labels), want, `${JSON.stringify(sel)} on ${JSON.stringify(labels)}`);
  }
});

test('labelSelectorFromObject: nil selects nothing, {} everything', () => {
  for (const sel of [undefined, null]) {
    const s = labelSelectorFromObject(sel);
    assert.equal(s.empty, false);
    assert.equal(s.matches({}), false);
    assert.equal(s.matches({ a: 'b' }), false);
    assert.equal(s.toString(), '');
  }
  for (const sel of [{}, { matchLabels: {}, matchExpressions: [] }]) {
    const s = labelSelectorFromObject(sel);
    assert.equal(s.empty, true);
    assert.equal(s.matches(undefined), true);
    assert.equal(s.matches({ a: 'b' }), true);
  }
  assert.equal(everything().matches({}), true);
  assert.equal(nothing().matches({}), false);
});

test('labelSelectorFromObject combines matchLabels and matchExpressions', () => {
  const cases: [Parameters<typeof labelSelectorFromObject>[0], string][] = [
    [{ matchLabels: { b: '2', a: '1' } }, 'a=1,b=2'],
    [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['y', 'x'] }] }, 'k in (x,y)'],
    [{ matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['x'] }] }, 'k notin (x)'],
    [{ matchExpressions: [{ key: 'k', operator: 'Exists' }] }, 'k'],
    [{ matchExpressions: [{ key: 'k', operator: 'DoesNotExist', values: [] }] }, '!k'],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }, 'app=web,tier in (a,b)'],
  ];
  for (const [sel, want] of cases) {
    assert.equal(labelSelectorFromObject(sel).toString(), want);
    assert.equal(labelSelectorAsString(sel ?? {}), want);
  }
  const s = labelSelectorFromObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] });
  assert.equal(s.matches({ app: 'web' }), true);
  assert.equal(s.matches({ app: 'web', env: 'prod' }), false);
  assert.equal(s.matches({ app: 'db' }), false);
});

test('labelSelectorFromObject refuses what Kubernetes refuses', () => {
  const cases: [Parameters<typeof labelSelectorFromObject>[0], string][] = [
    [{ matchExpressions: [{ key: 'k', operator: 'Foo', values: ['x'] }] }, '"Foo" is not a valid label selector operator'],
    [{ matchExpressions: [{ key: 'k', operator: 'In', values: [] }] }, "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['x'] }] }, 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
    [{ matchLabels: { 'bad key': 'v' } }, `key: Invalid value: "bad key": ${QNAME_RULE}`],
    [{ matchLabels: { k: 'bad value' } }, `values[0][k]: Invalid value: "bad value": ${VALUE_RULE}`],
  ];
  for (const [sel, message] of cases) {
    assert.throws(() => labelSelectorFromObject(sel), (e: unknown) => e instanceof BadRequestError && e.message === message, message);
  }
});

test('formatLabelSelector prints <none> and <error> as kubectl does', () => {
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchLabels: { a: 'b' } }), 'a=b');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), '<error>');
});

test('selectorFromSet selects exactly the given labels', () => {
  const s = selectorFromSet({ b: '2', a: '1' });
  assert.equal(s.toString(), 'a=1,b=2');
  assert.equal(s.matches({ a: '1', b: '2', c: '3' }), true);
  assert.equal(s.matches({ a: '1' }), false);
  assert.equal(selectorFromSet({}).empty, true);
});

test('validateLabelSelector reports as ValidateLabelSelector does', () => {
  const cases: [unknown, string[]][] = [
    [undefined, []],
    [null, []],
    [{}, []],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] }, []],
    [{ matchLabels: { 'Bad Key': 'v' } }, [`spec.selector.matchLabels: Invalid value: "Bad Key": ${QNAME_RULE}`]],
    [{ matchLabels: { k: '-v' } }, [`spec.selector.matchLabels: Invalid value: "-v": ${VALUE_RULE}`]],
    [{ matchExpressions: [{ key: 'k', operator: 'In' }] }, ["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]],
    [{ matchExpressions: [{ key: 'k', operator: 'NotIn', values: [] }] }, ["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]],
    [
      { matchExpressions: [{ key: 'k', operator: 'Exists', values: ['a'] }] },
      ["spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"],
    ],
    [{ matchExpressions: [{ key: 'k', operator: 'Equals', values: ['a'] }] }, ['spec.selector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator']],
    [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['a', '-b'] }] }, [`spec.selector.matchExpressions[0].values[1]: Invalid value: "-b": ${VALUE_RULE}`]],
    [{ matchExpressions: [{ key: '', operator: 'Exists' }] }, ['spec.selector.matchExpressions[0].key: Invalid value: "": name part must be non-empty', `spec.selector.matchExpressions[0].key: Invalid value: "": ${QNAME_RULE}`]],
    [{ matchExpressions: {} }, ['spec.selector.matchExpressions: Invalid value: {}: must be an array']],
    ['app=web', ['spec.selector: Invalid value: "app=web": must be an object']],
  ];
  for (const [sel, want] of cases) {
    assert.deepEqual(validateLabelSelector(sel, 'spec.selector').map(formatFieldError), want, JSON.stringify(sel));
  }
});

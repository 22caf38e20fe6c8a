import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIntOrPercent, scaledValue } from './intstr.js';

test('scaledValue resolves integers and percentages like GetScaledValueFromIntOrPercent', () => {
  const cases: [number | string | undefined, number, boolean, number][] = [
    [1, 10, true, 1],
    [0, 10, false, 0],
    [undefined, 10, true, 0],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['50%', 5, true, 3],
    ['50%', 5, false, 2],
    ['100%', 3, false, 3],
    ['0%', 5, true, 0],
    ['10%', 0, true, 0],
    ['+10%', 10, true, 1],
    ['150%', 4, false, 6],
  ];
  for (const [v, total, roundUp, want] of cases) {
    assert.equal(scaledValue(v, total, roundUp), want, `scaledValue(${JSON.stringify(v)}, ${total}, ${roundUp})`);
  }
});

test('scaledValue refuses strings that are not percentages', () => {
  const cases: [number | string, string][] = [
    ['25', 'invalid value for IntOrString: invalid type: string is not a percentage'],
    ['abc%', 'invalid value for IntOrString: invalid value "abc%": strconv.Atoi: parsing "abc": invalid syntax'],
    ['2.5%', 'invalid value for IntOrString: invalid value "2.5%": strconv.Atoi: parsing "2.5": invalid syntax'],
    ['%', 'invalid value for IntOrString: invalid value "%": strconv.Atoi: parsing "": invalid syntax'],
    [1.5, 'invalid value for IntOrString: invalid type: neither int nor percentage'],
  ];
  for (const [v, message] of cases) assert.throws(() => scaledValue(v, 10, true), { message }, JSON.stringify(v));
});

test('isIntOrPercent', () => {
  const cases: [unknown, boolean][] = [
    [3, true],
    [0, true],
    ['25%', true],
    ['25', false],
    ['x%', false],
    [1.5, false],
    [undefined, false],
    [null, false],
  ];
  for (const [v, want] of cases) assert.equal(isIntOrPercent(v), want, JSON.stringify(v));
});

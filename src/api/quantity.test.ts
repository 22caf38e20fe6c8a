import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addQuantities,
  compareQuantities,
  isQuantity,
  parseQuantity,
  quantityFromMilli,
  quantityToMilli,
  quantityToNumber,
  subtractQuantities,
} from './quantity.js';

test('parseQuantity prints the canonical form Kubernetes prints', () => {
  const cases: [string | number, string, bigint][] = [
    ['0', '0', 0n],
    ['100m', '100m', 100n],
    ['1.5', '1500m', 1500n],
    ['2Gi', '2Gi', 2n * 1024n ** 3n * 1000n],
    ['500M', '500M', 500_000_000_000n],
    ['1e3', '1e3', 1_000_000n],
    [3, '3', 3000n],
    [0.5, '500m', 500n],
    ['1Ki', '1Ki', 1_024_000n],
    ['1000Ki', '1000Ki', 1_024_000_000n],
    ['1024Ki', '1Mi', 1_048_576_000n],
    ['0.5Gi', '512Mi', 536_870_912_000n],
    ['1.5Gi', '1536Mi', 1_610_612_736_000n],
    ['0.5Ki', '512', 512_000n], // binary amounts under 1024 print in decimal
    ['0.1Ki', '102400m', 102_400n], // fractional binary amounts print in decimal
    ['1500m', '1500m', 1500n],
    ['2000m', '2', 2000n],
    ['1000', '1k', 1_000_000n],
    ['1500', '1500', 1_500_000n],
    ['1024', '1024', 1_024_000n],
    ['0.1', '100m', 100n],
    ['.5', '500m', 500n],
    ['1.G', '1G', 1_000_000_000_000n],
    ['+1', '1', 1000n],
    ['-100m', '-100m', -100n],
    ['1n', '1n', 1n], // below a milli-unit: milli rounds up
    ['1.5n', '2n', 1n], // below a nano-unit: rounds up
    ['-1.5n', '-2n', -1n], // ... away from zero
    ['0.0000000001', '1n', 1n],
    ['1E', '1E', 10n ** 21n],
    ['12e6', '12e6', 12_000_000_000n],
    ['1.5e3', '1500', 1_500_000n],
    ['1e-3', '1e-3', 1n],
    ['1E3', '1e3', 1_000_000n],
    ['8Ei', '9223372036854775807', (2n ** 63n - 1n) * 1000n], // capped at 2^63-1
    ['10000000000000000000', '9223372036854775807', (2n ** 63n - 1n) * 1000n],
  ];
  for (const [input, want, milli] of cases) {
    const q = parseQuantity(input);
    assert.equal(q.toString(), want, `parseQuantity(${JSON.stringify(input)}).toString()`);
    assert.equal(q.milli, milli, `parseQuantity(${JSON.stringify(input)}).milli`);
    assert.equal(JSON.stringify({ q }), JSON.stringify({ q: want }));
  }
});

test('parseQuantity keeps the format its suffix chose', () => {
  assert.equal(parseQuantity('1Mi').format, 'BinarySI');
  assert.equal(parseQuantity('1M').format, 'DecimalSI');
  assert.equal(parseQuantity('1e6').format, 'DecimalExponent');
  assert.equal(parseQuantity('1').format, 'DecimalSI');
});

test('parseQuantity refuses bad syntax with Kubernetes messages', () => {
  const format = /quantities must match the regular expression/;
  const suffix = /unable to parse quantity's suffix$/;
  const cases: [string | number, RegExp][] = [
    ['', format],
    ['abc', format],
    ['1x', format],
    ['1Kib', format],
    ['1 ', format],
    [' 1', format],
    ['1.5.5', format],
    ['1K', suffix],
    ['1e', suffix],
    ['1ee3', suffix],
    ['--1', suffix],
    [Number.NaN, /unable to parse numeric part/],
    [Number.POSITIVE_INFINITY, /unable to parse numeric part/],
  ];
  for (const [input, want] of cases) {
    assert.throws(() => parseQuantity(input), want, JSON.stringify(input));
  }
});

test('isQuantity', () => {
  const cases: [unknown, boolean][] = [
    ['100m', true],
    [2, true],
    ['1Gi', true],
    ['1GB', false],
    ['', false],
    [undefined, false],
    [null, false],
    [{}, false],
  ];
  for (const [input, want] of cases) assert.equal(isQuantity(input), want, JSON.stringify(input));
});

test('quantityToMilli and quantityToNumber round up like MilliValue and Value', () => {
  const cases: [string | number | undefined, number, number][] = [
    [undefined, 0, 0],
    ['100m', 100, 1],
    ['1Ki', 1_024_000, 1024],
    ['2', 2000, 2],
    [1.5, 1500, 2],
    ['1n', 1, 1],
    ['-100m', -100, -1],
    ['128Mi', 134_217_728_000, 134_217_728],
  ];
  for (const [input, milli, units] of cases) {
    assert.equal(quantityToMilli(input), milli, `quantityToMilli(${JSON.stringify(input)})`);
    assert.equal(quantityToNumber(input), units, `quantityToNumber(${JSON.stringify(input)})`);
  }
  assert.throws(() => quantityToMilli('bogus'));
});

test('arithmetic keeps the first operand format', () => {
  assert.equal(addQuantities('1Gi', '512Mi').toString(), '1536Mi');
  assert.equal(addQuantities('100m', '900m').toString(), '1');
  assert.equal(subtractQuantities('1', '250m').toString(), '750m');
  assert.equal(compareQuantities('1Gi', '1G'), 1);
  assert.equal(compareQuantities('1000m', '1'), 0);
  assert.equal(compareQuantities('1k', '1Ki'), -1);
  assert.equal(quantityFromMilli(1500).toString(), '1500m');
  assert.equal(quantityFromMilli(2048000n, 'BinarySI').toString(), '2Ki');
});

test('a text parsed again gives the same value; bad texts keep failing; non-strings are refused', () => {
  for (let i = 0; i < 2; i++) {
    const q = parseQuantity('1500m');
    assert.equal(q.nano, 1_500_000_000n);
    assert.equal(q.toString(), '1500m');
    assert.equal(JSON.stringify({ q }), '{"q":"1500m"}');
    assert.throws(() => parseQuantity('1.5.5'), /quantities must match/);
  }
  assert.throws(() => parseQuantity({} as unknown as string), /quantities must match/);
  assert.equal(parseQuantity(0.5).toString(), '500m');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration, parseDurationNanos } from './duration.js';

test('parseDuration reads Go durations into milliseconds', () => {
  const cases: [string, number][] = [
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['50s', 50_000],
    ['0', 0],
    ['-0', 0],
    ['+5s', 5000],
    ['-1.5h', -5_400_000],
    ['1us', 0.001],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['1ns', 0.000001],
    ['.5s', 500],
    ['1.s', 1000],
    ['1h1m1s1ms', 3_661_001],
    ['0s', 0],
  ];
  for (const [input, want] of cases) assert.equal(parseDuration(input), want, input);
  assert.equal(parseDurationNanos('1.000000001s'), 1_000_000_001n);
  assert.equal(parseDurationNanos('2562047h47m16.854775807s'), 2n ** 63n - 1n);
});

test('parseDuration refuses bad syntax with Go messages', () => {
  const cases: [string, string][] = [
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1.5.5s', 'time: missing unit in duration "1.5.5s"'],
    ['s', 'time: invalid duration "s"'],
    ['-', 'time: invalid duration "-"'],
    ['.s', 'time: invalid duration ".s"'],
    ['1h 2m', 'time: unknown unit "h " in duration "1h 2m"'],
    ['2562047h47m16.854775808s', 'time: invalid duration "2562047h47m16.854775808s"'],
  ];
  for (const [input, message] of cases) assert.throws(() => parseDuration(input), { message }, input);
});

test('formatDuration prints as Go Duration.String', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [1500, '1.5s'],
    [3_723_500, '1h2m3.5s'],
    [60_000, '1m0s'],
    [3_600_000, '1h0m0s'],
    [1.5, '1.5ms'],
    [0.0015, '1.5µs'],
    [0.000001, '1ns'],
    [-2000, '-2s'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, String(ms));
});

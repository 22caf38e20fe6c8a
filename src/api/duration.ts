// Go-style durations ("300ms", "-1.5h", "2h45m") as time.ParseDuration reads them, used by
// fields and flags that Kubernetes declares as metav1.Duration.

const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NANOS = 2n ** 63n;

const invalid = (orig: string): Error => new Error(`time: invalid duration ${JSON.stringify(orig)}`);

/**
 * A Go duration in nanoseconds, exact: a possibly signed sequence of decimal numbers, each
 * with an optional fraction and a unit (ns, us, µs, ms, s, m, h); "0" alone needs no unit.
 * Throws Error with Go's message (`time: invalid duration "x"`, `time: missing unit in
 * duration "1"`, `time: unknown unit "d" in duration "1d"`).
 */
export function parseDurationNanos(s: string): bigint {
  const orig = s;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid(orig);
  let total = 0n;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid(orig);
    let i = 0;
    while (isDigit(s[i])) i++;
    const whole = s.slice(0, i);
    let frac = '';
    if (s[i] === '.') {
      const start = ++i;
      while (isDigit(s[i])) i++;
      frac = s.slice(start, i);
    }
    if (whole === '' && frac === '') throw invalid(orig);
    s = s.slice(i);
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = Object.hasOwn(UNIT_NANOS, unitName) ? UNIT_NANOS[unitName] : undefined;
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(orig)}`);
    const v = BigInt(whole || '0');
    if (v > MAX_NANOS / unit) throw invalid(orig);
    let part = v * unit;
    if (frac !== '') part += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    if (part > MAX_NANOS) throw invalid(orig);
    total += part;
    if (total > MAX_NANOS) throw invalid(orig);
  }
  if (!neg && total > MAX_NANOS - 1n) throw invalid(orig);
  return neg ? -total : total;
}

/** Go-style durations: "300ms", "1.5h", "2h45m", "50s" → milliseconds (fractional below 1ms). Throws Error on bad syntax. */
export function parseDuration(s: string): number {
  return Number(parseDurationNanos(s)) / 1e6;
}

/** Go's Duration.String for a count of milliseconds: "1h2m3.5s", "1.5ms", "0s". */
export function formatDuration(ms: number): string {
  let nanos = BigInt(Math.round(ms * 1e6));
  if (nanos === 0n) return '0s';
  const neg = nanos < 0n;
  if (neg) nanos = -nanos;
  const sign = neg ? '-' : '';
  const fixed = (n: bigint, unit: bigint): string => {
    const whole = n / unit;
    const rest = (n % unit).toString().padStart(unit.toString().length - 1, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (nanos < 1_000n) return `${sign}${nanos}ns`;
  if (nanos < 1_000_000n) return `${sign}${fixed(nanos, 1_000n)}µs`;
  if (nanos < 1_000_000_000n) return `${sign}${fixed(nanos, 1_000_000n)}ms`;
  const h = nanos / 3_600_000_000_000n;
  const m = (nanos / 60_000_000_000n) % 60n;
  const secs = fixed(nanos % 60_000_000_000n, 1_000_000_000n);
  if (h > 0n) return `${sign}${h}h${m}m${secs}s`;
  if (m > 0n) return `${sign}${m}m${secs}s`;
  return `${sign}${secs}s`;
}

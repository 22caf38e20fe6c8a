// resource.Quantity: fixed-point amounts such as "100m", "1.5", "2Gi", "500M", "1e3", parsed
// and printed in canonical form as Kubernetes does. Values are exact to the nano-unit (smaller
// amounts round up, away from zero, as Kubernetes rounds them); DecimalSI and BinarySI
// amounts beyond 2^63-1 units are capped as Kubernetes caps them.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** value in milli-units, exact */
  readonly milli: bigint;
  /** canonical string, e.g. "100m", "1Gi", "2" */
  toString(): string;
}

/** What parseQuantity returns: the Quantity contract plus the exact value and the format it prints in. */
export interface ParsedQuantity extends Quantity {
  /** value in nano-units, exact (every Quantity is a whole number of nano-units) */
  readonly nano: bigint;
  /** how toString() prints: SI suffixes (k, M, m, ...), binary suffixes (Ki, Mi, ...) or exponents (e3) */
  readonly format: QuantityFormat;
  /** the canonical string, so JSON.stringify writes a quantity as Kubernetes does */
  toJSON(): string;
}

const ERR_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const ERR_NUMERIC = 'unable to parse numeric part of quantity';
const ERR_SUFFIX = "unable to parse quantity's suffix";

const NANO = 1_000_000_000n;
const MAX_ALLOWED_NANO = (2n ** 63n - 1n) * NANO;
/** Exponents beyond this are refused rather than expanded into enormous integers. */
const MAX_DECIMAL_EXPONENT = 1000;

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** a / b rounded away from zero (Kubernetes' ScaledValue rounds up in magnitude). */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  if (a % b === 0n) return q;
  return a < 0n ? q - 1n : q + 1n;
}

class QuantityValue implements ParsedQuantity {
  private text: string | undefined;

  constructor(
    readonly nano: bigint,
    readonly format: QuantityFormat,
  ) {}

  get milli(): bigint {
    return divAwayFromZero(this.nano, 1_000_000n);
  }

  toString(): string {
    this.text ??= canonical(this.nano, this.format);
    return this.text;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Kubernetes' CanonicalizeBytes. */
function canonical(nano: bigint, format: QuantityFormat): string {
  if (nano === 0n) return '0';
  if (format === 'BinarySI') {
    // Small or fractional binary amounts print in decimal so that nothing is rounded.
    if (abs(nano) < 1024n * NANO || nano % NANO !== 0n) format = 'DecimalSI';
    else {
      let units = nano / NANO;
      let power = 0;
      while (power < BINARY_SUFFIX_BY_POWER.length - 1 && units % 1024n === 0n) {
        units /= 1024n;
        power++;
      }
      return `${units}${BINARY_SUFFIX_BY_POWER[power]}`;
    }
  }
  let mantissa = nano;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const down = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(down);
  exponent -= down;
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  if (exponent > 18) {
    mantissa *= 10n ** BigInt(exponent - 18);
    exponent = 18;
  }
  return `${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent)!}`;
}

interface Parts {
  readonly positive: boolean;
  /** integer digits without leading zeros ("0" when none) */
  readonly num: string;
  readonly denom: string;
  readonly suffix: string;
}

/** Kubernetes' parseQuantityString: sign, digits, optional fraction, then the suffix. */
function split(str: string): Parts {
  let pos = 0;
  let positive = true;
  if (str[0] === '-' || str[0] === '+') {
    positive = str[0] === '+';
    pos++;
  }
  while (pos < str.length && str[pos] === '0') pos++;
  if (pos >= str.length) return { positive, num: '0', denom: '', suffix: '' };
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  let start = pos;
  while (isDigit(str[pos])) pos++;
  const num = str.slice(start, pos) || '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    start = pos;
    while (isDigit(str[pos])) pos++;
    denom = str.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < str.length && 'eEinumkKMGTP'.includes(str[pos]!)) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (isDigit(str[pos])) pos++;
  if (pos < str.length) throw new Error(ERR_FORMAT);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

/** Kubernetes' suffix interpretation: base, exponent and the format the quantity keeps. */
function interpret(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined && Object.hasOwn(DECIMAL_SUFFIXES, suffix)) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined && Object.hasOwn(BINARY_SUFFIXES, suffix)) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 2 ** 31) throw new Error(ERR_SUFFIX);
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  throw new Error(ERR_SUFFIX);
}

/** A number as Kubernetes reads an unquoted JSON number into a Quantity. */
function numberText(v: number): string {
  if (!Number.isFinite(v)) throw new Error(ERR_NUMERIC);
  return String(v);
}

/**
 * Parses "100m", "1.5", "2Gi", "500M", "1e3", and numbers (3, 0.5). Throws Error with
 * Kubernetes' message on bad syntax (callers turn it into a FieldError).
 */
export function parseQuantity(v: string | number): ParsedQuantity {
  if (typeof v === 'number') return parseQuantityText(numberText(v));
  if (typeof v !== 'string') throw new Error(ERR_FORMAT); // from untyped callers
  // Quantities repeat ("100m", "128Mi") and every write parses each several times (defaulting,
  // QoS class, validation): parsed values, which are immutable, are kept for their text.
  let q = parsedQuantities.get(v);
  if (q === undefined) {
    q = parseQuantityText(v);
    if (parsedQuantities.size >= PARSED_QUANTITIES_MAX) parsedQuantities.clear();
    parsedQuantities.set(v, q);
  }
  return q;
}

const PARSED_QUANTITIES_MAX = 1024;
const parsedQuantities = new Map<string, ParsedQuantity>();

function parseQuantityText(str: string): ParsedQuantity {
  if (typeof str !== 'string' || str.length === 0) throw new Error(ERR_FORMAT);
  if (str === '0') return new QuantityValue(0n, 'DecimalSI');
  const { positive, num, denom, suffix } = split(str);
  const { base, exponent, format } = interpret(suffix);
  const digits = BigInt(num + denom);

  // Kubernetes keeps exact int64 arithmetic (no rounding, no cap) when the value fits its
  // fast path; otherwise it rounds up to the nano-unit and caps SI formats at 2^63-1.
  let nano: bigint;
  let fastPath: boolean;
  if (base === 10) {
    const scale = exponent - denom.length;
    fastPath = num.length + denom.length <= 18 && scale >= -9;
    const shift = scale + 9;
    if (digits === 0n) nano = 0n;
    else if (scale > MAX_DECIMAL_EXPONENT) throw new Error(ERR_NUMERIC);
    else if (shift >= 0) nano = digits * 10n ** BigInt(shift);
    else if (-shift > num.length + denom.length + 1) nano = 1n;
    else nano = divAwayFromZero(digits, 10n ** BigInt(-shift));
  } else {
    const precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    const units = digits * 2n ** BigInt(exponent);
    fastPath = denom.length === 0 && precision >= 0 && units <= 2n ** 63n - 1n;
    nano = divAwayFromZero(units * NANO, 10n ** BigInt(denom.length));
  }
  if (!fastPath && format !== 'DecimalExponent' && nano > MAX_ALLOWED_NANO) nano = MAX_ALLOWED_NANO;
  return new QuantityValue(positive ? nano : -nano, format);
}

/** A quantity of exactly `nano` nano-units, printed in `format`. */
export function quantityFromNano(nano: bigint, format: QuantityFormat = 'DecimalSI'): ParsedQuantity {
  return new QuantityValue(nano, format);
}

/** A quantity of `milli` milli-units (e.g. CPU), printed in `format`: quantityFromMilli(1500n) prints "1500m". */
export function quantityFromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): ParsedQuantity {
  const m = typeof milli === 'bigint' ? milli : BigInt(Math.round(milli));
  return new QuantityValue(m * 1_000_000n, format);
}

/** Whether `v` is a string or finite number that parseQuantity accepts. */
export function isQuantity(v: unknown): boolean {
  if (typeof v !== 'string' && typeof v !== 'number') return false;
  try {
    parseQuantity(v);
    return true;
  } catch {
    return false;
  }
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b` (Quantity.Cmp). */
export function compareQuantities(a: string | number, b: string | number): -1 | 0 | 1 {
  const x = parseQuantity(a).nano;
  const y = parseQuantity(b).nano;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a + b, printed in a's format (Quantity.Add). */
export function addQuantities(a: string | number, b: string | number): ParsedQuantity {
  const x = parseQuantity(a);
  return new QuantityValue(x.nano + parseQuantity(b).nano, x.format);
}

/** a - b, printed in a's format (Quantity.Sub). */
export function subtractQuantities(a: string | number, b: string | number): ParsedQuantity {
  const x = parseQuantity(a);
  return new QuantityValue(x.nano - parseQuantity(b).nano, x.format);
}

/**
 * milli-units as a JS number (for scheduling arithmetic), rounded up like MilliValue():
 * cpu "100m" → 100, memory "1Ki" → 1024000; undefined → 0. Throws Error on bad syntax.
 */
export function quantityToMilli(v: string | number | undefined): number {
  if (v === undefined) return 0;
  return Number(parseQuantity(v).milli);
}

/** whole units rounded up like Value(): "100m" → 1, "1Ki" → 1024; undefined → 0. Throws Error on bad syntax. */
export function quantityToNumber(v: string | number | undefined): number {
  if (v === undefined) return 0;
  return Number(divAwayFromZero(parseQuantity(v).nano, NANO));
}

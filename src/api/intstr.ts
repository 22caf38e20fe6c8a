// IntOrString fields such as a Deployment's maxSurge/maxUnavailable: an integer, or a
// percentage string ("25%") resolved against a total as Kubernetes'
// GetScaledValueFromIntOrPercent does.

const PERCENT = /^([+-]?[0-9]+)%$/;

/** Go's strconv.Atoi range on 64-bit platforms. */
const INT_MIN = -(2 ** 63);
const INT_MAX = 2 ** 63 - 1;

/**
 * Resolves an IntOrString against `total`: an integer is itself; "N%" is N% of total, rounded
 * up when `roundUp` (ceil) and down otherwise (floor). undefined is 0 (callers default
 * maxSurge/maxUnavailable before resolving). Throws Error, in Kubernetes' words, on a string
 * that is not a percentage or a non-integer number.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error('invalid value for IntOrString: invalid type: neither int nor percentage');
    return v;
  }
  if (!v.endsWith('%')) throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  const m = PERCENT.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < INT_MIN || n > INT_MAX) {
    const digits = v.slice(0, -1);
    const why = m ? 'value out of range' : 'invalid syntax';
    throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: ${why}`);
  }
  const scaled = (n * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Whether `v` is an integer or a percentage string ("25%") that scaledValue accepts. */
export function isIntOrPercent(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  return typeof v === 'string' && PERCENT.test(v);
}

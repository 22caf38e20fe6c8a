// Key order shared by every driver: Unicode code point order, which equals the byte order of the
// keys' UTF-8 encoding (SQLite's BINARY collation, etcd's byte order). Plain JS `<` compares UTF-16
// code units and disagrees for characters above U+FFFF, so drivers sort with compareKeys only.

/** Negative, zero or positive as `a` sorts before, equal to or after `b` in code point order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

// Surrogates (U+D800..U+DFFF) encode code points above U+FFFF, so they rank above U+E000..U+FFFF.
function codeUnitRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/**
 * The exclusive upper bound of the keys that start with `prefix`: they are exactly the keys k with
 * prefix <= k < prefixEnd(prefix). Undefined when there is no bound (empty prefix, or one made
 * only of U+10FFFF): then every key >= prefix has it.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix);
  for (let i = points.length - 1; i >= 0; i--) {
    const last = points[i].codePointAt(0) ?? 0;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.slice(0, i).join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** Where a list starts: the later of the prefix and the pagination start key. */
export function rangeStart(prefix: string, startKey: string | undefined): string {
  return startKey !== undefined && compareKeys(startKey, prefix) > 0 ? startKey : prefix;
}

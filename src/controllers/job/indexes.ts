// Completion indexes of an Indexed Job as status.completedIndexes writes them: ascending,
// comma-separated numbers and ranges ("1,3-5,7"). Pure.

/**
 * The indexes in `text` below `completions` (out-of-range or malformed parts are ignored, as
 * Kubernetes ignores them when it reads its own status back), ascending and unique.
 */
export function parseIndexes(text: string | undefined, completions: number): number[] {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= Math.min(hi, completions - 1); i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/** `[0,1,2,5,7,8]` → "0-2,5,7-8" (input in any order, duplicates allowed). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The first `count` indexes in [0, completions) that are neither completed nor taken, ascending. */
export function indexesToCreate(completions: number, completed: ReadonlySet<number>, taken: ReadonlySet<number>, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!completed.has(i) && !taken.has(i)) out.push(i);
  return out;
}

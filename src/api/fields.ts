// Field selectors (`?fieldSelector=`) as Kubernetes parses and matches them: comma-separated
// `field=value`, `field==value` or `field!=value` terms, ANDed. Values may escape `\`, `,` and
// `=` with a backslash. Which fields a kind supports is the registry's business, not this file's.
import { BadRequestError } from './errors.js';

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  /**
   * `get` returns the object's value for a field path, undefined when unsupported; as in
   * Kubernetes' field sets, a missing value compares as "".
   */
  matches(get: (field: string) => string | undefined): boolean;
  /** canonical string form, values escaped, e.g. "metadata.name=a\,b,spec.nodeName!=" */
  toString(): string;
}

/** Escapes `\`, `,` and `=` in a value so that it survives parseFieldSelector. */
export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Reverses escapeFieldValue. Throws BadRequestError on an unknown escape (`\x`), a trailing
 * backslash, or an unescaped `,` or `=` (reported, as Kubernetes does, by its code point).
 */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new BadRequestError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      throw new BadRequestError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new BadRequestError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator in the term splits it; `!=` and `==` win over `=` at the same position. */
function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

class TermsSelector implements FieldSelector {
  readonly empty: boolean;

  constructor(readonly requirements: readonly FieldRequirement[]) {
    this.empty = requirements.length === 0;
  }

  matches(get: (field: string) => string | undefined): boolean {
    return this.requirements.every((r) => ((get(r.field) ?? '') === r.value) === (r.operator === '='));
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/**
 * Parses `a=b`, `a==b`, `a!=b`, comma-separated. Whitespace is significant (as in
 * Kubernetes); empty terms are skipped; "" selects everything. Terms are kept in sorted
 * order of their source text. Throws BadRequestError, e.g.
 * `invalid selector: 'foo'; can't understand 'foo'`.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(s).sort()) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw new BadRequestError(`invalid selector: '${s}'; can't understand '${part}'`);
    reqs.push({ field: t.lhs, operator: t.op === '!=' ? '!=' : '=', value: unescapeFieldValue(t.rhs) });
  }
  return new TermsSelector(reqs);
}

/** A selector of `field=value` for each entry (Kubernetes' fields.SelectorFromSet / OneTermEqualSelector). */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new TermsSelector(
    Object.keys(set)
      .sort()
      .map((field) => ({ field, operator: '=' as const, value: set[field]! })),
  );
}

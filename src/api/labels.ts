// Label selectors as Kubernetes parses, prints and matches them: the string syntax of
// `?labelSelector=` / `kubectl -l`, and metav1.LabelSelector (matchLabels + matchExpressions).
// Selectors are immutable values; parse errors are BadRequestError with Kubernetes' wording.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { BadRequestError } from './errors.js';
import type { FieldError } from './field-errors.js';
import { formatFieldError, forbidden, invalid, required } from './field-errors.js';
import { isObject } from './object.js';
import { validateLabels } from './validation/metadata.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'GreaterThan' | 'LessThan';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

export interface Selector {
  readonly requirements: readonly LabelRequirement[];
  /** true when the selector selects everything */
  readonly empty: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** canonical string form, e.g. "app=web,tier in (a,b)"; "" for both everything and nothing */
  toString(): string;
}

/** The binary operators of the string syntax, in the order Kubernetes lists them in errors. */
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in int64 range. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function hasLabel(labels: Readonly<Record<string, string>>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

/** Whether one requirement holds for a label set (Kubernetes' Requirement.Matches). */
export function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const ls = labels ?? {};
  const has = hasLabel(ls, r.key);
  switch (r.operator) {
    case 'In':
    case 'Equals':
      return has && r.values.includes(ls[r.key]!);
    case 'NotIn':
    case 'NotEquals':
      return !has || !r.values.includes(ls[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'GreaterThan':
    case 'LessThan': {
      if (!has || r.values.length !== 1) return false;
      const have = parseInt64(ls[r.key]!);
      const want = parseInt64(r.values[0]!);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'GreaterThan' ? have > want : have < want;
    }
  }
}

/** One requirement in the string syntax: `!key`, `key`, `key=v`, `key!=v`, `key in (a,b)`, `key>3`. */
export function requirementToString(r: LabelRequirement): string {
  const values = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Equals':
      return `${r.key}=${values}`;
    case 'NotEquals':
      return `${r.key}!=${values}`;
    case 'In':
      return `${r.key} in (${values})`;
    case 'NotIn':
      return `${r.key} notin (${values})`;
    case 'GreaterThan':
      return `${r.key}>${values}`;
    case 'LessThan':
      return `${r.key}<${values}`;
  }
}

class RequirementsSelector implements Selector {
  readonly requirements: readonly LabelRequirement[];
  readonly empty: boolean;

  /** Requirements are sorted by key (stably), as Kubernetes does for a deterministic string form. */
  constructor(requirements: readonly LabelRequirement[]) {
    this.requirements = Object.freeze([...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
    this.empty = this.requirements.length === 0;
  }

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  toString(): string {
    return this.requirements.map(requirementToString).join(',');
  }
}

const NOTHING: Selector = Object.freeze({
  requirements: Object.freeze([]) as readonly LabelRequirement[],
  empty: false,
  matches: () => false,
  toString: () => '',
});

const EVERYTHING: Selector = new RequirementsSelector([]);

/** The selector that selects every object (`{}` in metav1 form, "" in string form). */
export function everything(): Selector {
  return EVERYTHING;
}

/** The selector that selects no object (a nil metav1.LabelSelector). */
export function nothing(): Selector {
  return NOTHING;
}

/** A selector of `key=value` for each label (SelectorFromSet). Not validated; an empty set selects everything. */
export function selectorFromSet(labels: Readonly<Record<string, string>> | undefined): Selector {
  return new RequirementsSelector(Object.entries(labels ?? {}).map(([key, value]) => ({ key, operator: 'Equals', values: [value] })));
}

/** A selector of the given requirements, checked as Kubernetes' NewRequirement does. Throws BadRequestError. */
export function selectorFromRequirements(requirements: readonly LabelRequirement[]): Selector {
  for (const r of requirements) {
    const errs = requirementErrors(r);
    if (errs.length) throw new BadRequestError(aggregate(errs));
  }
  return new RequirementsSelector(requirements.map((r) => ({ key: r.key, operator: r.operator, values: Object.freeze([...r.values]) })));
}

/**
 * The checks of Kubernetes' NewRequirement, with its field paths (`key`, `values`, `values[0][key]`).
 * The key is validated first: an invalid key reports only the key.
 */
function requirementErrors(r: LabelRequirement): string[] {
  const errs: FieldError[] = [];
  const keyErrs = isQualifiedName(r.key);
  if (keyErrs.length) errs.push(invalid('key', r.key, keyErrs.join('; ')));
  const vals = r.values;
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (vals.length === 0) errs.push(invalid('values', vals, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case 'Equals':
    case 'NotEquals':
      if (vals.length !== 1) errs.push(invalid('values', vals, 'exact-match compatibility requires one single value'));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (vals.length !== 0) errs.push(invalid('values', vals, 'values set must be empty for exists and does not exist'));
      break;
    case 'GreaterThan':
    case 'LessThan':
      if (vals.length !== 1) errs.push(invalid('values', vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  vals.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length) errs.push(invalid(`values[${i}][${r.key}]`, v, msgs.join('; ')));
  });
  return errs.map(formatFieldError);
}

/** Go's utilerrors aggregate: one message as is, several de-duplicated in brackets. */
function aggregate(msgs: readonly string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

// ---- string syntax --------------------------------------------------------------------------

type TokenKind = 'end' | 'identifier' | 'in' | 'notin' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',';

interface Token {
  readonly kind: TokenKind;
  readonly literal: string;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOLS = new Set<string>(['!', '!=', '=', '==', '>', '<', '(', ')', ',']);
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** Splits a selector into tokens as Kubernetes' lexer does; symbols are matched longest first. */
function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isWhitespace(s[i]!)) i++;
    if (i >= s.length) {
      out.push({ kind: 'end', literal: '' });
      return out;
    }
    if (SPECIAL.has(s[i]!)) {
      let sym = s[i]!;
      i++;
      while (i < s.length && SPECIAL.has(s[i]!) && SYMBOLS.has(sym + s[i]!)) sym += s[i++]!;
      out.push({ kind: sym as TokenKind, literal: sym });
      continue;
    }
    const start = i;
    while (i < s.length && !SPECIAL.has(s[i]!) && !isWhitespace(s[i]!)) i++;
    const word = s.slice(start, i);
    out.push({ kind: word === 'in' || word === 'notin' ? word : 'identifier', literal: word });
  }
}

class SelectorSyntaxError extends Error {}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  /** The next token; in a value position the keywords `in`/`notin` are plain identifiers. */
  private peek(values: boolean): Token {
    const t = this.tokens[this.pos]!;
    return values && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'identifier', literal: t.literal } : t;
  }

  private next(values: boolean): Token {
    const t = this.peek(values);
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.kind === 'end') return reqs;
      if (t.kind !== 'identifier' && t.kind !== '!') {
        throw new SelectorSyntaxError(`found '${t.literal}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorSyntaxError) throw new SelectorSyntaxError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const after = this.next(true);
      if (after.kind === 'end') return reqs;
      if (after.kind !== ',') throw new SelectorSyntaxError(`found '${after.literal}', expected: ',' or 'end of string'`);
      const following = this.peek(true);
      if (following.kind !== 'identifier' && following.kind !== '!') {
        throw new SelectorSyntaxError(`found '${following.literal}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next(true);
    let negated = false;
    if (t.kind === '!') {
      negated = true;
      t = this.next(true);
    }
    if (t.kind !== 'identifier') throw new SelectorSyntaxError(`found '${t.literal}', expected: identifier`);
    const key = t.literal;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new SelectorSyntaxError(formatFieldError(invalid('<nil>', key, keyErrs.join('; '))));
    const ahead = this.peek(true).kind;
    if (negated || ahead === 'end' || ahead === ',') {
      // `!key` takes no operator; anything after it is reported by the caller as a missing ','.
      return this.checked({ key, operator: negated ? 'DoesNotExist' : 'Exists', values: [] });
    }
    const op = this.next(false);
    let operator: SelectorOperator;
    switch (op.kind) {
      case 'in':
        operator = 'In';
        break;
      case 'notin':
        operator = 'NotIn';
        break;
      case '=':
      case '==':
        operator = 'Equals';
        break;
      case '!=':
        operator = 'NotEquals';
        break;
      case '>':
        operator = 'GreaterThan';
        break;
      case '<':
        operator = 'LessThan';
        break;
      default:
        if (op.literal === 'exists') {
          throw new SelectorSyntaxError(`found '${op.literal}', expected: ${BINARY_OPERATORS}. You may want to use 'key' or '!key' (without 'exists').`);
        }
        throw new SelectorSyntaxError(`found '${op.literal}', expected: ${BINARY_OPERATORS}`);
    }
    const values = operator === 'In' || operator === 'NotIn' ? this.valueSet() : this.exactValue();
    return this.checked({ key, operator, values: [...new Set(values)].sort() });
  }

  private checked(r: LabelRequirement): LabelRequirement {
    const errs = requirementErrors(r);
    if (errs.length) throw new SelectorSyntaxError(aggregate(errs));
    return r;
  }

  /** `(a,b,c)`; empty members (`(a,,b)`, `()`) are the empty string. */
  private valueSet(): string[] {
    const open = this.next(true);
    if (open.kind !== '(') throw new SelectorSyntaxError(`found '${open.literal}' expected: '('`);
    const first = this.peek(true);
    if (first.kind === ')') {
      this.next(true);
      return [''];
    }
    if (first.kind !== 'identifier' && first.kind !== ',') {
      throw new SelectorSyntaxError(`found '${first.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.identifierList();
    const close = this.next(true);
    if (close.kind !== ')') throw new SelectorSyntaxError(`found '${first.literal}', expected: ')'`);
    return values;
  }

  private identifierList(): string[] {
    const values: string[] = [];
    for (;;) {
      const t = this.next(true);
      if (t.kind === 'identifier') {
        values.push(t.literal);
        const ahead = this.peek(true);
        if (ahead.kind === ',') continue;
        if (ahead.kind === ')') return values;
        throw new SelectorSyntaxError(`found '${ahead.literal}', expected: ',' or ')'`);
      }
      if (t.kind === ',') {
        if (values.length === 0) values.push('');
        const ahead = this.peek(true);
        if (ahead.kind === ')') {
          values.push('');
          return values;
        }
        if (ahead.kind === ',') {
          this.next(true);
          values.push('');
        }
        continue;
      }
      throw new SelectorSyntaxError(`found '${t.literal}', expected: ',', or identifier`);
    }
  }

  /** The single value after `=`, `!=`, `>`, `<`; nothing before `,` or the end is the empty string. */
  private exactValue(): string[] {
    const ahead = this.peek(true);
    if (ahead.kind === 'end' || ahead.kind === ',') return [''];
    const t = this.next(true);
    if (t.kind === 'identifier') return [t.literal];
    throw new SelectorSyntaxError(`found '${t.literal}', expected: identifier`);
  }
}

/**
 * Parses the string syntax of `?labelSelector=`: comma-separated requirements `key`, `!key`,
 * `key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`, `key>1`, `key<1`.
 * "" selects everything. Keys and values are validated. Throws BadRequestError with
 * Kubernetes' message, e.g. `unable to parse requirement: found '', expected: identifier`.
 */
export function parseLabelSelector(s: string): Selector {
  try {
    return new RequirementsSelector(new Parser(lex(s)).parse());
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw new BadRequestError(e.message);
    throw e;
  }
}

const OPERATOR_FROM_OBJECT: Readonly<Record<string, SelectorOperator>> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
};

/**
 * metav1.LabelSelector as a Selector (LabelSelectorAsSelector): undefined/null selects nothing,
 * `{}` selects everything. Throws BadRequestError on an unknown operator or a requirement
 * Kubernetes would refuse (bad key or value, In without values, ...).
 */
export function labelSelectorFromObject(sel: LabelSelector | undefined | null): Selector {
  if (sel === undefined || sel === null) return NOTHING;
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, operator: 'Equals', values: [value] });
  for (const expr of sel.matchExpressions ?? []) {
    const operator = OPERATOR_FROM_OBJECT[expr.operator];
    if (!operator) throw new BadRequestError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push({ key: expr.key, operator, values: [...(expr.values ?? [])] });
  }
  if (reqs.length === 0) return EVERYTHING;
  return selectorFromRequirements(reqs);
}

/**
 * The string form of a metav1.LabelSelector, as scale subresources report it in
 * `status.selector` (e.g. "app=web,tier in (a,b)"); "" for `{}`. Throws as labelSelectorFromObject.
 */
export function labelSelectorAsString(sel: LabelSelector): string {
  return labelSelectorFromObject(sel).toString();
}

/** kubectl's FormatLabelSelector: the string form, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  try {
    const s = labelSelectorFromObject(sel).toString();
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

/**
 * Validation of a metav1.LabelSelector at `field` (ValidateLabelSelector): matchLabels as
 * labels, each matchExpressions[i] with a known operator, values present for In/NotIn and
 * absent for Exists/DoesNotExist, a qualified-name key and valid label values.
 * undefined/null is valid (it selects nothing).
 */
export function validateLabelSelector(sel: unknown, field: string): FieldError[] {
  if (sel === undefined || sel === null) return [];
  if (!isObject(sel)) return [{ type: 'FieldValueTypeInvalid', field, badValue: sel, detail: 'must be an object' }];
  const errs: FieldError[] = [];
  if (sel.matchLabels !== undefined && sel.matchLabels !== null) errs.push(...validateLabels(sel.matchLabels, `${field}.matchLabels`));
  const exprs = sel.matchExpressions;
  if (exprs === undefined || exprs === null) return errs;
  if (!Array.isArray(exprs)) {
    errs.push({ type: 'FieldValueTypeInvalid', field: `${field}.matchExpressions`, badValue: exprs, detail: 'must be an array' });
    return errs;
  }
  exprs.forEach((expr: unknown, i) => errs.push(...validateRequirement(expr, `${field}.matchExpressions[${i}]`)));
  return errs;
}

function validateRequirement(expr: unknown, path: string): FieldError[] {
  if (!isObject(expr)) return [{ type: 'FieldValueTypeInvalid', field: path, badValue: expr, detail: 'must be an object' }];
  const errs: FieldError[] = [];
  const values = expr.values ?? [];
  if (!Array.isArray(values)) {
    errs.push({ type: 'FieldValueTypeInvalid', field: `${path}.values`, badValue: values, detail: 'must be an array of strings' });
  }
  const list: unknown[] = Array.isArray(values) ? values : [];
  switch (expr.operator) {
    case 'In':
    case 'NotIn':
      if (list.length === 0) errs.push(required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (list.length > 0) errs.push(forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(invalid(`${path}.operator`, expr.operator ?? '', 'not a valid selector operator'));
  }
  if (typeof expr.key !== 'string') {
    errs.push(expr.key === undefined ? required(`${path}.key`) : { type: 'FieldValueTypeInvalid', field: `${path}.key`, badValue: expr.key, detail: 'must be a string' });
  } else {
    for (const msg of isQualifiedName(expr.key)) errs.push(invalid(`${path}.key`, expr.key, msg));
  }
  list.forEach((v, i) => {
    if (typeof v !== 'string') {
      errs.push({ type: 'FieldValueTypeInvalid', field: `${path}.values[${i}]`, badValue: v, detail: 'must be a string' });
      return;
    }
    for (const msg of isValidLabelValue(v)) errs.push(invalid(`${path}.values[${i}]`, v, msg));
  });
  return errs;
}

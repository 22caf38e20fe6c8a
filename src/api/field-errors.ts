// Field errors: what validation returns, one per offending field path, formatted exactly as
// Kubernetes' field.Error (`spec.replicas: Invalid value: -1: must be greater than or equal to 0`).

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound';

export interface FieldError {
  readonly type: FieldErrorType;
  /** dotted path with indices, e.g. `spec.template.spec.containers[0].image` */
  readonly field: string;
  readonly badValue?: unknown;
  readonly detail?: string;
  /** for NotSupported: the allowed values */
  readonly supported?: readonly string[];
}

const LABELS: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotFound: 'Not found',
};

/** A bad value shown verbatim, for values Kubernetes prints in Go syntax (e.g. `map[string]string{"app":"x"}`). */
export class GoValue {
  constructor(readonly text: string) {}
}

/** Go's %#v of a map[string]string: keys sorted. */
export function goStringMap(m: unknown): GoValue {
  const entries = typeof m === 'object' && m !== null ? Object.entries(m as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
  return new GoValue(`map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(String(v))}`).join(', ')}}`);
}

function showValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Formats one error as Kubernetes does. Value-carrying types show the bad value. */
export function formatFieldError(e: FieldError): string {
  const label = LABELS[e.type];
  const shows = e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueDuplicate' || e.type === 'FieldValueTypeInvalid' || e.type === 'FieldValueNotFound';
  let s = `${e.field}: ${label}`;
  if (shows) s += `: ${showValue(e.badValue)}`;
  if (e.type === 'FieldValueNotSupported' && e.supported?.length) {
    s += `: supported values: ${e.supported.map((x) => JSON.stringify(x)).join(', ')}`;
  } else if (e.detail) {
    s += `: ${e.detail}`;
  }
  return s;
}

export const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
export const invalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail });
export const notSupported = (field: string, badValue: unknown, supported: readonly string[]): FieldError => ({ type: 'FieldValueNotSupported', field, badValue, supported });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail });
export const duplicate = (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue });
export const tooLong = (field: string, badValue: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field, badValue, detail: `must have at most ${max} bytes` });

// API errors: values that carry a Kubernetes reason and HTTP code, and map 1:1 to a
// meta/v1 Status. Every layer that refuses a request throws one of these; the apiserver turns
// it into the Status body kubectl prints as `Error from server (REASON): MESSAGE`.
import type { FieldError } from './field-errors.js';
import { formatFieldError } from './field-errors.js';

export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

/** Names what an error is about: the resource (plural, as in `deployments.apps "web" not found`), its group and the kind. */
export interface Subject {
  readonly resource: string;
  readonly group: string;
  readonly kind?: string;
  readonly name?: string;
}

/** `deployments.apps` or `pods` — Kubernetes' qualified resource name used in messages. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** `Deployment.apps` or `Pod` — the qualified kind used in Invalid messages. */
export function qualifiedKind(kind: string, group: string): string {
  return group ? `${kind}.${group}` : kind;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = reason || 'ApiError';
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export class NotFoundError extends ApiError {
  constructor(s: Subject) {
    super(404, 'NotFound', `${qualifiedResource(s.resource, s.group)} "${s.name ?? ''}" not found`, {
      name: s.name,
      group: s.group || undefined,
      kind: s.resource,
    });
  }
}

export class AlreadyExistsError extends ApiError {
  constructor(s: Subject) {
    super(409, 'AlreadyExists', `${qualifiedResource(s.resource, s.group)} "${s.name ?? ''}" already exists`, {
      name: s.name,
      group: s.group || undefined,
      kind: s.resource,
    });
  }
}

export class ConflictError extends ApiError {
  constructor(s: Subject, why = 'the object has been modified; please apply your changes to the latest version and try again') {
    super(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(s.resource, s.group)} "${s.name ?? ''}": ${why}`, {
      name: s.name,
      group: s.group || undefined,
      kind: s.resource,
    });
  }
}

/** 422 Invalid. The message lists every field error as Kubernetes does. */
export class InvalidError extends ApiError {
  constructor(s: Subject & { kind: string }, readonly errors: readonly FieldError[]) {
    const list = errors.map(formatFieldError);
    const body = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    super(422, 'Invalid', `${qualifiedKind(s.kind, s.group)} "${s.name ?? ''}" is invalid: ${body}`, {
      name: s.name,
      group: s.group || undefined,
      kind: s.kind,
      causes: errors.map((e) => ({ reason: e.type, message: formatFieldError(e).slice(e.field.length + 2), field: e.field })),
    });
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string, details?: StatusDetails) {
    super(400, 'BadRequest', message, details);
  }
}

export class GoneError extends ApiError {
  constructor(message: string) {
    super(410, 'Expired', message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message: string, details?: StatusDetails) {
    super(403, 'Forbidden', message, details);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Unauthorized') {
    super(401, 'Unauthorized', message);
  }
}

export class MethodNotAllowedError extends ApiError {
  constructor(message: string) {
    super(405, 'MethodNotAllowed', message);
  }
}

export class NotAcceptableError extends ApiError {
  constructor(message: string) {
    super(406, 'NotAcceptable', message);
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  constructor(message: string) {
    super(415, 'UnsupportedMediaType', message);
  }
}

export class RequestEntityTooLargeError extends ApiError {
  constructor(message: string) {
    super(413, 'RequestEntityTooLarge', message);
  }
}

export class TooManyRequestsError extends ApiError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(429, 'TooManyRequests', message, { retryAfterSeconds });
  }
}

export class InternalError extends ApiError {
  constructor(message: string) {
    super(500, 'InternalError', `Internal error occurred: ${message}`);
  }
}

export class TimeoutError extends ApiError {
  constructor(message: string) {
    super(504, 'Timeout', message);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
export const isNotFound = (e: unknown): boolean => isApiError(e) && e.reason === 'NotFound';
export const isAlreadyExists = (e: unknown): boolean => isApiError(e) && e.reason === 'AlreadyExists';
export const isConflict = (e: unknown): boolean => isApiError(e) && e.reason === 'Conflict';
export const isInvalid = (e: unknown): boolean => isApiError(e) && e.reason === 'Invalid';
export const isGone = (e: unknown): boolean => isApiError(e) && (e.reason === 'Expired' || e.reason === 'Gone');

/** Rebuilds an ApiError from a Status received over the wire (used by HTTP clients). */
export function fromStatus(s: Partial<Status>): ApiError {
  return new ApiError(s.code ?? 500, s.reason ?? 'Unknown', s.message ?? 'unknown error', s.details);
}

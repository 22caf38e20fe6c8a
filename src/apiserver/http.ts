// Small HTTP helpers of the API server: bodies in, JSON and Status out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { PROTOBUF_CONTENT_TYPE, decodeKubernetesProtobuf, type ExpectedKind } from './protobuf/decode.js';
import { ApiError, BadRequestError, InternalError, RequestEntityTooLargeError, UnsupportedMediaTypeError } from '../api/errors.js';

/** Kubernetes' limit on request bodies. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the whole body; 413 when it exceeds the limit (the rest is drained, not buffered). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      if (!tooLarge) chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) reject(new RequestEntityTooLargeError(`Request entity too large: limit is ${limit}`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  if (header === 'application/json') return header; // the common case, without allocating
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Decodes a create/update body: JSON, YAML, or Kubernetes protobuf (which kubectl's typed
 * commands send; `expected` names the kind the endpoint serves). Must be an object.
 */
export function decodeObjectBody(raw: Buffer | string, contentType: string | undefined, expected?: ExpectedKind): Record<string, unknown> {
  const type = mediaType(contentType);
  if (type === PROTOBUF_CONTENT_TYPE && expected) {
    return decodeKubernetesProtobuf(typeof raw === 'string' ? Buffer.from(raw, 'binary') : raw, expected);
  }
  if (type && type !== 'application/json' && type !== 'application/yaml' && type !== 'text/yaml' && type !== '*/*') {
    throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  }
  const body = typeof raw === 'string' ? raw : raw.toString('utf8');
  let v: unknown;
  try {
    v = type === 'application/yaml' || type === 'text/yaml' ? parseYaml(body) : JSON.parse(body);
  } catch (e) {
    throw new BadRequestError(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new BadRequestError("couldn't get version/kind; json parse error: the request body must be a JSON object");
  }
  return v as Record<string, unknown>;
}

export function sendJSON(res: ServerResponse, code: number, body: string | object, headers?: Record<string, string>): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const length = Buffer.byteLength(text);
  if (headers) {
    res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': length, ...headers });
  } else {
    // a flat name/value list: Node writes it without walking an object's keys
    res.writeHead(code, ['Content-Type', 'application/json', 'Cache-Control', 'no-cache, private', 'Content-Length', String(length)]);
  }
  res.end(text);
}

/** Sends an error as a Status. Non-API errors become 500 InternalError (and are logged by the caller). */
export function sendError(res: ServerResponse, e: unknown): number {
  const err = e instanceof ApiError ? e : new InternalError(e instanceof Error ? e.message : String(e));
  if (res.headersSent) {
    res.destroy();
    return err.code;
  }
  const headers: Record<string, string> = {};
  if (err.details?.retryAfterSeconds) headers['Retry-After'] = String(err.details.retryAfterSeconds);
  sendJSON(res, err.code, err.toStatus(), headers);
  return err.code;
}

/** A success Status (as DELETE of a collection or some subresources answer). */
export function successStatus(details?: object): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}) };
}

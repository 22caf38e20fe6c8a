// A pre-serialized OpenAPI document with the content hash kubectl's cache keys on.
import { createHash } from 'node:crypto';

export interface ServedDocument {
  /** the document as a JSON value; shared between requests, never mutate it */
  readonly document: Readonly<Record<string, unknown>>;
  /** the JSON body to send (Content-Type: application/json) */
  readonly body: string;
  /** upper-case hex SHA-512 of `body`: the `?hash=` of the /openapi/v3 index and the ETag value */
  readonly hash: string;
  /** the ETag header value: the hash in double quotes */
  readonly etag: string;
}

export function serveDocument(document: Readonly<Record<string, unknown>>): ServedDocument {
  const body = JSON.stringify(document);
  const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
  return { document, body, hash, etag: `"${hash}"` };
}

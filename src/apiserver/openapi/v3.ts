// OpenAPI v3 documents, one per group-version (GET /openapi/v3/api/v1, /openapi/v3/apis/apps/v1),
// and their index (GET /openapi/v3). kubectl reads them for `explain`, for the strategic-merge
// metadata of client-side apply, and to learn from a kind's PATCH operation that the server
// validates fields itself (the `fieldValidation` parameter), after which it sends
// `fieldValidation=Strict` instead of validating on the client.
//
// Pure and memoized: the documents depend only on the static definitions and resources.
import { INT_OR_STRING, QUANTITY, definitions, refName, type Schema } from '../../api/openapi/definitions.js';
import { SHARED_PARAMETERS, servedOperations, type GroupVersionOperations, type Operation, type Parameter } from './operations.js';
import { serveDocument, type ServedDocument } from './served-document.js';

const SCHEMA_REF_PREFIX = '#/components/schemas/';
const PARAMETER_REF_PREFIX = '#/components/parameters/';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Index: `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, ...}}`. */
export function openapiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of servedOperations()) {
    const doc = documentFor(gv);
    paths[gv.gvPath] = { serverRelativeURL: `/openapi/v3/${gv.gvPath}?hash=${doc.hash}` };
  }
  return { paths };
}

/**
 * The document of one group-version, as a JSON value (shared; never mutate it). `gvPath` is
 * `api/v1` or `apis/GROUP/VERSION` (a leading `/`, an `/openapi/v3/` prefix and a query string
 * are tolerated); undefined for a group-version skiff does not serve.
 */
export function openapiV3Document(gvPath: string): Readonly<Record<string, unknown>> | undefined {
  return openapiV3Served(gvPath)?.document;
}

/** Like openapiV3Document, pre-serialized: the body to send, its hash (the index's `?hash=`) and ETag. */
export function openapiV3Served(gvPath: string): ServedDocument | undefined {
  const key = gvPath.split('?')[0]?.replace(/^\/+/, '').replace(/^openapi\/v3\//, '').replace(/\/+$/, '') ?? '';
  const gv = servedOperations().find((g) => g.gvPath === key);
  return gv ? documentFor(gv) : undefined;
}

const documents = new Map<string, ServedDocument>();

function documentFor(gv: GroupVersionOperations): ServedDocument {
  let doc = documents.get(gv.gvPath);
  if (!doc) {
    doc = serveDocument(buildDocument(gv));
    documents.set(gv.gvPath, doc);
  }
  return doc;
}

function buildDocument(gv: GroupVersionOperations): Record<string, Json> {
  const paths: Record<string, Json> = {};
  const roots = new Set<string>();
  const usedParams = new Set<string>();
  for (const item of gv.paths) {
    const pathItem: Record<string, Json> = {};
    for (const op of item.operations) {
      pathItem[op.method] = renderOperation(op, roots, usedParams);
    }
    pathItem['parameters'] = item.parameters.map((p) => renderParameter(p, usedParams));
    paths[item.path] = pathItem;
  }
  const schemas: Record<string, Json> = {};
  for (const name of [...closure(roots)].sort()) {
    const def = definitions[name];
    if (def) schemas[name] = toV3(def, name);
  }
  const parameters: Record<string, Json> = {};
  for (const p of SHARED_PARAMETERS) {
    if (usedParams.has(p.name)) parameters[p.name] = inlineParameter(p);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: {
      schemas,
      parameters,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
  };
}

function renderOperation(op: Operation, roots: Set<string>, usedParams: Set<string>): Json {
  const out: Record<string, Json> = {
    tags: [op.tag],
    description: op.description,
    operationId: op.operationId,
  };
  // Inline, never $ref: kubectl looks for `fieldValidation` by name among the PATCH operation's own parameters.
  if (op.parameters.length > 0) out['parameters'] = op.parameters.map((p) => renderParameter(p, usedParams));
  if (op.requestBody !== undefined) {
    roots.add(op.requestBody);
    const content: Record<string, Json> = {};
    for (const ct of op.consumes) content[ct] = { schema: { $ref: SCHEMA_REF_PREFIX + op.requestBody } };
    out['requestBody'] = { content, required: true };
  }
  const responses: Record<string, Json> = {};
  for (const r of op.responses) {
    if (r.body !== 'string') roots.add(r.body);
    const schema: Json = r.body === 'string' ? { type: 'string' } : { $ref: SCHEMA_REF_PREFIX + r.body };
    const content: Record<string, Json> = {};
    for (const ct of op.produces) if (ct !== '*/*') content[ct] = { schema };
    responses[r.code] = Object.keys(content).length > 0 ? { description: r.description, content } : { description: r.description };
  }
  responses['401'] = { description: 'Unauthorized' };
  out['responses'] = responses;
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  return out;
}

function renderParameter(p: Parameter, usedParams: Set<string>): Json {
  if (p.shared) {
    usedParams.add(p.name);
    return { $ref: PARAMETER_REF_PREFIX + p.name };
  }
  return inlineParameter(p);
}

function inlineParameter(p: Parameter): Record<string, Json> {
  const out: Record<string, Json> = { name: p.name, in: p.in, description: p.description };
  if (p.required) out['required'] = true;
  out['schema'] = { type: p.type, uniqueItems: true };
  return out;
}

/** Every definition reachable from `roots`. */
export function closure(roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.pop();
    if (name === undefined || seen.has(name)) continue;
    const def = definitions[name];
    if (!def) throw new Error(`openapi: unresolved definition ${name}`);
    seen.add(name);
    collectRefs(def, queue);
  }
  return seen;
}

function collectRefs(s: Schema, out: string[]): void {
  if (s.$ref !== undefined) out.push(refName(s.$ref));
  if (s.items) collectRefs(s.items, out);
  if (typeof s.additionalProperties === 'object') collectRefs(s.additionalProperties, out);
  for (const p of Object.values(s.properties ?? {})) collectRefs(p, out);
}

/**
 * A definition as OpenAPI 3.0 writes it: `$ref`s point into components.schemas, a `$ref` with
 * siblings (description, patch metadata) becomes `allOf: [{$ref}]` beside them, and IntOrString /
 * Quantity become `oneOf` their two JSON types (so `kubectl explain` names them as Kubernetes does).
 */
function toV3(s: Schema, name?: string): Json {
  if (name === INT_OR_STRING || name === QUANTITY) {
    const out: Record<string, Json> = {};
    if (s.description !== undefined) out['description'] = s.description;
    if (name === INT_OR_STRING) out['format'] = 'int-or-string';
    out['oneOf'] = name === INT_OR_STRING ? [{ type: 'integer' }, { type: 'string' }] : [{ type: 'string' }, { type: 'number' }];
    return out;
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    switch (k) {
      case '$ref':
        break;
      case 'items':
        out[k] = toV3(v as Schema);
        break;
      case 'additionalProperties':
        out[k] = typeof v === 'object' ? toV3(v as Schema) : (v as boolean);
        break;
      case 'properties': {
        const props: Record<string, Json> = {};
        for (const [pk, pv] of Object.entries(v as Record<string, Schema>)) props[pk] = toV3(pv);
        out[k] = props;
        break;
      }
      default:
        out[k] = v as Json;
    }
  }
  if (s.$ref !== undefined) {
    const ref = { $ref: SCHEMA_REF_PREFIX + refName(s.$ref) };
    if (Object.keys(out).length === 0) return ref;
    return { allOf: [ref], ...out };
  }
  return out;
}


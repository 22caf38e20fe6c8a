// The Swagger 2.0 document (GET /openapi/v2 with Accept: application/json): every definition and
// every served path in one document. kubectl 1.27+ prefers the per-group-version v3 documents and
// only asks for v2 (as protobuf) when v3 is missing or lacks a kind; JSON v2 is for other clients.
//
// Pure and memoized.
import { definitions } from '../../api/openapi/definitions.js';
import { SHARED_PARAMETERS, servedOperations, type Operation, type Parameter } from './operations.js';
import { serveDocument, type ServedDocument } from './served-document.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const DEFINITION_REF_PREFIX = '#/definitions/';
const PARAMETER_REF_PREFIX = '#/parameters/';

let cached: ServedDocument | undefined;

/** The Swagger 2.0 document as a JSON value (shared; never mutate it). */
export function openapiV2Document(): Readonly<Record<string, unknown>> {
  return openapiV2Served().document;
}

/** Like openapiV2Document, pre-serialized with its hash and ETag. */
export function openapiV2Served(): ServedDocument {
  cached ??= serveDocument(buildDocument());
  return cached;
}

function buildDocument(): Record<string, Json> {
  const paths: Record<string, Json> = {};
  for (const gv of servedOperations()) {
    for (const item of gv.paths) {
      const pathItem: Record<string, Json> = {};
      for (const op of item.operations) pathItem[op.method] = renderOperation(op);
      pathItem['parameters'] = item.parameters.map(renderParameter);
      paths[item.path] = pathItem;
    }
  }
  const parameters: Record<string, Json> = {};
  for (const p of SHARED_PARAMETERS) parameters[p.name] = inlineParameter(p);
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    definitions: JSON.parse(JSON.stringify(definitions)) as Json,
    parameters,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

function renderOperation(op: Operation): Json {
  const parameters: Json[] = op.parameters.map(renderParameter);
  if (op.requestBody !== undefined) {
    parameters.unshift({ name: 'body', in: 'body', required: true, schema: { $ref: DEFINITION_REF_PREFIX + op.requestBody } });
  }
  const responses: Record<string, Json> = {};
  for (const r of op.responses) {
    responses[r.code] = { description: r.description, schema: r.body === 'string' ? { type: 'string' } : { $ref: DEFINITION_REF_PREFIX + r.body } };
  }
  responses['401'] = { description: 'Unauthorized' };
  const out: Record<string, Json> = {
    description: op.description,
    consumes: [...op.consumes],
    produces: [...op.produces],
    schemes: ['https'],
    tags: [op.tag],
    operationId: op.operationId,
  };
  if (parameters.length > 0) out['parameters'] = parameters;
  out['responses'] = responses;
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  return out;
}

function renderParameter(p: Parameter): Json {
  return p.shared ? { $ref: PARAMETER_REF_PREFIX + p.name } : inlineParameter(p);
}

function inlineParameter(p: Parameter): Record<string, Json> {
  const out: Record<string, Json> = { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in };
  if (p.required) out['required'] = true;
  return out;
}

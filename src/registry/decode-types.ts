// JSON type checks against the OpenAPI schema, as Kubernetes' decode into Go structs makes them:
// a value whose JSON type the field's Go type cannot take (`command: [true]`, `replicas: "2"`,
// `labels: {a: 1}`) fails the whole request with 400 BadRequest, before any validation:
//
//   Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct
//   field Container.spec.containers.command of type string
//
// The field path is Go's: JSON names from the object's root, without list indices or map keys;
// the struct is the innermost one that holds the field; a list's or map's element that does not
// fit names the list or map field and the element's type. null fits every field (Go leaves the
// zero value). IntOrString and Quantity take strings and numbers; 'any' takes everything.
import { goJsonKind } from '../api/go-json-kind.js';
import { INT_OR_STRING } from '../api/openapi/definitions.js';
import type { SchemaNode } from '../api/openapi/schema-lookup.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** 2^63: int64 holds [-2^63, 2^63) */
const INT64_LIMIT = 2 ** 63;

/**
 * How `v` does not fit `node`: the JSON kind Go's error names (`bool`; `number 1.5` for a number
 * an integer field cannot hold), or undefined when it fits.
 */
export function typeMismatch(v: unknown, node: SchemaNode): string | undefined {
  if (v === null || v === undefined) return undefined;
  switch (node.type) {
    case 'object':
    case 'map':
      return typeof v === 'object' && !Array.isArray(v) ? undefined : goJsonKind(v);
    case 'array':
      return Array.isArray(v) ? undefined : goJsonKind(v);
    case 'string':
      if (typeof v === 'string') return undefined;
      if (node.intOrString && typeof v === 'number') {
        // an IntOrString's number is an int32; a Quantity's may be any number
        return node.definition !== INT_OR_STRING || (Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) ? undefined : `number ${v}`;
      }
      return goJsonKind(v);
    case 'integer':
      if (typeof v !== 'number') return goJsonKind(v);
      if (!Number.isInteger(v) || (node.format === 'int32' ? v < INT32_MIN || v > INT32_MAX : v < -INT64_LIMIT || v >= INT64_LIMIT)) return `number ${v}`;
      return undefined;
    case 'number':
      return typeof v === 'number' ? undefined : goJsonKind(v);
    case 'boolean':
      return typeof v === 'boolean' ? undefined : goJsonKind(v);
    default:
      return undefined;
  }
}

/** `io.k8s.api.core.v1.Container` → `Container`. */
export function structName(definition: string): string {
  return definition.slice(definition.lastIndexOf('.') + 1);
}

/** The Go type of a schema node as Go prints it: `string`, `int32`, `[]v1.Container`, `map[string]string`, `v1.PodSpec`. */
export function goType(node: SchemaNode): string {
  if (node.definition) {
    const parts = node.definition.split('.');
    return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : node.definition;
  }
  switch (node.type) {
    case 'array':
      return `[]${node.items ? goType(node.items) : 'interface {}'}`;
    case 'map':
      return `map[string]${node.items ? goType(node.items) : 'interface {}'}`;
    case 'integer':
      return node.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    default:
      return 'interface {}';
  }
}

/** Go's message for a value of kind `kind` in field `path` (Go path) of struct `struct` whose type is `node`'s. */
export function unmarshalMessage(kind: string, struct: string, path: string, node: SchemaNode): string {
  return `json: cannot unmarshal ${kind} into Go struct field ${struct}.${path} of type ${goType(node)}`;
}

/** The whole BadRequest message Kubernetes answers: `Pod in version "v1" cannot be handled as a Pod: <decode error>`. */
export function cannotBeHandledMessage(kind: string, version: string, decodeError: string): string {
  return `${kind} in version "${version}" cannot be handled as a ${kind}: ${decodeError}`;
}

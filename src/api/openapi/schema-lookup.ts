// The view of the OpenAPI schema that structural algorithms need (strategic merge patch,
// server-side apply, strict field validation, pruning). Implemented over the generated
// definitions in definitions.ts; algorithms take it as a parameter so they can be tested with a
// small hand-made schema.

/** What is known about one node of an object tree. */
export interface SchemaNode {
  /** 'object' (with properties), 'array', 'map' (additionalProperties), 'string', 'integer', 'number', 'boolean', or 'any' (free-form / unknown) */
  readonly type: 'object' | 'array' | 'map' | 'string' | 'integer' | 'number' | 'boolean' | 'any';
  /** IntOrString and Quantity accept both strings and numbers */
  readonly intOrString?: boolean;
  /** for objects: the child schema of a property, or undefined if the property is unknown */
  property?(name: string): SchemaNode | undefined;
  /** for objects: every property name */
  propertyNames?(): readonly string[];
  /** for objects: required property names */
  readonly required?: readonly string[];
  /** for arrays: the items' schema; for maps: the values' schema */
  readonly items?: SchemaNode;
  /** strategic-merge-patch: x-kubernetes-patch-merge-key of this list */
  readonly patchMergeKey?: string;
  /** strategic-merge-patch: x-kubernetes-patch-strategy of this list/map, e.g. 'merge', 'replace', 'retainKeys', 'merge,retainKeys' */
  readonly patchStrategy?: string;
  /** server-side apply: x-kubernetes-list-type ('atomic' | 'set' | 'map') */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** server-side apply: x-kubernetes-list-map-keys */
  readonly listMapKeys?: readonly string[];
  /** x-kubernetes-map-type ('atomic' | 'granular') */
  readonly mapType?: 'atomic' | 'granular';
  readonly description?: string;
  /** the Kubernetes definition this node is, e.g. `io.k8s.api.core.v1.Container` (names its Go type in decode errors) */
  readonly definition?: string;
  /** OpenAPI format, e.g. `int32`, `int64`, `date-time` */
  readonly format?: string;
}

export interface SchemaLookup {
  /** The root schema of a kind, e.g. ('apps', 'v1', 'Deployment'); undefined if unknown. */
  forKind(group: string, version: string, kind: string): SchemaNode | undefined;
}

#!/usr/bin/env node
// Generates src/api/openapi/definitions.json: the OpenAPI (Swagger 2.0 style) definitions of
// the kinds skiff serves, keyed by Kubernetes' definition names
// (io.k8s.api.apps.v1.DeploymentSpec, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...).
//
// Source: the models of the installed @kubernetes/client-node (generated from Kubernetes'
// OpenAPI): each model's `attributeTypeMap` (field types and formats) and its .d.ts (field
// descriptions, required fields). What those models lose is restored here: the Go package of
// each type (the models are named V1Foo), Quantity fields (the models type them as string),
// RawExtension / FieldsV1, and the descriptions of fields whose type is another model (taken
// from the installed kubernetes-types package when it has them). Strategic-merge and list-type
// metadata is not in the models either; src/api/openapi/patch-meta.ts carries it and
// definitions.ts merges it at load time.
//
// Run by hand when upgrading @kubernetes/client-node: `npm run gen:openapi`; `--check` only
// compares. Only Node built-ins.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = join(ROOT, 'node_modules/@kubernetes/client-node/dist/gen/models');
const KUBERNETES_TYPES = join(ROOT, 'node_modules/kubernetes-types');
const OUT = join(ROOT, 'src/api/openapi/definitions.json');

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const FIELDS_V1 = `${META}.FieldsV1`;
const PATCH = `${META}.Patch`;
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

/** group/versions skiff serves, for the GVKs of DeleteOptions and WatchEvent */
const SERVED_GROUP_VERSIONS = [
  ['', 'v1'],
  ['apps', 'v1'],
  ['batch', 'v1'],
  ['discovery.k8s.io', 'v1'],
  ['coordination.k8s.io', 'v1'],
  ['events.k8s.io', 'v1'],
  ['autoscaling', 'v1'],
  ['policy', 'v1'],
  ['scheduling.k8s.io', 'v1'],
  ['authorization.k8s.io', 'v1'],
  ['authentication.k8s.io', 'v1'],
];

/**
 * Packages in the order their roots are walked. A model belongs to the first package whose roots
 * reach it (so PodTemplateSpec, reached from core's Pod-related roots before apps', is core).
 * `kinds` are served kinds: the kind and its List get x-kubernetes-group-version-kind.
 * `roots` are further top-level types with their GVKs.
 */
const PACKAGES = [
  {
    pkg: META,
    ktFile: 'meta/v1',
    group: '',
    version: 'v1',
    kinds: [],
    roots: [
      ['V1Status', [['', 'v1', 'Status']]],
      ['V1DeleteOptions', SERVED_GROUP_VERSIONS.map(([g, v]) => [g, v, 'DeleteOptions'])],
      ['V1WatchEvent', SERVED_GROUP_VERSIONS.map(([g, v]) => [g, v, 'WatchEvent'])],
      ['V1APIResourceList', [['', 'v1', 'APIResourceList']]],
      ['V1APIGroupList', [['', 'v1', 'APIGroupList']]],
      ['V1APIGroup', [['', 'v1', 'APIGroup']]],
      ['V1APIVersions', [['', 'v1', 'APIVersions']]],
      ['V1ObjectMeta', []],
      ['V1ListMeta', []],
      ['V1LabelSelector', []],
      ['V1Condition', []],
    ],
  },
  {
    pkg: 'io.k8s.api.core.v1',
    ktFile: 'core/v1',
    group: '',
    version: 'v1',
    kinds: ['V1Namespace', 'V1Pod', 'V1Service', 'V1Endpoints', 'V1Node', 'V1ConfigMap', 'V1Secret', 'V1ServiceAccount', 'CoreV1Event'],
    roots: [
      ['V1Binding', [['', 'v1', 'Binding']]],
      ['V1PodTemplateSpec', []],
    ],
  },
  { pkg: 'io.k8s.api.apps.v1', ktFile: 'apps/v1', group: 'apps', version: 'v1', kinds: ['V1Deployment', 'V1ReplicaSet'], roots: [] },
  { pkg: 'io.k8s.api.batch.v1', ktFile: 'batch/v1', group: 'batch', version: 'v1', kinds: ['V1Job', 'V1CronJob'], roots: [] },
  { pkg: 'io.k8s.api.discovery.v1', ktFile: 'discovery/v1', group: 'discovery.k8s.io', version: 'v1', kinds: ['V1EndpointSlice'], roots: [] },
  { pkg: 'io.k8s.api.coordination.v1', ktFile: 'coordination/v1', group: 'coordination.k8s.io', version: 'v1', kinds: ['V1Lease'], roots: [] },
  { pkg: 'io.k8s.api.events.v1', ktFile: 'events/v1', group: 'events.k8s.io', version: 'v1', kinds: ['EventsV1Event'], roots: [] },
  { pkg: 'io.k8s.api.autoscaling.v1', ktFile: 'autoscaling/v1', group: 'autoscaling', version: 'v1', kinds: [], roots: [['V1Scale', [['autoscaling', 'v1', 'Scale']]]] },
  { pkg: 'io.k8s.api.policy.v1', ktFile: 'policy/v1', group: 'policy', version: 'v1', kinds: ['V1PodDisruptionBudget'], roots: [['V1Eviction', [['policy', 'v1', 'Eviction']]]] },
  { pkg: 'io.k8s.api.scheduling.v1', ktFile: 'scheduling/v1', group: 'scheduling.k8s.io', version: 'v1', kinds: ['V1PriorityClass'], roots: [] },
  {
    pkg: 'io.k8s.api.authorization.v1',
    ktFile: 'authorization/v1',
    group: 'authorization.k8s.io',
    version: 'v1',
    kinds: [],
    roots: [
      ['V1SelfSubjectAccessReview', [['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview']]],
      ['V1SelfSubjectRulesReview', [['authorization.k8s.io', 'v1', 'SelfSubjectRulesReview']]],
    ],
  },
  { pkg: 'io.k8s.api.authentication.v1', ktFile: 'authentication/v1', group: 'authentication.k8s.io', version: 'v1', kinds: [], roots: [['V1SelfSubjectReview', [['authentication.k8s.io', 'v1', 'SelfSubjectReview']]]] },
];

/** Fields the models type as string (or a map of strings) that are resource.Quantity in Kubernetes. */
const QUANTITY_FIELDS = {
  V1ResourceRequirements: ['limits', 'requests'],
  V1VolumeResourceRequirements: ['limits', 'requests'],
  V1NodeStatus: ['allocatable', 'capacity'],
  V1PodSpec: ['overhead'],
  V1ContainerStatus: ['allocatedResources'],
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1ResourceFieldSelector: ['divisor'],
  V1PersistentVolumeClaimStatus: ['allocatedResources', 'capacity'],
};

/** Fields the models type as `any`, with the definition Kubernetes gives them. */
const ANY_FIELDS = {
  'V1ManagedFieldsEntry.fieldsV1': FIELDS_V1,
  'V1WatchEvent.object': RAW_EXTENSION,
};

/** Definitions the models have no class for. Descriptions are skiff's own summaries. */
const SYNTHETIC = {
  [TIME]: {
    description: 'Time is a timestamp serialized as an RFC 3339 string in UTC with second precision, e.g. `2024-05-01T12:00:00Z`.',
    type: 'string',
    format: 'date-time',
  },
  [MICRO_TIME]: {
    description: 'MicroTime is a timestamp with microsecond precision, serialized as an RFC 3339 string, e.g. `2024-05-01T12:00:00.000000Z`.',
    type: 'string',
    format: 'date-time',
  },
  [INT_OR_STRING]: {
    description: 'IntOrString holds either an int32 or a string: a port number (`8080`) or a port name (`http`), a count (`1`) or a percentage (`25%`).',
    type: 'string',
    format: 'int-or-string',
  },
  [QUANTITY]: {
    description:
      'Quantity is a fixed-point number serialized as a string: a signed decimal number (`1`, `0.5`, `-2`) followed by an optional suffix, ' +
      'either binary SI (Ki, Mi, Gi, Ti, Pi, Ei: powers of 1024), decimal SI (m, k, M, G, T, P, E: powers of 1000) or a decimal exponent (`1e3`, `5E-2`). ' +
      'Examples: `100m` (0.1), `128Mi`, `2`, `1.5G`. A quantity has at most 3 decimal places and a magnitude below 2^63; clients may also send a plain JSON number.',
    type: 'string',
  },
  [FIELDS_V1]: {
    description:
      'FieldsV1 is the set of fields a manager owns, as a JSON trie. Each key is `.` (the field itself) or names a child: `f:<name>` a struct field or map key, ' +
      '`v:<value>` a list item by its JSON value, `i:<index>` a list item by position, `k:<keys>` a list item by its key fields. The format is defined by sigs.k8s.io/structured-merge-diff.',
    type: 'object',
  },
  [RAW_EXTENSION]: {
    description: 'RawExtension holds an arbitrary embedded object, kept as raw JSON.',
    type: 'object',
  },
  [PATCH]: {
    description: 'Patch is the body of a PATCH request; its format is given by the request\'s Content-Type (JSON patch, merge patch, strategic merge patch or apply configuration).',
    type: 'object',
  },
};

// ---- reading the models ------------------------------------------------------------------------

function readModel(name) {
  const js = readFileSync(join(MODELS, `${name}.js`), 'utf8');
  const m = js.match(/\.attributeTypeMap = (\[[\s\S]*?\]);/);
  if (!m) throw new Error(`${name}.js: no attributeTypeMap`);
  const attrs = JSON.parse(m[1]);
  const dts = readFileSync(join(MODELS, `${name}.d.ts`), 'utf8');
  const { description, fields } = parseDts(dts, name);
  return { name, attrs, description, fields };
}

/** Descriptions and optionality from a model's .d.ts: JSDoc blocks `/** ... *\/` before `'name'?: type`. */
function parseDts(text, name) {
  const unescape = (s) => s.replace(/\\(["'\\])/g, '$1');
  const doc = (block) =>
    unescape(
      block
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, ''))
        .join('\n')
        .trim(),
    );
  const classDoc = text.match(/\/\*\*\n((?:\* .*\n)+)\*\/\nexport declare class/);
  const fields = new Map();
  const body = text.slice(text.indexOf(`export declare class ${name}`));
  const re = /(?:\/\*\*\n((?:\s*\*.*\n)*?)\s*\*\/\n)?\s{4}'([^']+)'(\?)?:/g;
  for (const m of body.matchAll(re)) {
    fields.set(m[2], { description: m[1] ? doc(m[1]) : undefined, optional: m[3] === '?' });
  }
  return { description: classDoc ? doc(classDoc[1]) : undefined, fields };
}

/** Field descriptions from kubernetes-types (`/** desc *\/ field?: T;` inside `export interface Name {`). */
function readKubernetesTypes(ktFile) {
  const file = join(KUBERNETES_TYPES, `${ktFile}.d.ts`);
  const out = new Map();
  if (!existsSync(file)) return out;
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/export interface (\w+) \{\n([\s\S]*?)\n\}/g)) {
    const fields = new Map();
    for (const f of m[2].matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n\s*(?:readonly )?([\w$]+)\??:/g)) {
      const d = f[1]
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, ''))
        .join('\n')
        .trim();
      fields.set(f[2], d);
    }
    out.set(m[1], fields);
  }
  return out;
}

// ---- naming ------------------------------------------------------------------------------------

/** V1Pod → Pod, CoreV1Event → Event, DiscoveryV1EndpointPort → EndpointPort */
function shortName(model) {
  const m = model.match(/^(?:[A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])(.*)$/);
  if (!m) throw new Error(`cannot name model ${model}`);
  return m[1];
}

/** Model names a type string refers to: `Array<V1Container>`, `{ [key: string]: V1Foo; }`, `V1Foo`. */
function referencedModels(type) {
  return [...type.matchAll(/\b([A-Z][A-Za-z0-9]*V\d+[A-Za-z0-9]*|V\d+[A-Za-z0-9]+)\b/g)].map((m) => m[1]).filter((n) => n !== 'V1MicroTime');
}

// ---- walking -----------------------------------------------------------------------------------

const models = new Map(); // model name → parsed model
const owner = new Map(); // model name → package entry
function model(name) {
  let m = models.get(name);
  if (!m) models.set(name, (m = readModel(name)));
  return m;
}

for (const p of PACKAGES) {
  const start = [...p.kinds, ...p.kinds.map((k) => `${k}List`), ...p.roots.map(([n]) => n)];
  const queue = [...start];
  while (queue.length > 0) {
    const name = queue.shift();
    if (owner.has(name)) continue;
    owner.set(name, p);
    for (const a of model(name).attrs) queue.push(...referencedModels(a.type));
  }
}

const defName = (modelName) => `${owner.get(modelName).pkg}.${shortName(modelName)}`;
const ref = (name) => ({ $ref: `#/definitions/${name}` });

/** A field's schema from its attributeTypeMap type string. */
function schemaOf(type, format, quantity) {
  const arr = type.match(/^Array<(.*)>$/);
  if (arr) return { type: 'array', items: schemaOf(arr[1], format, quantity) };
  const map = type.match(/^\{ \[key: string\]: (.*); \}$/);
  if (map) return { type: 'object', additionalProperties: schemaOf(map[1], format, quantity) };
  switch (type) {
    case 'string':
      if (quantity) return ref(QUANTITY);
      return format ? { type: 'string', format } : { type: 'string' };
    case 'number':
      if (format === 'int32' || format === 'int64') return { type: 'integer', format };
      return format ? { type: 'number', format } : { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return ref(format === 'date-time-micro' ? MICRO_TIME : TIME);
    case 'V1MicroTime':
      return ref(MICRO_TIME);
    case 'IntOrString':
      return ref(INT_OR_STRING);
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default:
      if (!owner.has(type)) throw new Error(`unresolved model type ${type}`);
      return ref(defName(type));
  }
}

const ktDescriptions = new Map(PACKAGES.map((p) => [p.pkg, readKubernetesTypes(p.ktFile)]));

const definitions = { ...SYNTHETIC };
for (const [name, p] of owner) {
  const m = model(name);
  const short = shortName(name);
  const kt = ktDescriptions.get(p.pkg)?.get(short);
  const properties = {};
  const required = [];
  for (const a of m.attrs) {
    const field = m.fields.get(a.name);
    const anyRef = ANY_FIELDS[`${name}.${a.baseName}`];
    const s = anyRef ? ref(anyRef) : schemaOf(a.type, a.format, QUANTITY_FIELDS[name]?.includes(a.baseName) ?? false);
    const description = field?.description ?? kt?.get(a.baseName);
    properties[a.baseName] = description ? { description, ...s } : s;
    if (field && !field.optional) required.push(a.baseName);
  }
  const def = { description: m.description, type: 'object', properties };
  if (required.length > 0) def.required = required;
  const gvks = [];
  if (p.kinds.includes(name)) gvks.push([p.group, p.version, short]);
  if (name.endsWith('List') && p.kinds.includes(name.slice(0, -4))) gvks.push([p.group, p.version, short]);
  for (const [root, rootGvks] of p.roots) if (root === name) gvks.push(...rootGvks);
  if (gvks.length > 0) def['x-kubernetes-group-version-kind'] = gvks.map(([group, version, kind]) => ({ group, kind, version }));
  if (!def.description) delete def.description;
  const key = defName(name);
  if (definitions[key]) throw new Error(`two models map to ${key}`);
  definitions[key] = def;
}

const version = JSON.parse(readFileSync(join(ROOT, 'node_modules/@kubernetes/client-node/package.json'), 'utf8')).version;
const specVersion = readFileSync(join(MODELS, 'V1Pod.js'), 'utf8').match(/OpenAPI spec version: (\S+)/)?.[1] ?? 'unknown';
const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
const doc = {
  'x-generated-by': `scripts/gen-openapi.mjs from @kubernetes/client-node ${version} (Kubernetes OpenAPI ${specVersion})`,
  definitions: sorted,
};
// One definition per line keeps the file small and its diffs readable.
const lines = Object.entries(sorted).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
const text = `{\n  "x-generated-by": ${JSON.stringify(doc['x-generated-by'])},\n  "definitions": {\n${lines.join(',\n')}\n  }\n}\n`;
if (process.argv.includes('--check')) {
  // Exit 1 when the committed file differs from what the installed packages generate.
  const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  if (current !== text) {
    console.error(`${OUT} is out of date: run npm run gen:openapi`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}: ${lines.length} definitions, ${text.length} bytes`);
}

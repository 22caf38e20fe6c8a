// The REST operations skiff serves, per group-version, in a form both OpenAPI renderings
// (v2.ts: Swagger 2.0, v3.ts: OpenAPI 3.0) share. Built from api/resources.ts: every resource's
// collection and item paths, the all-namespaces list, the legacy watch paths and the
// subresources, each operation named and tagged the way Kubernetes' documents name them
// (readCoreV1NamespacedPod, x-kubernetes-action "get", x-kubernetes-group-version-kind ...).
// Pure.
import { definitionName, type GroupVersionKind } from '../../api/openapi/definitions.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type Action = 'get' | 'list' | 'put' | 'patch' | 'post' | 'delete' | 'deletecollection' | 'watch' | 'watchlist' | 'connect';

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly description: string;
  readonly type: 'string' | 'boolean' | 'integer';
  readonly required?: boolean;
  /** shared by many operations: rendered once (components.parameters / parameters) and referenced */
  readonly shared?: boolean;
}

export interface Response {
  readonly code: '200' | '201' | '202';
  readonly description: string;
  /** definition name of the body, or 'string' for plain-text / streamed bodies */
  readonly body: string;
}

export interface Operation {
  readonly method: HttpMethod;
  readonly operationId: string;
  readonly description: string;
  readonly action: Action;
  readonly gvk: GroupVersionKind;
  readonly parameters: readonly Parameter[];
  /** definition name of the request body */
  readonly requestBody?: string;
  readonly consumes: readonly string[];
  readonly produces: readonly string[];
  readonly responses: readonly Response[];
  readonly tag: string;
}

export interface PathItem {
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly operations: readonly Operation[];
}

export interface GroupVersionOperations {
  /** `api/v1`, `apis/apps/v1`: the key of the /openapi/v3 index */
  readonly gvPath: string;
  readonly group: string;
  readonly version: string;
  readonly paths: readonly PathItem[];
}

// ---- parameters -------------------------------------------------------------------------------

function q(name: string, type: Parameter['type'], description: string, shared = false): Parameter {
  return shared ? { name, in: 'query', type, description, shared } : { name, in: 'query', type, description };
}

const PRETTY = q('pretty', 'string', "If 'true', the output is pretty printed.", true);
const NAMESPACE: Parameter = { name: 'namespace', in: 'path', type: 'string', required: true, shared: true, description: 'object name and auth scope, such as for teams and projects' };
const nameParam = (kind: string): Parameter => ({ name: 'name', in: 'path', type: 'string', required: true, description: `name of the ${kind}` });

const DRY_RUN = q('dryRun', 'string', 'When present, the request is validated and processed but nothing is persisted. The only valid value is All (every dry-run stage).');
const FIELD_MANAGER = q('fieldManager', 'string', 'fieldManager names the actor making the change; it is recorded in metadata.managedFields. At most 128 printable characters.');
const FIELD_MANAGER_PATCH = q(
  'fieldManager',
  'string',
  'fieldManager names the actor making the change; it is recorded in metadata.managedFields. At most 128 printable characters. Required for apply patches (application/apply-patch+yaml), optional for the other patch types.',
);
/** kubectl sends fieldValidation=Strict (and leaves validation to the server) when a kind's PATCH operation lists this. */
const FIELD_VALIDATION = q(
  'fieldValidation',
  'string',
  'fieldValidation says what the server does with unknown or duplicate fields in the request body. Ignore: unknown fields are dropped and the last of duplicate fields wins, silently. Warn (the default): the same, with one Warning response header per unknown or duplicate field. Strict: the request fails with 400 BadRequest listing every unknown and duplicate field.',
);
const FORCE = q('force', 'boolean', 'force makes an apply patch take ownership of fields other managers own instead of failing with a conflict. Must be unset for the other patch types.');

const LIST_PARAMS: readonly Parameter[] = [
  q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks asks a watch to send BOOKMARK events carrying the latest resourceVersion. Ignored by plain lists.', true),
  q('continue', 'string', 'continue is the token from the metadata.continue of a previous, otherwise identical, limited list; it fetches the next chunk. An expired token is answered with 410 Gone.', true),
  q('fieldSelector', 'string', 'fieldSelector restricts the returned objects by their fields, e.g. metadata.name=web. Defaults to everything.', true),
  q('labelSelector', 'string', 'labelSelector restricts the returned objects by their labels, e.g. app=web,tier!=db. Defaults to everything.', true),
  q('limit', 'integer', 'limit is the maximum number of items to return; when more exist, metadata.continue is set to fetch the rest.', true),
  q('resourceVersion', 'string', 'resourceVersion constrains which resource versions the request may be served from (see the Kubernetes API concepts on resource versions). Defaults to unset: the most recent.', true),
  q('resourceVersionMatch', 'string', 'resourceVersionMatch says how resourceVersion applies to a list: Exact or NotOlderThan. Defaults to unset.', true),
  q('sendInitialEvents', 'boolean', 'With watch=true, sendInitialEvents=true starts the watch with synthetic ADDED events for the current state, followed by a BOOKMARK.', true),
  q('timeoutSeconds', 'integer', 'timeoutSeconds limits the duration of the list or watch call.', true),
  q('watch', 'boolean', 'watch streams the changes to the described objects (ADDED, MODIFIED, DELETED events) instead of returning a list. Pair it with resourceVersion.', true),
];

const DELETE_PARAMS: readonly Parameter[] = [
  q('gracePeriodSeconds', 'integer', 'gracePeriodSeconds is the time in seconds before the object is deleted; 0 deletes at once. Unset means the default of the kind.', true),
  q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy. true orphans the dependents (adds the "orphan" finalizer), false deletes them. Set this or propagationPolicy, not both.', true),
  q('propagationPolicy', 'string', 'propagationPolicy says how dependents are garbage collected: Orphan (left in place), Background (deleted after the owner) or Foreground (deleted before the owner). Set this or orphanDependents, not both.', true),
  DRY_RUN,
];

const WRITE_PARAMS: readonly Parameter[] = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const PATCH_PARAMS: readonly Parameter[] = [DRY_RUN, FIELD_MANAGER_PATCH, FIELD_VALIDATION, FORCE];

const LOG_PARAMS: readonly Parameter[] = [
  q('container', 'string', 'container whose log to return; defaults to the only container of the pod.'),
  q('follow', 'boolean', 'follow keeps the response open and streams new log lines. Defaults to false.'),
  q('insecureSkipTLSVerifyBackend', 'boolean', 'insecureSkipTLSVerifyBackend skips verifying the serving certificate of the kubelet the log is read from.'),
  q('limitBytes', 'integer', 'limitBytes stops the output after about this many bytes.'),
  q('previous', 'boolean', 'previous returns the log of the previous, terminated instance of the container. Defaults to false.'),
  q('sinceSeconds', 'integer', 'sinceSeconds returns only the log lines written in the last this many seconds.'),
  q('stream', 'string', 'stream selects the output stream: All (default, stdout and stderr interleaved), Stdout or Stderr.'),
  q('tailLines', 'integer', 'tailLines returns only the last this many lines.'),
  q('timestamps', 'boolean', 'timestamps prefixes every line with its RFC 3339 timestamp. Defaults to false.'),
];

const STREAM_PARAMS = (withCommand: boolean): Parameter[] => [
  ...(withCommand ? [q('command', 'string', 'command to run, one argv element per parameter; not run in a shell.')] : []),
  q('container', 'string', 'container to connect to; defaults to the only container of the pod.'),
  q('stderr', 'boolean', 'stderr streams the standard error of the process.'),
  q('stdin', 'boolean', 'stdin streams the standard input of the process. Defaults to false.'),
  q('stdout', 'boolean', 'stdout streams the standard output of the process.'),
  q('tty', 'boolean', 'tty allocates a terminal. Defaults to false.'),
];
const PORTFORWARD_PARAMS: readonly Parameter[] = [q('ports', 'integer', 'ports to forward; required with WebSockets.')];

/** Every shared parameter, for components.parameters / parameters. */
export const SHARED_PARAMETERS: readonly Parameter[] = [PRETTY, NAMESPACE, ...LIST_PARAMS, ...DELETE_PARAMS.filter((p) => p.shared)];

// ---- content types --------------------------------------------------------------------------

const JSON_TYPES = ['application/json', 'application/yaml'];
const WATCH_TYPES = ['application/json', 'application/yaml', 'application/json;stream=watch'];
export const PATCH_CONTENT_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const TEXT_TYPES = ['text/plain', 'application/json', 'application/yaml'];
const ANY_TYPES = ['*/*'];

// ---- naming -------------------------------------------------------------------------------------

const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const WATCH_EVENT = 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent';
const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

/** '' → Core, 'apps' → Apps, 'discovery.k8s.io' → Discovery */
function groupPrefix(group: string, version: string): string {
  const g = group === '' ? 'core' : group.split('.')[0] ?? group;
  return `${g.charAt(0).toUpperCase()}${g.slice(1)}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
}

/** The `api/v1` or `apis/GROUP/VERSION` key of a group-version. */
export function gvPathOf(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function tagOf(group: string, version: string): string {
  const g = group === '' ? 'core' : (group.split('.')[0] ?? group);
  return `${g}_${version}`;
}

function def(group: string, version: string, kind: string): string {
  const name = definitionName(group, version, kind);
  if (name === undefined) throw new Error(`openapi: no definition for ${group}/${version} ${kind}`);
  return name;
}

const ok = (body: string): Response => ({ code: '200', description: 'OK', body });
const created = (body: string): Response => ({ code: '201', description: 'Created', body });
const accepted = (body: string): Response => ({ code: '202', description: 'Accepted', body });

/** How a subresource is served: the kind of its body and its verbs ('connect': log, exec, attach, portforward). */
interface SubresourceShape {
  readonly kind: (r: ResourceInfo) => GroupVersionKind;
  readonly verbs: readonly ('get' | 'put' | 'patch' | 'post' | 'connect')[];
  readonly params?: readonly Parameter[];
}

const SUBRESOURCES: Readonly<Record<string, SubresourceShape>> = {
  status: { kind: (r) => ({ group: r.group, version: r.version, kind: r.kind }), verbs: ['get', 'put', 'patch'] },
  scale: { kind: () => ({ group: 'autoscaling', version: 'v1', kind: 'Scale' }), verbs: ['get', 'put', 'patch'] },
  finalize: { kind: (r) => ({ group: r.group, version: r.version, kind: r.kind }), verbs: ['put'] },
  binding: { kind: () => ({ group: '', version: 'v1', kind: 'Binding' }), verbs: ['post'] },
  eviction: { kind: () => ({ group: 'policy', version: 'v1', kind: 'Eviction' }), verbs: ['post'] },
  log: { kind: (r) => ({ group: r.group, version: r.version, kind: r.kind }), verbs: ['connect'], params: LOG_PARAMS },
  exec: { kind: () => ({ group: '', version: 'v1', kind: 'PodExecOptions' }), verbs: ['connect'], params: STREAM_PARAMS(true) },
  attach: { kind: () => ({ group: '', version: 'v1', kind: 'PodAttachOptions' }), verbs: ['connect'], params: STREAM_PARAMS(false) },
  portforward: { kind: () => ({ group: '', version: 'v1', kind: 'PodPortForwardOptions' }), verbs: ['connect'], params: PORTFORWARD_PARAMS },
};

// ---- building -----------------------------------------------------------------------------------

function resourcePaths(r: ResourceInfo): PathItem[] {
  const { group, version, kind, plural, namespaced } = r;
  const G = groupPrefix(group, version);
  const N = namespaced ? 'Namespaced' : '';
  const tag = tagOf(group, version);
  const gvk: GroupVersionKind = { group, version, kind };
  const has = (verb: string) => r.verbs.includes(verb);
  const obj = def(group, version, kind);
  const prefix = `/${gvPathOf(group, version)}`;
  const scope = namespaced ? `${prefix}/namespaces/{namespace}` : prefix;
  const scopeParams = namespaced ? [NAMESPACE, PRETTY] : [PRETTY];
  const base = { gvk, tag };
  const out: PathItem[] = [];

  const collection: Operation[] = [];
  if (has('deletecollection')) {
    collection.push({
      ...base, method: 'delete', action: 'deletecollection', operationId: `delete${G}Collection${N}${kind}`,
      description: `delete collection of ${kind}`, parameters: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks')],
      requestBody: DELETE_OPTIONS, consumes: JSON_TYPES, produces: JSON_TYPES, responses: [ok(STATUS)],
    });
  }
  if (has('list')) {
    // only listable kinds have a List (the self reviews, create-only, have none)
    const list = def(group, version, r.listKind);
    collection.push({
      ...base, method: 'get', action: 'list', operationId: `list${G}${N}${kind}`, description: `list or watch objects of kind ${kind}`,
      parameters: LIST_PARAMS, consumes: ANY_TYPES, produces: [...WATCH_TYPES, 'application/yaml;stream=watch'], responses: [ok(list)],
    });
  }
  if (has('create')) {
    collection.push({
      ...base, method: 'post', action: 'post', operationId: `create${G}${N}${kind}`, description: `create a ${kind}`,
      parameters: WRITE_PARAMS, requestBody: obj, consumes: JSON_TYPES, produces: JSON_TYPES, responses: [ok(obj), created(obj), accepted(obj)],
    });
  }
  if (collection.length > 0) out.push({ path: `${scope}/${plural}`, parameters: scopeParams, operations: collection });

  const item: Operation[] = [];
  if (has('delete')) {
    item.push({
      ...base, method: 'delete', action: 'delete', operationId: `delete${G}${N}${kind}`, description: `delete a ${kind}`,
      parameters: DELETE_PARAMS, requestBody: DELETE_OPTIONS, consumes: JSON_TYPES, produces: JSON_TYPES, responses: [ok(STATUS), accepted(STATUS)],
    });
  }
  if (has('get')) {
    item.push({
      ...base, method: 'get', action: 'get', operationId: `read${G}${N}${kind}`, description: `read the specified ${kind}`,
      parameters: [], consumes: ANY_TYPES, produces: JSON_TYPES, responses: [ok(obj)],
    });
  }
  if (has('patch')) {
    item.push({
      ...base, method: 'patch', action: 'patch', operationId: `patch${G}${N}${kind}`, description: `partially update the specified ${kind}`,
      parameters: PATCH_PARAMS, requestBody: PATCH, consumes: PATCH_CONTENT_TYPES, produces: JSON_TYPES, responses: [ok(obj), created(obj)],
    });
  }
  if (has('update')) {
    item.push({
      ...base, method: 'put', action: 'put', operationId: `replace${G}${N}${kind}`, description: `replace the specified ${kind}`,
      parameters: WRITE_PARAMS, requestBody: obj, consumes: JSON_TYPES, produces: JSON_TYPES, responses: [ok(obj), created(obj)],
    });
  }
  const itemParams = [nameParam(kind), ...scopeParams];
  if (item.length > 0) out.push({ path: `${scope}/${plural}/{name}`, parameters: itemParams, operations: item });

  for (const sub of r.subresources) {
    const shape = SUBRESOURCES[sub];
    if (!shape) continue;
    const subGvk = shape.kind(r);
    const Sub = sub.charAt(0).toUpperCase() + sub.slice(1);
    const subBase = { gvk: subGvk, tag };
    const ops: Operation[] = [];
    const isSchemaKind = definitionName(subGvk.group, subGvk.version, subGvk.kind) !== undefined;
    const body = isSchemaKind ? def(subGvk.group, subGvk.version, subGvk.kind) : 'string';
    for (const verb of shape.verbs) {
      switch (verb) {
        case 'get':
          ops.push({ ...subBase, method: 'get', action: 'get', operationId: `read${G}${N}${kind}${Sub}`, description: `read ${sub} of the specified ${kind}`, parameters: [], consumes: ANY_TYPES, produces: JSON_TYPES, responses: [ok(body)] });
          break;
        case 'put':
          ops.push({ ...subBase, method: 'put', action: 'put', operationId: `replace${G}${N}${kind}${Sub}`, description: `replace ${sub} of the specified ${kind}`, parameters: WRITE_PARAMS, requestBody: body, consumes: JSON_TYPES, produces: JSON_TYPES, responses: [ok(body), created(body)] });
          break;
        case 'patch':
          ops.push({ ...subBase, method: 'patch', action: 'patch', operationId: `patch${G}${N}${kind}${Sub}`, description: `partially update ${sub} of the specified ${kind}`, parameters: PATCH_PARAMS, requestBody: PATCH, consumes: PATCH_CONTENT_TYPES, produces: JSON_TYPES, responses: [ok(body), created(body)] });
          break;
        case 'post':
          ops.push({ ...subBase, method: 'post', action: 'post', operationId: `create${G}${N}${kind}${Sub}`, description: `create ${sub} of a ${kind}`, parameters: WRITE_PARAMS, requestBody: body, consumes: JSON_TYPES, produces: JSON_TYPES, responses: [ok(body), created(body), accepted(body)] });
          break;
        case 'connect':
          if (sub === 'log') {
            ops.push({ ...subBase, method: 'get', action: 'get', operationId: `read${G}${N}${kind}Log`, description: `read log of the specified ${kind}`, parameters: shape.params ?? [], consumes: ANY_TYPES, produces: TEXT_TYPES, responses: [ok('string')] });
          } else {
            for (const method of ['get', 'post'] as const) {
              const M = method === 'get' ? 'Get' : 'Post';
              ops.push({ ...subBase, method, action: 'connect', operationId: `connect${G}${M}${N}${kind}${Sub}`, description: `connect ${method.toUpperCase()} requests to ${sub} of ${kind}`, parameters: shape.params ?? [], consumes: ANY_TYPES, produces: ANY_TYPES, responses: [ok('string')] });
            }
          }
          break;
      }
    }
    out.push({ path: `${scope}/${plural}/{name}/${sub}`, parameters: itemParams, operations: ops });
  }

  if (namespaced && has('list')) {
    out.push({
      path: `${prefix}/${plural}`,
      parameters: [...LIST_PARAMS, PRETTY],
      operations: [{ ...base, method: 'get', action: 'list', operationId: `list${G}${kind}ForAllNamespaces`, description: `list or watch objects of kind ${kind}`, parameters: [], consumes: ANY_TYPES, produces: [...WATCH_TYPES, 'application/yaml;stream=watch'], responses: [ok(def(group, version, r.listKind))] }],
    });
  }
  if (has('watch')) {
    const watchScope = namespaced ? `${prefix}/watch/namespaces/{namespace}` : `${prefix}/watch`;
    const watchParams = [...LIST_PARAMS, ...(namespaced ? [NAMESPACE] : []), PRETTY];
    out.push({
      path: `${watchScope}/${plural}`,
      parameters: watchParams,
      operations: [{ ...base, method: 'get', action: 'watchlist', operationId: `watch${G}${N}${kind}List`, description: `watch individual changes to a list of ${kind}. deprecated: use the 'watch' parameter with a list operation instead.`, parameters: [], consumes: ANY_TYPES, produces: WATCH_TYPES, responses: [ok(WATCH_EVENT)] }],
    });
    out.push({
      path: `${watchScope}/${plural}/{name}`,
      parameters: [...LIST_PARAMS, nameParam(kind), ...(namespaced ? [NAMESPACE] : []), PRETTY],
      operations: [{ ...base, method: 'get', action: 'watch', operationId: `watch${G}${N}${kind}`, description: `watch changes to an object of kind ${kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`, parameters: [], consumes: ANY_TYPES, produces: WATCH_TYPES, responses: [ok(WATCH_EVENT)] }],
    });
    if (namespaced) {
      out.push({
        path: `${prefix}/watch/${plural}`,
        parameters: [...LIST_PARAMS, PRETTY],
        operations: [{ ...base, method: 'get', action: 'watchlist', operationId: `watch${G}${kind}ListForAllNamespaces`, description: `watch individual changes to a list of ${kind}. deprecated: use the 'watch' parameter with a list operation instead.`, parameters: [], consumes: ANY_TYPES, produces: WATCH_TYPES, responses: [ok(WATCH_EVENT)] }],
      });
    }
  }
  return out;
}

let cached: readonly GroupVersionOperations[] | undefined;

/** The operations of every served group-version, in RESOURCES order. Built once; shared, do not mutate. */
export function servedOperations(): readonly GroupVersionOperations[] {
  if (cached) return cached;
  const byGv = new Map<string, { group: string; version: string; paths: PathItem[] }>();
  for (const r of RESOURCES) {
    const key = gvPathOf(r.group, r.version);
    let gv = byGv.get(key);
    if (!gv) byGv.set(key, (gv = { group: r.group, version: r.version, paths: [] }));
    gv.paths.push(...resourcePaths(r));
  }
  cached = [...byGv.entries()].map(([gvPath, gv]) => ({ gvPath, ...gv }));
  return cached;
}

// REST verbs on resources: turns an HTTP request addressed to a resource (see request-info.ts)
// into registry calls, and registry results into JSON, Table or Status responses.
import { rfc3339 } from '../api/time.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  BadRequestError,
  InvalidError,
  MethodNotAllowedError,
  NotFoundError,
  UnsupportedMediaTypeError,
} from '../api/errors.js';
import { invalid } from '../api/field-errors.js';
import { labelSelectorAsString } from '../api/labels.js';
import { isObject, type KubeObject } from '../api/object.js';
import type { SchemaNode, SchemaLookup } from '../api/openapi/schema-lookup.js';
import { groupVersion } from '../api/resources.js';
import type { Entry, GenericRegistry } from '../registry/generic-registry.js';
import { cannotBeHandledMessage } from '../registry/decode-types.js';
import { checkFields, findDuplicateFields, hasNoDuplicateFields, pruneUnknownFields } from '../registry/field-validation.js';
import { evictPod } from './eviction.js';
import { decodeObjectBody, mediaType, readBody, sendJSON, successStatus } from './http.js';
import { applyPatch } from './patch/patch.js';
import { ResponseWriter } from './response-writer.js';
import type { ResourceRequest } from './request-info.js';
import { buildTable, tableVersion, type IncludeObject } from './table.js';
import { serveWatch } from './watch-stream.js';

export interface RegistryLookup {
  get(group: string, version: string, resource: string): GenericRegistry | undefined;
}

export interface ResourceHandlerDeps {
  readonly registries: RegistryLookup;
  readonly schemas: SchemaLookup;
  readonly now: () => Date;
  /** bookmark interval for watches, ms */
  readonly bookmarkIntervalMs?: number;
  readonly onWatchStart?: () => void;
  readonly onWatchEnd?: () => void;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** What a write asks for besides its body (on HTTP: its query parameters and User-Agent). */
export interface WriteParams {
  readonly dryRun: boolean;
  readonly fieldManager: string;
  readonly validation: FieldValidation;
}

/** The body a create or update decoded `obj` from, when there was one. */
export interface BodyText {
  /** the body as sent: checked for duplicate fields */
  readonly raw?: Buffer | string;
  readonly contentType?: string;
  /**
   * the caller hands `obj` over, a plain JSON value made for this call (a JSON body, or an object
   * an in-process client was handed): it may be changed and kept (else it is copied first)
   */
  readonly owned?: boolean;
}

/** The verb a request maps to (for metrics and logs). */
export function requestVerb(method: string, info: ResourceRequest, query: URLSearchParams): string {
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : info.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return info.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

export class ResourceHandler {
  constructor(private readonly deps: ResourceHandlerDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, info: ResourceRequest, query: URLSearchParams): Promise<void> {
    const registry = this.deps.registries.get(info.group, info.version, info.resource);
    if (!registry) throw notFoundPath();
    const r = registry.info;
    if (info.namespace !== undefined && !r.namespaced) throw notFoundPath();
    if (info.subresource && !r.subresources.includes(info.subresource)) throw notFoundPath();
    const ns = r.namespaced ? info.namespace : undefined;
    const method = req.method ?? 'GET';

    if (!info.name) {
      if (method === 'GET' || method === 'HEAD') {
        const watch = query.get('watch') === 'true' || query.get('watch') === '1';
        if (watch) return this.watch(req, res, registry, ns, query);
        return this.list(req, res, registry, ns, query);
      }
      if (method === 'POST') {
        if (r.namespaced && ns === undefined) throw notFoundPath();
        return this.create(req, res, registry, ns, query);
      }
      if (method === 'DELETE') return this.deleteCollection(req, res, registry, ns, query);
      throw new MethodNotAllowedError(`the server does not allow this method on the requested resource`);
    }
    if (r.namespaced && ns === undefined) throw notFoundPath();

    // Watch of a single object: GET .../NAME?watch=true is a watch with a name field selector.
    if ((method === 'GET' || method === 'HEAD') && !info.subresource && (query.get('watch') === 'true' || query.get('watch') === '1')) {
      const q = new URLSearchParams(query);
      const fs = q.get('fieldSelector');
      q.set('fieldSelector', fs ? `${fs},metadata.name=${info.name}` : `metadata.name=${info.name}`);
      return this.watch(req, res, registry, ns, q);
    }

    switch (info.subresource) {
      case undefined:
      case 'status':
        break;
      case 'scale':
        return this.scale(req, res, registry, ns, info.name, query);
      case 'binding':
        if (method !== 'POST') throw new MethodNotAllowedError('only POST is allowed on binding');
        return this.binding(req, res, registry, ns, info.name, query);
      case 'eviction':
        if (method !== 'POST') throw new MethodNotAllowedError('only POST is allowed on eviction');
        return this.eviction(req, res, registry, ns, info.name, query);
      case 'finalize':
        if (method !== 'PUT') throw new MethodNotAllowedError('only PUT is allowed on finalize');
        return this.update(req, res, registry, ns, info.name, query, 'finalize');
      default:
        throw new NotFoundError({ resource: `${r.plural}/${info.subresource}`, group: r.group, name: info.name });
    }

    switch (method) {
      case 'GET':
      case 'HEAD':
        return this.get(req, res, registry, ns, info.name, query);
      case 'PUT':
        return this.update(req, res, registry, ns, info.name, query, info.subresource);
      case 'PATCH':
        return this.patch(req, res, registry, ns, info.name, query, info.subresource);
      case 'DELETE':
        if (info.subresource) throw new MethodNotAllowedError('the server does not allow this method on the requested resource');
        return this.delete(req, res, registry, ns, info.name, query);
      default:
        throw new MethodNotAllowedError('the server does not allow this method on the requested resource');
    }
  }

  // ---- reads ----

  private async get(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, name: string, query: URLSearchParams): Promise<void> {
    const entry = await reg.get(ns, name);
    const tv = tableVersion(req.headers.accept);
    if (tv) {
      return sendJSON(res, 200, buildTable(reg.strategyFor.table, [entry.object], { version: tv, include: includeObject(query), now: this.deps.now() }));
    }
    sendJSON(res, 200, entry.json);
  }

  private async list(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, query: URLSearchParams): Promise<void> {
    const result = await reg.list(ns, {
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: query.get('fieldSelector') ?? undefined,
      limit: intParam(query, 'limit'),
      continue: query.get('continue') ?? undefined,
      resourceVersion: query.get('resourceVersion') ?? undefined,
      resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
    });
    const tv = tableVersion(req.headers.accept);
    if (tv) {
      return sendJSON(
        res,
        200,
        buildTable(
          reg.strategyFor.table,
          result.items.map((e) => e.object),
          {
            version: tv,
            include: includeObject(query),
            resourceVersion: result.resourceVersion,
            continue: result.continue,
            remainingItemCount: result.remainingItemCount,
            now: this.deps.now(),
          },
        ),
      );
    }
    const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
    if (result.continue) meta.continue = result.continue;
    if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
    const head = `{"kind":${JSON.stringify(reg.info.listKind)},"apiVersion":${JSON.stringify(groupVersion(reg.info))},"metadata":${JSON.stringify(meta)},"items":[`;
    if (result.items.length <= LIST_CHUNK_ITEMS) return sendJSON(res, 200, head + result.items.map((e) => e.json).join(',') + ']}');
    // Large lists are streamed: no response-sized string, and the first bytes leave at once.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    const out = new ResponseWriter(res);
    for (let i = 0; i < result.items.length; i++) {
      const written = out.appendAll(i === 0 ? [head, ...result.items[i].jsonPieces] : [',', ...result.items[i].jsonPieces]);
      if (written !== true && !(await written)) return;
    }
    const last = out.append(']}');
    if (last === true || (await last)) await out.end();
  }

  private watch(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, query: URLSearchParams): Promise<void> {
    return serveWatch(req, res, {
      registry: reg,
      namespace: ns,
      query,
      table: tableVersion(req.headers.accept),
      include: includeObject(query),
      now: this.deps.now,
      bookmarkIntervalMs: this.deps.bookmarkIntervalMs ?? 60_000,
      onStart: this.deps.onWatchStart,
      onEnd: this.deps.onWatchEnd,
    });
  }

  // ---- writes ----

  private async create(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, query: URLSearchParams): Promise<void> {
    const raw = bodyText(await readBody(req), req.headers['content-type']);
    const obj = decodeObjectBody(raw, req.headers['content-type'], reg.info);
    const { entry, warnings } = await this.createObject(reg, ns, obj, { ...writeParams(req, query), raw, contentType: req.headers['content-type'], owned: true });
    sendJSON(res, 201, entry.json, warningHeader(warnings));
  }

  /**
   * Creates `obj` (a decoded body) in `ns`: kind checks, field validation (unknown fields
   * pruned), then the registry. `obj` is changed only when `p.owned`; `p.raw` (the body's text)
   * is checked for duplicate fields when given.
   */
  async createObject(reg: GenericRegistry, ns: string | undefined, obj: Record<string, unknown>, p: WriteParams & BodyText): Promise<{ entry: Entry; warnings: string[] }> {
    const { body, warnings, typeError } = this.admitBody(reg, obj, p);
    if (typeError !== undefined) throw typeErrorOf(reg, typeError);
    checkNamespaceMatch(body, ns);
    const owned = ownedJSON(p);
    const entry = await reg.create(ns, body as KubeObject, { dryRun: p.dryRun, fieldManager: p.fieldManager, owned });
    return { entry, warnings };
  }

  private async update(
    req: IncomingMessage,
    res: ServerResponse,
    reg: GenericRegistry,
    ns: string | undefined,
    name: string,
    query: URLSearchParams,
    subresource: string | undefined,
  ): Promise<void> {
    const raw = bodyText(await readBody(req), req.headers['content-type']);
    const obj = decodeObjectBody(raw, req.headers['content-type'], subresource === 'status' || !subresource ? reg.info : undefined);
    const { entry, created, warnings } = await this.updateObject(reg, ns, name, obj, subresource, { ...writeParams(req, query), raw, contentType: req.headers['content-type'], owned: true });
    sendJSON(res, created ? 201 : 200, entry.json, warningHeader(warnings));
  }

  /** Replaces the object `name` (or its `subresource`) with `obj`, a decoded body; see createObject for `p`. */
  async updateObject(
    reg: GenericRegistry,
    ns: string | undefined,
    name: string,
    obj: Record<string, unknown>,
    subresource: string | undefined,
    p: WriteParams & BodyText,
  ): Promise<{ entry: Entry; created: boolean; warnings: string[] }> {
    const { body, warnings, typeError } = this.admitBody(reg, obj, p);
    if (typeError !== undefined && !(await this.storedWithTypeError(reg, ns, name))) throw typeErrorOf(reg, typeError);
    checkNamespaceMatch(body, ns);
    const meta = isObject(body.metadata) ? body.metadata : undefined;
    if (meta?.name !== undefined && meta.name !== name) {
      throw new BadRequestError(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    }
    const allowCreate = !subresource && CREATE_ON_UPDATE.has(reg.info.plural);
    const owned = ownedJSON(p);
    const { entry, created } = await reg.replace(ns, name, body as KubeObject, {
      dryRun: p.dryRun,
      fieldManager: p.fieldManager,
      subresource,
      allowCreate,
      owned,
    });
    return { entry, created, warnings };
  }

  private async patch(
    req: IncomingMessage,
    res: ServerResponse,
    reg: GenericRegistry,
    ns: string | undefined,
    name: string,
    query: URLSearchParams,
    subresource: string | undefined,
  ): Promise<void> {
    const contentType = mediaType(req.headers['content-type']);
    if (!PATCH_TYPES.has(contentType)) {
      throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format - accepted media types include: ${[...PATCH_TYPES].join(', ')}`);
    }
    const body = (await readBody(req)).toString('utf8');
    const isApply = contentType === 'application/apply-patch+yaml';
    const manager = query.get('fieldManager') || (isApply ? '' : fieldManager(req, query));
    const { entry, created, warnings } = await this.patchObject(reg, ns, name, body, contentType, {
      dryRun: isDryRun(query),
      validation: fieldValidation(query),
      fieldManager: manager,
      force: query.get('force') === 'true',
      subresource,
    });
    sendJSON(res, created ? 201 : 200, entry.json, warningHeader(warnings));
  }

  /** Patches the object `name` (or its status) with `body` of the patch media type `contentType`. */
  async patchObject(
    reg: GenericRegistry,
    ns: string | undefined,
    name: string,
    body: string,
    contentType: string,
    p: WriteParams & { readonly force: boolean; readonly subresource: string | undefined },
  ): Promise<{ entry: Entry; created: boolean; warnings: string[] }> {
    const { validation, subresource, force } = p;
    const schema = this.schemaOf(reg);
    const warnings: string[] = [];
    if (validation !== 'Ignore' && contentType !== 'application/json-patch+json' && contentType !== 'application/apply-patch+yaml') {
      const dups = findDuplicateFields(body);
      if (dups.length && validation === 'Strict') throw strictError([], dups);
      warnings.push(...dups.map((d) => `duplicate field "${d}"`));
    }
    const isApply = contentType === 'application/apply-patch+yaml';
    const manager = p.fieldManager;
    const apiVersion = groupVersion(reg.info);
    const { entry, created } = await reg.update(
      ns,
      name,
      (live) => {
        const patched = applyPatch(live, body, contentType, { schema, manager, force: isApply ? force : undefined, now: this.deps.now(), apiVersion, kind: reg.info.kind, subresource });
        const pm = (patched.metadata ??= {});
        if (pm.name === undefined) pm.name = name;
        // A resourceVersion is a precondition only when the patch itself set one.
        if (live && pm.resourceVersion === live.metadata?.resourceVersion) delete pm.resourceVersion;
        if (schema) {
          const { unknown, typeError } = checkFields(patched, schema);
          if (typeError !== undefined && !(live && checkFields(live, schema).typeError !== undefined)) throw typeErrorOf(reg, typeError);
          if (unknown.length && validation === 'Strict') throw strictError(unknown, []);
          if (validation === 'Warn') warnings.push(...unknown.map((u) => `unknown field "${u}"`));
          // Unknown fields are never stored, whatever the validation level.
          if (unknown.length) pruneUnknownFields(patched, schema);
        }
        checkNamespaceMatch(patched, ns);
        return patched;
      },
      { dryRun: p.dryRun, fieldManager: manager, subresource, allowCreate: isApply && !subresource, operation: isApply ? 'Apply' : 'Update' },
    );
    return { entry, created, warnings };
  }

  private async delete(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, name: string, query: URLSearchParams): Promise<void> {
    const opts = await deleteOptions(req, query);
    const result = await reg.delete(ns, name, opts);
    if (!result.deleted) return sendJSON(res, 200, result.entry.json);
    const o = result.entry.object;
    sendJSON(res, 200, successStatus({ name, group: reg.info.group || undefined, kind: reg.info.plural, uid: o.metadata?.uid }));
  }

  private async deleteCollection(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, query: URLSearchParams): Promise<void> {
    const opts = await deleteOptions(req, query);
    await reg.deleteCollection(
      ns,
      { labelSelector: query.get('labelSelector') ?? undefined, fieldSelector: query.get('fieldSelector') ?? undefined },
      opts,
    );
    sendJSON(res, 200, successStatus());
  }

  // ---- subresources ----

  private async scale(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, name: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'GET') return sendJSON(res, 200, toScale((await reg.get(ns, name)).object));
    if (method !== 'PUT' && method !== 'PATCH') throw new MethodNotAllowedError('the server does not allow this method on the requested resource');
    const body = await readBody(req);
    const contentType = req.headers['content-type'];
    const scaleKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    const { entry } = await reg.update(
      ns,
      name,
      (live) => {
        const obj = live as KubeObject;
        const current = toScale(obj);
        let desired: Record<string, unknown>;
        if (method === 'PUT') desired = decodeObjectBody(body, contentType, scaleKind);
        else desired = applyPatch(current, body.toString('utf8'), mediaType(contentType), { schema: undefined, now: this.deps.now(), apiVersion: 'autoscaling/v1', kind: 'Scale' });
        const spec = isObject(desired.spec) ? desired.spec : {};
        const replicas = spec.replicas;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
          throw new InvalidError({ resource: 'scale', group: 'autoscaling', kind: 'Scale', name }, [invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
        }
        const dm = isObject(desired.metadata) ? desired.metadata : {};
        const rv = typeof dm.resourceVersion === 'string' && dm.resourceVersion ? dm.resourceVersion : undefined;
        const objSpec = isObject(obj.spec) ? obj.spec : (obj.spec = {});
        (objSpec as Record<string, unknown>).replicas = replicas;
        if (rv && method === 'PUT') obj.metadata = { ...obj.metadata, resourceVersion: rv };
        else if (obj.metadata) delete obj.metadata.resourceVersion;
        return obj;
      },
      { dryRun: isDryRun(query), fieldManager: fieldManager(req, query), subresource: 'scale' },
    );
    sendJSON(res, 200, toScale(entry.object));
  }

  private async binding(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, name: string, query: URLSearchParams): Promise<void> {
    const body = decodeObjectBody(await readBody(req), req.headers['content-type'], { group: '', version: 'v1', kind: 'Binding' });
    await this.bindPod(reg, ns, name, body, { dryRun: isDryRun(query), fieldManager: fieldManager(req, query) });
    sendJSON(res, 201, successStatus());
  }

  /** pods/NAME/binding: sets spec.nodeName and PodScheduled=True (Conflict if bound or terminating). `body` is a Binding. */
  async bindPod(reg: GenericRegistry, ns: string | undefined, name: string, body: Record<string, unknown>, p: Pick<WriteParams, 'dryRun' | 'fieldManager'>): Promise<void> {
    const target = isObject(body.target) ? body.target : undefined;
    const node = target && typeof target.name === 'string' ? target.name : '';
    if (!node) throw new InvalidError({ resource: 'bindings', group: '', kind: 'Binding', name }, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
    await reg.update(
      ns,
      name,
      (live) => {
        // A new pod sharing live's unchanged parts (leavesLiveAlone below): live is not changed.
        const pod = live as KubeObject;
        const spec = isObject(pod.spec) ? pod.spec : {};
        if (pod.metadata?.deletionTimestamp) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`);
        if (spec.nodeName) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
        const status = isObject(pod.status) ? pod.status : {};
        const conds = Array.isArray(status.conditions) ? status.conditions.filter((c) => !(isObject(c) && c.type === 'PodScheduled')) : [];
        conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.deps.now()) });
        const { resourceVersion: _rv, ...meta } = pod.metadata ?? {};
        const bm = isObject(body.metadata) ? body.metadata : {};
        if (isObject(bm.annotations)) meta.annotations = { ...(meta.annotations ?? {}), ...(bm.annotations as Record<string, string>) };
        return { ...pod, metadata: meta, spec: { ...spec, nodeName: node }, status: { ...status, conditions: conds } };
      },
      { dryRun: p.dryRun, fieldManager: p.fieldManager, subresource: 'binding', leavesLiveAlone: true },
    );
  }

  private async eviction(req: IncomingMessage, res: ServerResponse, reg: GenericRegistry, ns: string | undefined, name: string, query: URLSearchParams): Promise<void> {
    const body = decodeObjectBody(await readBody(req), req.headers['content-type'], { group: 'policy', version: 'v1', kind: 'Eviction' });
    const d = isObject(body.deleteOptions) ? body.deleteOptions : {};
    const evictionName = isObject(body.metadata) ? body.metadata.name : undefined;
    if (typeof evictionName === 'string' && evictionName !== '' && evictionName !== name) throw new BadRequestError('name in URL does not match name in Eviction object');
    await evictPod({ pods: reg, pdbs: this.deps.registries.get('policy', 'v1', 'poddisruptionbudgets'), now: this.deps.now }, ns, name, {
      dryRun: isDryRun(query) || (Array.isArray(d.dryRun) && d.dryRun.includes('All')),
      gracePeriodSeconds: typeof d.gracePeriodSeconds === 'number' ? d.gracePeriodSeconds : undefined,
      preconditions: isObject(d.preconditions) ? (d.preconditions as { uid?: string; resourceVersion?: string }) : undefined,
      propagationPolicy: typeof d.propagationPolicy === 'string' ? d.propagationPolicy : undefined,
    });
    sendJSON(res, 201, successStatus());
  }

  // ---- helpers ----

  private schemaOf(reg: GenericRegistry): SchemaNode | undefined {
    return this.deps.schemas.forKind(reg.info.group, reg.info.version, reg.info.kind);
  }

  /**
   * Kind/apiVersion checks and fieldValidation for create/update bodies; returns the body to
   * store (unknown fields pruned; a copy unless `p.owned`) and the warnings.
   */
  private admitBody(reg: GenericRegistry, obj: Record<string, unknown>, p: WriteParams & BodyText): { body: Record<string, unknown>; warnings: string[]; typeError?: string } {
    const r = reg.info;
    const gv = groupVersion(r);
    if (obj.kind !== undefined && obj.kind !== r.kind) {
      throw new BadRequestError(`${String(obj.kind)} in version "${typeof obj.apiVersion === 'string' ? obj.apiVersion : ''}" cannot be handled as a ${r.kind}: the kind of the object (${String(obj.kind)}) does not match the kind of the endpoint (${r.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== gv) {
      throw new BadRequestError(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`);
    }
    const schema = this.schemaOf(reg);
    const warnings: string[] = [];
    // a value its field's type cannot take fails decoding (the caller throws typeErrorOf), in every mode
    const { unknown, typeError } = schema ? checkFields(obj, schema) : { unknown: [], typeError: undefined };
    if (p.validation !== 'Ignore') {
      const text = p.raw !== undefined && isJsonMediaType(p.contentType) ? (typeof p.raw === 'string' ? p.raw : p.raw.toString('utf8')) : undefined;
      const dups = text === undefined || hasNoDuplicateFields(text, obj) ? [] : findDuplicateFields(text);
      if (p.validation === 'Strict' && (dups.length || unknown.length)) throw strictError(unknown, dups);
      warnings.push(...unknown.map((u) => `unknown field "${u}"`), ...dups.map((d) => `duplicate field "${d}"`));
    }
    const body = p.owned ? obj : unknown.length ? (structuredClone(obj) as Record<string, unknown>) : { ...obj };
    body.apiVersion = gv;
    body.kind = r.kind;
    // Unknown fields are never stored, whatever the validation level.
    if (schema && unknown.length) pruneUnknownFields(body, schema);
    return typeError === undefined ? { body, warnings } : { body, warnings, typeError };
  }

  /**
   * Whether the stored object already holds a value of the wrong JSON type: one stored before
   * skiff checked types. Writes to it are not refused for that (they would all be, status and
   * finalizer writes included, and the object could never be changed or deleted gracefully).
   */
  private async storedWithTypeError(reg: GenericRegistry, ns: string | undefined, name: string): Promise<boolean> {
    const schema = this.schemaOf(reg);
    if (!schema) return false;
    try {
      return checkFields((await reg.get(ns, name)).object, schema).typeError !== undefined;
    } catch {
      return false;
    }
  }
}

/** Lists longer than this are streamed (response-writer.ts) rather than sent as one string. */
const LIST_CHUNK_ITEMS = 500;

/** Resources that PUT may create (as Kubernetes' AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['endpoints', 'events', 'leases', 'endpointslices']);

const PATCH_TYPES = new Set(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']);

/** The 404 for a path that names no resource or subresource this server serves. */
export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });
}

/**
 * A JSON body as text, decoded once for both JSON.parse and the duplicate-field check; any
 * other body stays bytes (protobuf is binary; YAML is decoded by its own parser).
 */
function bodyText(raw: Buffer, contentType: string | undefined): Buffer | string {
  return isJsonMediaType(contentType) ? raw.toString('utf8') : raw;
}

/**
 * True when the registry may keep the decoded object itself: it was handed over, and is a plain
 * JSON value (decoded from a JSON body, or given in process); YAML and protobuf bodies are not.
 */
function ownedJSON(p: BodyText): boolean {
  return p.owned === true && (p.raw === undefined ? p.contentType === undefined : isJsonMediaType(p.contentType));
}

function isJsonMediaType(contentType: string | undefined): boolean {
  return !contentType || mediaType(contentType) === 'application/json';
}

/** Go decoding's refusal of a value its field's type cannot take: 400, `<Kind> in version "<v>" cannot be handled as a <Kind>: json: ...`. */
function typeErrorOf(reg: GenericRegistry, typeError: string): ApiError {
  return new BadRequestError(cannotBeHandledMessage(reg.info.kind, reg.info.version, typeError));
}

function strictError(unknown: string[], dups: string[]): ApiError {
  const parts = [...unknown.map((u) => `unknown field "${u}"`), ...dups.map((d) => `duplicate field "${d}"`)];
  return new BadRequestError(`strict decoding error: ${parts.join(', ')}`);
}

function fieldValidation(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (!v) return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw new BadRequestError(`fieldValidation must be one of "Ignore", "Warn", or "Strict": got "${v}"`);
}

function writeParams(req: IncomingMessage, query: URLSearchParams): WriteParams {
  const validation = fieldValidation(query);
  return { dryRun: isDryRun(query), fieldManager: fieldManager(req, query), validation };
}

function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw new BadRequestError(`Invalid dryRun value: ${v}; supported values: "All"`);
  }
  return values.length > 0;
}

/** The field manager: ?fieldManager=, else the User-Agent's program name (as Kubernetes does). */
function fieldManager(req: IncomingMessage, query: URLSearchParams): string {
  const q = query.get('fieldManager');
  if (q) {
    if (q.length > 128) throw new BadRequestError('fieldManager: Too long: may not be longer than 128');
    return q;
  }
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0] || 'unknown';
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  if (v === 'None' || v === 'Object' || v === 'Metadata') return v;
  return 'Metadata';
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BadRequestError(`invalid ${name}: ${v}`);
  return n;
}

function checkNamespaceMatch(obj: Record<string, unknown>, ns: string | undefined): void {
  const meta = isObject(obj.metadata) ? obj.metadata : undefined;
  const bodyNs = meta?.namespace;
  if (ns !== undefined && typeof bodyNs === 'string' && bodyNs !== '' && bodyNs !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<{
  dryRun: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}> {
  const raw = await readBody(req);
  let body: Record<string, unknown> = {};
  if (raw.toString('utf8').trim()) body = decodeObjectBody(raw, req.headers['content-type'], { group: 'meta.k8s.io', version: 'v1', kind: 'DeleteOptions' });
  const grace = query.get('gracePeriodSeconds') ?? (typeof body.gracePeriodSeconds === 'number' ? String(body.gracePeriodSeconds) : null);
  const policy = query.get('propagationPolicy') ?? (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : null);
  if (policy && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  const orphan = query.get('orphanDependents') ?? (typeof body.orphanDependents === 'boolean' ? String(body.orphanDependents) : null);
  const dryRun = isDryRun(query) || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
  const g = grace === null ? undefined : Number(grace);
  if (g !== undefined && (!Number.isInteger(g) || g < 0)) throw new BadRequestError(`invalid gracePeriodSeconds: ${grace}`);
  return {
    dryRun,
    gracePeriodSeconds: g,
    propagationPolicy: policy ?? (orphan === 'true' ? 'Orphan' : undefined),
    preconditions: isObject(body.preconditions) ? (body.preconditions as { uid?: string; resourceVersion?: string }) : undefined,
  };
}

function toScale(obj: KubeObject): Record<string, unknown> {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const status = isObject(obj.status) ? obj.status : {};
  const selector = isObject(spec.selector) ? labelSelectorAsString(spec.selector) : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata?.name,
      namespace: obj.metadata?.namespace,
      uid: obj.metadata?.uid,
      resourceVersion: obj.metadata?.resourceVersion,
      creationTimestamp: obj.metadata?.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector },
  };
}

function warningHeader(warnings: string[]): Record<string, string> | undefined {
  if (!warnings.length) return undefined;
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}


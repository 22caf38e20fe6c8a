// The pod spec every workload kind carries (Pod, and the pod templates of Deployment,
// ReplicaSet, Job and CronJob): Kubernetes' defaulting (pkg/apis/core/v1/defaults.go plus the
// declarative `+default` markers) and validation (pkg/apis/core/validation: ValidatePodSpec,
// ValidatePodTemplateSpec, ValidatePodUpdate and what they call), with Kubernetes' field
// paths and messages.
//
// Input comes from the wire and may have any shape. Nothing here throws on a bad shape:
// defaulting skips what it cannot read, validation turns wrong types into FieldErrors
// (FieldValueTypeInvalid) at the offending path. All functions mutate only what they are
// documented to mutate.
import type { FieldError } from '../../api/field-errors.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../../api/field-errors.js';
import { validateLabelSelector } from '../../api/labels.js';
import { isObject } from '../../api/object.js';
import { parseQuantity } from '../../api/quantity.js';
import { maskTrailingDash, validateAnnotations, validateLabels } from '../../api/validation/metadata.js';
import {
  byteLength,
  hasChDirPrefix,
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  maxLenError,
  regexError,
} from '../../api/validation/names.js';

// ---------------------------------------------------------------------------------------------
// Wire-shape readers, shared by the workload strategies.

export type JsonObject = Record<string, unknown>;

/** A value of the wrong JSON type (`spec.replicas: Invalid value: "abc": must be an integer`). */
export function typeInvalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field, badValue, detail };
}

/** `field: Not found: "value"` (e.g. a volumeMount naming no volume). */
export function notFound(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue };
}

const isUnset = (v: unknown): v is undefined | null => v === undefined || v === null;

/** An optional object: undefined when absent; a type error (and undefined) for anything but an object. */
export function optObject(v: unknown, field: string, errs: FieldError[]): JsonObject | undefined {
  if (isUnset(v)) return undefined;
  if (!isObject(v)) {
    errs.push(typeInvalid(field, v, 'must be an object'));
    return undefined;
  }
  return v;
}

/** An optional array: undefined when absent; a type error (and undefined) for anything else. */
export function optArray(v: unknown, field: string, errs: FieldError[]): unknown[] | undefined {
  if (isUnset(v)) return undefined;
  if (!Array.isArray(v)) {
    errs.push(typeInvalid(field, v, 'must be an array'));
    return undefined;
  }
  return v;
}

/** An optional string: '' when absent (Go's zero value); a type error (and '') for anything else. */
export function optString(v: unknown, field: string, errs: FieldError[]): string {
  if (isUnset(v)) return '';
  if (typeof v !== 'string') {
    errs.push(typeInvalid(field, v, 'must be a string'));
    return '';
  }
  return v;
}

/** An optional integer: undefined when absent; a type error (and undefined) for anything else. */
export function optInt(v: unknown, field: string, errs: FieldError[]): number | undefined {
  if (isUnset(v)) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    errs.push(typeInvalid(field, v, 'must be an integer'));
    return undefined;
  }
  return v;
}

/** An optional boolean: undefined when absent; a type error (and undefined) for anything else. */
export function optBool(v: unknown, field: string, errs: FieldError[]): boolean | undefined {
  if (isUnset(v)) return undefined;
  if (typeof v !== 'boolean') {
    errs.push(typeInvalid(field, v, 'must be a boolean'));
    return undefined;
  }
  return v;
}

/** Calls fn for every element of an optional array field that is an object; other elements are type errors. */
export function eachObject(v: unknown, field: string, errs: FieldError[], fn: (o: JsonObject, path: string, index: number) => void): void {
  const list = optArray(v, field, errs);
  if (!list) return;
  list.forEach((item, i) => {
    const path = `${field}[${i}]`;
    if (isObject(item)) fn(item, path, i);
    else errs.push(typeInvalid(path, item, 'must be an object'));
  });
}

/** `must be greater than or equal to 0` for a present negative integer; type errors as optInt. */
export function validateNonNegative(v: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const n = optInt(v, field, errs);
  if (n !== undefined && n < 0) errs.push(invalid(field, n, 'must be greater than or equal to 0'));
  return errs;
}

/** The objects of an array field, skipping anything that is not one (for defaulting and tables). */
export function objectsOf(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/** A string field's value, or '' (for tables and defaulting, never for validation). */
export function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A number field's value, or 0. */
export function numberOf(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Kubernetes' semantic equality of two JSON values: absent and null equal an empty list or
 * map (apiequality.Semantic treats nil and empty slices and maps alike); the rest compares deeply.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (isUnset(a)) a = Array.isArray(b) ? [] : isObject(b) ? {} : a;
  if (isUnset(b)) b = Array.isArray(a) ? [] : isObject(a) ? {} : b;
  if (isUnset(a) || isUnset(b)) return isUnset(a) && isUnset(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

// ---------------------------------------------------------------------------------------------
// Image references.

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);

/**
 * The tag an image reference names, as the kubelet's image-name parser reads it: `latest`
 * when neither tag nor digest is given, '' for a digest-only reference or an unparseable one.
 */
export function imageTag(image: string): string {
  const m = REFERENCE.exec(image);
  if (!m || m[1]!.length > 255) return '';
  if (m[2]) return m[2];
  return m[3] ? '' : 'latest';
}

// ---------------------------------------------------------------------------------------------
// Defaulting.

export interface PodSpecDefaultOptions {
  /** true for a Pod's own spec (SetDefaults_Pod: requests from limits, enableServiceLinks, host ports); false for templates */
  readonly pod?: boolean;
}

/** Sets `o[key] = value` when the field is absent, null or '' (Go's `if x == ""`). */
function defaultString(o: JsonObject, key: string, value: string): void {
  if (isUnset(o[key]) || o[key] === '') o[key] = value;
}

/** Sets `o[key] = value` when the field is absent or null (a nil pointer). */
function defaultValue(o: JsonObject, key: string, value: unknown): void {
  if (isUnset(o[key])) o[key] = value;
}

/** Sets `o[key] = value` when the field is absent, null or 0 (Go's `if x == 0`). */
function defaultNumber(o: JsonObject, key: string, value: number): void {
  if (isUnset(o[key]) || o[key] === 0) o[key] = value;
}

/**
 * Fills a PodSpec's defaults in place, as decoding a v1 object does in Kubernetes:
 * dnsPolicy ClusterFirst, restartPolicy Always, securityContext {}, terminationGracePeriodSeconds
 * 30, schedulerName default-scheduler; per container imagePullPolicy (Always for `latest` or no
 * tag, else IfNotPresent), terminationMessagePath/Policy, resources {}, port protocol TCP,
 * probe and handler defaults; per volume emptyDir when no source is given, defaultMode 420,
 * hostPath type ''. With `pod`, also what SetDefaults_Pod adds. Idempotent; skips bad shapes.
 */
export function defaultPodSpec(spec: unknown, opts: PodSpecDefaultOptions = {}): void {
  if (!isObject(spec)) return;
  defaultString(spec, 'dnsPolicy', 'ClusterFirst');
  defaultString(spec, 'restartPolicy', 'Always');
  defaultValue(spec, 'securityContext', {});
  defaultValue(spec, 'terminationGracePeriodSeconds', 30);
  defaultString(spec, 'schedulerName', 'default-scheduler');
  // v1 carries the deprecated `serviceAccount` as a mirror of serviceAccountName.
  if (stringOf(spec.serviceAccountName) === '' && stringOf(spec.serviceAccount) !== '') spec.serviceAccountName = spec.serviceAccount;
  if (stringOf(spec.serviceAccountName) !== '') spec.serviceAccount = spec.serviceAccountName;

  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of objectsOf(spec[key])) defaultContainer(c, opts.pod === true && key !== 'ephemeralContainers');
  }
  for (const v of objectsOf(spec.volumes)) defaultVolume(v);

  if (opts.pod) {
    defaultValue(spec, 'enableServiceLinks', true);
    if (spec.hostNetwork === true) {
      for (const key of ['containers', 'initContainers']) {
        for (const c of objectsOf(spec[key])) {
          for (const p of objectsOf(c.ports)) if (isUnset(p.hostPort) || p.hostPort === 0) p.hostPort = p.containerPort;
        }
      }
    }
  }
}

function defaultContainer(c: JsonObject, requestsFromLimits: boolean): void {
  if (isUnset(c.imagePullPolicy) || c.imagePullPolicy === '') {
    c.imagePullPolicy = imageTag(stringOf(c.image)) === 'latest' ? 'Always' : 'IfNotPresent';
  }
  defaultString(c, 'terminationMessagePath', '/dev/termination-log');
  defaultString(c, 'terminationMessagePolicy', 'File');
  defaultValue(c, 'resources', {});
  if (requestsFromLimits && isObject(c.resources) && isObject(c.resources.limits)) {
    const res = c.resources;
    const limits = c.resources.limits;
    if (isUnset(res.requests)) res.requests = {};
    if (isObject(res.requests)) {
      const requests = res.requests;
      for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
    }
  }
  for (const p of objectsOf(c.ports)) defaultString(p, 'protocol', 'TCP');
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = c[key];
    if (!isObject(probe)) continue;
    defaultNumber(probe, 'timeoutSeconds', 1);
    defaultNumber(probe, 'periodSeconds', 10);
    defaultNumber(probe, 'successThreshold', 1);
    defaultNumber(probe, 'failureThreshold', 3);
    defaultHandler(probe);
  }
  if (isObject(c.lifecycle)) {
    if (isObject(c.lifecycle.postStart)) defaultHandler(c.lifecycle.postStart);
    if (isObject(c.lifecycle.preStop)) defaultHandler(c.lifecycle.preStop);
  }
  for (const e of objectsOf(c.env)) {
    if (isObject(e.valueFrom) && isObject(e.valueFrom.fieldRef)) defaultString(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
}

function defaultHandler(h: JsonObject): void {
  if (isObject(h.httpGet)) {
    defaultString(h.httpGet, 'path', '/');
    defaultString(h.httpGet, 'scheme', 'HTTP');
  }
  if (isObject(h.grpc)) defaultValue(h.grpc, 'service', '');
}

/** Every v1 VolumeSource field, in the order Kubernetes validates them. */
const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flexVolume',
  'configMap',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'csi',
  'ephemeral',
  'image',
] as const;

/** Where Kubernetes reports "may not specify more than 1 volume type" for a source (two keep upstream's spelling). */
const VOLUME_SOURCE_ERROR_PATH: Readonly<Record<string, string>> = { cephfs: 'cephFS', downwardAPI: 'downwarAPI' };

function defaultVolume(v: JsonObject): void {
  if (!VOLUME_SOURCES.some((k) => !isUnset(v[k]))) v.emptyDir = {};
  if (isObject(v.secret)) defaultValue(v.secret, 'defaultMode', 420);
  if (isObject(v.configMap)) defaultValue(v.configMap, 'defaultMode', 420);
  if (isObject(v.downwardAPI)) {
    defaultValue(v.downwardAPI, 'defaultMode', 420);
    defaultDownwardAPIItems(v.downwardAPI.items);
  }
  if (isObject(v.hostPath)) defaultValue(v.hostPath, 'type', '');
  if (isObject(v.projected)) {
    defaultValue(v.projected, 'defaultMode', 420);
    for (const s of objectsOf(v.projected.sources)) {
      if (isObject(s.serviceAccountToken)) defaultValue(s.serviceAccountToken, 'expirationSeconds', 3600);
      if (isObject(s.downwardAPI)) defaultDownwardAPIItems(s.downwardAPI.items);
    }
  }
  if (isObject(v.ephemeral) && isObject(v.ephemeral.volumeClaimTemplate) && isObject(v.ephemeral.volumeClaimTemplate.spec)) {
    defaultValue(v.ephemeral.volumeClaimTemplate.spec, 'volumeMode', 'Filesystem');
  }
}

function defaultDownwardAPIItems(items: unknown): void {
  for (const item of objectsOf(items)) if (isObject(item.fieldRef)) defaultString(item.fieldRef, 'apiVersion', 'v1');
}

// ---------------------------------------------------------------------------------------------
// Validation: the pod spec.

export interface PodSpecValidationOptions {
  /** true when the spec is a Pod's own (ResourceIsPod): stricter host-port and image checks */
  readonly pod?: boolean;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;
const HTTP_SCHEMES = ['HTTP', 'HTTPS'] as const;
const MAX_INT32 = 2147483647;
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

/** The validated volumes of a spec, by name (what volumeMounts may reference). */
type VolumeMap = Map<string, JsonObject>;

/**
 * Validates a PodSpec at `field` (e.g. `spec` or `spec.template.spec`), as ValidatePodSpec does:
 * containers (at least one; names DNS-1123 labels, unique across init and app containers;
 * image; ports; env; volume mounts; resources; probes), volumes (unique names, one source),
 * restartPolicy, dnsPolicy, nodeSelector, tolerations, security context, DNS config,
 * affinity and spread constraints, names of service account, node and priority class.
 * Expects defaulted input (e.g. `terminationGracePeriodSeconds` is required).
 */
export function validatePodSpec(spec: unknown, field: string, opts: PodSpecValidationOptions = {}): FieldError[] {
  const errs: FieldError[] = [];
  if (isUnset(spec)) return [required(field)];
  if (!isObject(spec)) return [typeInvalid(field, spec, 'must be an object')];

  const grace = optInt(spec.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`, errs);
  if (isUnset(spec.terminationGracePeriodSeconds)) errs.push(required(`${field}.terminationGracePeriodSeconds`));

  const volumes = validateVolumes(spec.volumes, `${field}.volumes`, errs);
  const restartPolicy = optString(spec.restartPolicy, `${field}.restartPolicy`, errs);
  validateContainers(spec.containers, volumes, grace, `${field}.containers`, restartPolicy, errs);
  validateInitContainers(spec.initContainers, spec.containers, volumes, grace, `${field}.initContainers`, errs);
  validateHostNetworkDeps(spec, field, opts, errs);

  if (restartPolicy === '') errs.push(required(`${field}.restartPolicy`));
  else if (!(RESTART_POLICIES as readonly string[]).includes(restartPolicy)) errs.push(notSupported(`${field}.restartPolicy`, restartPolicy, RESTART_POLICIES));

  const dnsPolicy = optString(spec.dnsPolicy, `${field}.dnsPolicy`, errs);
  if (dnsPolicy === '') errs.push(required(`${field}.dnsPolicy`));
  else if (!(DNS_POLICIES as readonly string[]).includes(dnsPolicy)) errs.push(notSupported(`${field}.dnsPolicy`, dnsPolicy, DNS_POLICIES));

  errs.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  validatePodSecurityContext(spec.securityContext, `${field}.securityContext`, errs);
  eachObject(spec.imagePullSecrets, `${field}.imagePullSecrets`, errs, (s, path) => {
    if (Object.keys(s).some((k) => k !== 'name')) errs.push(invalid(path, s, 'only name may be set'));
    optString(s.name, `${path}.name`, errs);
  });
  validateAffinity(spec.affinity, `${field}.affinity`, errs);
  validateDNSConfig(spec.dnsConfig, dnsPolicy, `${field}.dnsConfig`, errs);
  eachObject(spec.readinessGates, `${field}.readinessGates`, errs, (g, path) => {
    const t = optString(g.conditionType, `${path}.conditionType`, errs);
    for (const msg of isQualifiedName(t)) errs.push(invalid(`${path}.conditionType`, t, msg));
  });
  const gates = new Set<string>();
  eachObject(spec.schedulingGates, `${field}.schedulingGates`, errs, (g, path) => {
    const name = optString(g.name, `${path}.name`, errs);
    for (const msg of isQualifiedName(name)) errs.push(invalid(path, name, msg));
    if (gates.has(name)) errs.push(duplicate(path, name));
    gates.add(name);
  });
  validateTopologySpreadConstraints(spec.topologySpreadConstraints, `${field}.topologySpreadConstraints`, errs);

  for (const [key, check] of [
    ['serviceAccountName', isDNS1123Subdomain],
    ['nodeName', isDNS1123Subdomain],
    ['hostname', isDNS1123Label],
    ['subdomain', isDNS1123Label],
    ['priorityClassName', isDNS1123Subdomain],
  ] as const) {
    const v = optString(spec[key], `${field}.${key}`, errs);
    if (v !== '') for (const msg of check(v)) errs.push(invalid(`${field}.${key}`, v, msg));
  }
  if (!isUnset(spec.runtimeClassName)) {
    const v = optString(spec.runtimeClassName, `${field}.runtimeClassName`, errs);
    for (const msg of isDNS1123Subdomain(v)) errs.push(invalid(`${field}.runtimeClassName`, v, msg));
  }

  const deadline = optInt(spec.activeDeadlineSeconds, `${field}.activeDeadlineSeconds`, errs);
  if (deadline !== undefined && (deadline < 1 || deadline > MAX_INT32)) {
    errs.push(invalid(`${field}.activeDeadlineSeconds`, deadline, inclusiveRangeError(1, MAX_INT32)));
  }
  errs.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  eachObject(spec.hostAliases, `${field}.hostAliases`, errs, (a, path) => {
    const ip = optString(a.ip, `${path}.ip`, errs);
    for (const msg of isValidIP(ip)) errs.push(invalid(`${path}.ip`, ip, msg));
    const hostnames = optArray(a.hostnames, `${path}.hostnames`, errs) ?? [];
    hostnames.forEach((h, j) => {
      const hp = `${path}.hostnames[${j}]`;
      const name = optString(h, hp, errs);
      if (typeof h === 'string') for (const msg of isDNS1123Subdomain(name)) errs.push(invalid(hp, name, msg));
    });
  });
  if (!isUnset(spec.preemptionPolicy)) {
    const p = optString(spec.preemptionPolicy, `${field}.preemptionPolicy`, errs);
    if (p === '') errs.push(required(`${field}.preemptionPolicy`));
    else if (p !== 'PreemptLowerPriority' && p !== 'Never') errs.push(notSupported(`${field}.preemptionPolicy`, p, ['PreemptLowerPriority', 'Never']));
  }
  if (!isUnset(spec.overhead)) validateResourceList(spec.overhead, `${field}.overhead`, errs);
  const os = optObject(spec.os, `${field}.os`, errs);
  if (os) {
    const name = optString(os.name, `${field}.os.name`, errs);
    if (name === '') errs.push(required(`${field}.os.name`));
    else if (name !== 'linux' && name !== 'windows') errs.push(notSupported(`${field}.os.name`, name, ['linux', 'windows']));
  }
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'automountServiceAccountToken', 'enableServiceLinks', 'hostUsers', 'setHostnameAsFQDN']) {
    optBool(spec[key], `${field}.${key}`, errs);
  }
  optInt(spec.priority, `${field}.priority`, errs);
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(invalid(`${field}.securityContext.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  return errs;
}

function validateVolumes(v: unknown, field: string, errs: FieldError[]): VolumeMap {
  const vols: VolumeMap = new Map();
  const names = new Set<string>();
  eachObject(v, field, errs, (vol, path) => {
    const el: FieldError[] = [];
    const name = optString(vol.name, `${path}.name`, el);
    validateVolumeSource(vol, path, el);
    if (name === '') el.push(required(`${path}.name`));
    else for (const msg of isDNS1123Label(name)) el.push(invalid(`${path}.name`, name, msg));
    if (names.has(name)) el.push(duplicate(`${path}.name`, name));
    if (el.length === 0) {
      names.add(name);
      vols.set(name, vol);
    } else {
      errs.push(...el);
    }
  });
  return vols;
}

function validateVolumeSource(vol: JsonObject, path: string, errs: FieldError[]): void {
  let count = 0;
  for (const key of VOLUME_SOURCES) {
    if (isUnset(vol[key])) continue;
    if (count > 0) {
      errs.push(forbidden(`${path}.${VOLUME_SOURCE_ERROR_PATH[key] ?? key}`, 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const src = optObject(vol[key], `${path}.${key}`, errs);
    if (src) validateOneVolumeSource(key, src, `${path}.${key}`, errs);
  }
  if (count === 0) errs.push(required(path, 'must specify a volume type'));
}

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'] as const;

function validateOneVolumeSource(kind: string, src: JsonObject, path: string, errs: FieldError[]): void {
  const requireString = (key: string): string => {
    const v = optString(src[key], `${path}.${key}`, errs);
    if (v === '') errs.push(required(`${path}.${key}`));
    return v;
  };
  switch (kind) {
    case 'emptyDir': {
      optString(src.medium, `${path}.medium`, errs);
      if (!isUnset(src.sizeLimit)) {
        const q = quantityAt(src.sizeLimit, `${path}.sizeLimit`, errs);
        if (q && q.sign < 0) errs.push(forbidden(`${path}.sizeLimit`, 'SizeLimit field must be a valid resource quantity'));
      }
      break;
    }
    case 'hostPath': {
      const p = requireString('path');
      if (p === '') break;
      errs.push(...validatePathNoBacksteps(p, `${path}.path`));
      const t = optString(src.type, `${path}.type`, errs);
      if (!(HOST_PATH_TYPES as readonly string[]).includes(t)) errs.push(notSupported(`${path}.type`, t, HOST_PATH_TYPES));
      break;
    }
    case 'secret':
      requireString('secretName');
      validateFileMode(src.defaultMode, `${path}.defaultMode`, errs);
      validateKeyToPaths(src.items, `${path}.items`, errs);
      break;
    case 'configMap':
      requireString('name');
      validateFileMode(src.defaultMode, `${path}.defaultMode`, errs);
      validateKeyToPaths(src.items, `${path}.items`, errs);
      break;
    case 'persistentVolumeClaim':
      requireString('claimName');
      optBool(src.readOnly, `${path}.readOnly`, errs);
      break;
    case 'nfs': {
      requireString('server');
      const p = requireString('path');
      if (p !== '' && !p.startsWith('/')) errs.push(invalid(`${path}.path`, p, 'must be an absolute path'));
      break;
    }
    case 'csi':
      requireString('driver');
      break;
    case 'gitRepo':
      requireString('repository');
      errs.push(...validateLocalDescendingPath(optString(src.directory, `${path}.directory`, errs), `${path}.directory`));
      break;
    case 'downwardAPI':
      validateFileMode(src.defaultMode, `${path}.defaultMode`, errs);
      validateDownwardAPIItems(src.items, `${path}.items`, errs);
      break;
    case 'projected':
      validateFileMode(src.defaultMode, `${path}.defaultMode`, errs);
      eachObject(src.sources, `${path}.sources`, errs, (s, sp) => {
        let n = 0;
        for (const key of ['secret', 'downwardAPI', 'configMap', 'serviceAccountToken', 'clusterTrustBundle']) {
          if (isUnset(s[key])) continue;
          if (n > 0) errs.push(forbidden(`${sp}.${key}`, 'may not specify more than 1 volume type per source'));
          n++;
          const inner = optObject(s[key], `${sp}.${key}`, errs);
          if (!inner) continue;
          if (key === 'secret' || key === 'configMap') validateKeyToPaths(inner.items, `${sp}.${key}.items`, errs);
          if (key === 'downwardAPI') validateDownwardAPIItems(inner.items, `${sp}.downwardAPI.items`, errs);
          if (key === 'serviceAccountToken') {
            const p = optString(inner.path, `${sp}.serviceAccountToken.path`, errs);
            if (p === '') errs.push(required(`${sp}.serviceAccountToken.path`));
            const exp = optInt(inner.expirationSeconds, `${sp}.serviceAccountToken.expirationSeconds`, errs);
            if (exp !== undefined && exp < 600) errs.push(invalid(`${sp}.serviceAccountToken.expirationSeconds`, exp, 'may not specify a duration less than 10 minutes'));
          }
        }
        if (n === 0) errs.push(required(sp, 'must specify exactly one volume type'));
      });
      break;
    case 'ephemeral':
      if (!isObject(src.volumeClaimTemplate)) errs.push(required(`${path}.volumeClaimTemplate`));
      break;
    case 'image':
      requireString('reference');
      break;
    default:
      break;
  }
}

function validateFileMode(v: unknown, path: string, errs: FieldError[]): void {
  const mode = optInt(v, path, errs);
  if (mode !== undefined && (mode > 0o777 || mode < 0)) errs.push(invalid(path, mode, FILE_MODE_ERROR));
}

function validateKeyToPaths(items: unknown, field: string, errs: FieldError[]): void {
  eachObject(items, field, errs, (kp, path) => {
    const key = optString(kp.key, `${path}.key`, errs);
    const p = optString(kp.path, `${path}.path`, errs);
    if (key === '') errs.push(required(`${path}.key`));
    if (p === '') errs.push(required(`${path}.path`));
    errs.push(...validateLocalNonReservedPath(p, `${path}.path`));
    validateFileMode(kp.mode, `${path}.mode`, errs);
  });
}

function validateDownwardAPIItems(items: unknown, field: string, errs: FieldError[]): void {
  eachObject(items, field, errs, (item, path) => {
    const p = optString(item.path, `${path}.path`, errs);
    if (p === '') errs.push(required(`${path}.path`));
    errs.push(...validateLocalNonReservedPath(p, `${path}.path`));
    validateFileMode(item.mode, `${path}.mode`, errs);
    const fieldRef = optObject(item.fieldRef, `${path}.fieldRef`, errs);
    const resourceFieldRef = optObject(item.resourceFieldRef, `${path}.resourceFieldRef`, errs);
    if (fieldRef) validateObjectFieldSelector(fieldRef, VOLUME_FIELD_PATHS, `${path}.fieldRef`, errs);
    if (resourceFieldRef) validateResourceFieldSelector(resourceFieldRef, `${path}.resourceFieldRef`, true, errs);
    if (fieldRef && resourceFieldRef) errs.push(invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    else if (isUnset(item.fieldRef) && isUnset(item.resourceFieldRef)) errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  });
}

function validatePathNoBacksteps(p: string, field: string): FieldError[] {
  return p.split('/').includes('..') ? [invalid(field, p, "must not contain '..'")] : [];
}

function validateLocalDescendingPath(p: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(field, p, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(p, field));
  return errs;
}

function validateLocalNonReservedPath(p: string, field: string): FieldError[] {
  const errs = validateLocalDescendingPath(p, field);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(field, p, "must not start with '..'"));
  return errs;
}

// ---- containers ----

function validateContainers(
  v: unknown,
  volumes: VolumeMap,
  grace: number | undefined,
  field: string,
  podRestartPolicy: string,
  errs: FieldError[],
): void {
  if (isUnset(v) || (Array.isArray(v) && v.length === 0)) {
    errs.push(required(field));
    return;
  }
  const names = new Set<string>();
  eachObject(v, field, errs, (c, path) => {
    const name = validateContainerCommon(c, volumes, path, podRestartPolicy, errs);
    if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
    else names.add(name);
    if (!isUnset(c.lifecycle)) validateLifecycle(c.lifecycle, grace, `${path}.lifecycle`, errs);
    validateProbe(c.livenessProbe, grace, `${path}.livenessProbe`, 'liveness', errs);
    validateProbe(c.readinessProbe, grace, `${path}.readinessProbe`, 'readiness', errs);
    validateProbe(c.startupProbe, grace, `${path}.startupProbe`, 'startup', errs);
    if (!isUnset(c.restartPolicy)) errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
  });
  if (Array.isArray(v)) errs.push(...checkHostPortConflicts(objectsOf(v), v, field));
}

function validateInitContainers(v: unknown, regular: unknown, volumes: VolumeMap, grace: number | undefined, field: string, errs: FieldError[]): void {
  const names = new Set<string>(objectsOf(regular).map((c) => stringOf(c.name)));
  eachObject(v, field, errs, (c, path, i) => {
    validateContainerCommon(c, volumes, path, '', errs);
    let restartAlways = false;
    if (!isUnset(c.restartPolicy)) {
      const rp = optString(c.restartPolicy, `${path}.restartPolicy`, errs);
      if (rp !== 'Always') errs.push(notSupported(`${path}.restartPolicy`, rp, ['Always']));
      restartAlways = rp === 'Always';
    }
    const name = stringOf(c.name);
    if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
    else if (name !== '') names.add(name);
    errs.push(...checkHostPortConflicts([c], [c], field, i));
    if (restartAlways) {
      if (!isUnset(c.lifecycle)) validateLifecycle(c.lifecycle, grace, `${path}.lifecycle`, errs);
      validateProbe(c.livenessProbe, grace, `${path}.livenessProbe`, 'liveness', errs);
      validateProbe(c.readinessProbe, grace, `${path}.readinessProbe`, 'readiness', errs);
      validateProbe(c.startupProbe, grace, `${path}.startupProbe`, 'startup', errs);
    } else {
      for (const key of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (!isUnset(c[key])) errs.push(forbidden(`${path}.${key}`, 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
}

/** Validation every container kind shares; returns the container's name ('' when missing). */
function validateContainerCommon(c: JsonObject, volumes: VolumeMap, path: string, podRestartPolicy: string, errs: FieldError[]): string {
  const name = optString(c.name, `${path}.name`, errs);
  if (name === '') errs.push(required(`${path}.name`));
  else for (const msg of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));

  const image = optString(c.image, `${path}.image`, errs);
  if (image === '') errs.push(required(`${path}.image`));

  const tmp = optString(c.terminationMessagePolicy, `${path}.terminationMessagePolicy`, errs);
  if (tmp === '') errs.push(required(`${path}.terminationMessagePolicy`));
  else if (!(TERMINATION_MESSAGE_POLICIES as readonly string[]).includes(tmp)) errs.push(notSupported(`${path}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  optString(c.terminationMessagePath, `${path}.terminationMessagePath`, errs);
  optString(c.workingDir, `${path}.workingDir`, errs);
  for (const key of ['command', 'args']) {
    const list = optArray(c[key], `${path}.${key}`, errs) ?? [];
    list.forEach((s, i) => {
      if (typeof s !== 'string') errs.push(typeInvalid(`${path}.${key}[${i}]`, s, 'must be a string'));
    });
  }
  for (const key of ['stdin', 'stdinOnce', 'tty']) optBool(c[key], `${path}.${key}`, errs);

  validateContainerPorts(c.ports, `${path}.ports`, errs);
  validateEnv(c.env, `${path}.env`, errs);
  validateEnvFrom(c.envFrom, `${path}.envFrom`, errs);
  const devicePaths = new Map<string, string>();
  eachObject(c.volumeDevices, `${path}.volumeDevices`, [], (d) => devicePaths.set(stringOf(d.name), stringOf(d.devicePath)));
  validateVolumeMounts(c.volumeMounts, devicePaths, volumes, `${path}.volumeMounts`, errs);
  validateVolumeDevices(c.volumeDevices, c.volumeMounts, volumes, `${path}.volumeDevices`, errs);

  const pull = optString(c.imagePullPolicy, `${path}.imagePullPolicy`, errs);
  if (pull === '') errs.push(required(`${path}.imagePullPolicy`));
  else if (!(PULL_POLICIES as readonly string[]).includes(pull)) errs.push(notSupported(`${path}.imagePullPolicy`, pull, PULL_POLICIES));

  validateResourceRequirements(c.resources, `${path}.resources`, errs);
  validateResizePolicy(c.resizePolicy, `${path}.resizePolicy`, podRestartPolicy, errs);
  validateContainerSecurityContext(c.securityContext, `${path}.securityContext`, errs);
  return name;
}

function validateContainerPorts(v: unknown, field: string, errs: FieldError[]): void {
  const names = new Set<string>();
  eachObject(v, field, errs, (p, path) => {
    const name = optString(p.name, `${path}.name`, errs);
    if (name !== '') {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const msg of msgs) errs.push(invalid(`${path}.name`, name, msg));
      else if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      else names.add(name);
    }
    const containerPort = optInt(p.containerPort, `${path}.containerPort`, errs);
    if (isUnset(p.containerPort) || containerPort === 0) errs.push(required(`${path}.containerPort`));
    else if (containerPort !== undefined) for (const msg of isValidPortNum(containerPort)) errs.push(invalid(`${path}.containerPort`, containerPort, msg));
    const hostPort = optInt(p.hostPort, `${path}.hostPort`, errs);
    if (hostPort !== undefined && hostPort !== 0) for (const msg of isValidPortNum(hostPort)) errs.push(invalid(`${path}.hostPort`, hostPort, msg));
    const protocol = optString(p.protocol, `${path}.protocol`, errs);
    if (protocol === '') errs.push(required(`${path}.protocol`));
    else if (!(PORT_PROTOCOLS as readonly string[]).includes(protocol)) errs.push(notSupported(`${path}.protocol`, protocol, PORT_PROTOCOLS));
    const hostIP = optString(p.hostIP, `${path}.hostIP`, errs);
    if (hostIP !== '') for (const msg of isValidIP(hostIP)) errs.push(invalid(`${path}.hostIP`, hostIP, msg));
  });
}

/** Host ports used twice (same protocol/hostIP/port) within `containers`; `offset` is the first container's index in `field`. */
function checkHostPortConflicts(containers: JsonObject[], raw: unknown[], field: string, offset = 0): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c) => {
    const ci = offset + raw.indexOf(c);
    objectsOf(c.ports).forEach((p, pi) => {
      const port = numberOf(p.hostPort);
      if (port === 0) return;
      const key = `${stringOf(p.protocol)}/${stringOf(p.hostIP)}/${port}`;
      if (seen.has(key)) errs.push(duplicate(`${field}[${ci}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateHostNetworkDeps(spec: JsonObject, field: string, opts: PodSpecValidationOptions, errs: FieldError[]): void {
  if (spec.hostNetwork !== true) return;
  objectsOf(spec.containers).forEach((c, i) => {
    objectsOf(c.ports).forEach((p, j) => {
      const hp = numberOf(p.hostPort);
      const cp = numberOf(p.containerPort);
      if ((opts.pod || hp !== 0) && hp !== cp) {
        errs.push(invalid(`${field}.containers[${i}].ports[${j}].hostPort`, hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
}

// ---- environment ----

const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'] as const;
/** What ConvertDownwardAPIFieldLabel accepts for v1 (before the per-use allow list). */
const CONVERTIBLE_FIELD_PATHS = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
  'spec.host',
]);
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'] as const;

function validateEnv(v: unknown, field: string, errs: FieldError[]): void {
  eachObject(v, field, errs, (e, path) => {
    const name = optString(e.name, `${path}.name`, errs);
    if (name === '') errs.push(required(`${path}.name`));
    else for (const msg of isEnvVarName(name)) errs.push(invalid(`${path}.name`, name, msg));
    const value = optString(e.value, `${path}.value`, errs);
    const from = optObject(e.valueFrom, `${path}.valueFrom`, errs);
    if (!from) return;
    const fp = `${path}.valueFrom`;
    let n = 0;
    const fieldRef = optObject(from.fieldRef, `${fp}.fieldRef`, errs);
    if (fieldRef) {
      n++;
      validateObjectFieldSelector(fieldRef, ENV_FIELD_PATHS, `${fp}.fieldRef`, errs);
    }
    const resourceFieldRef = optObject(from.resourceFieldRef, `${fp}.resourceFieldRef`, errs);
    if (resourceFieldRef) {
      n++;
      validateResourceFieldSelector(resourceFieldRef, `${fp}.resourceFieldRef`, false, errs);
    }
    for (const key of ['configMapKeyRef', 'secretKeyRef']) {
      const ref = optObject(from[key], `${fp}.${key}`, errs);
      if (!ref) continue;
      n++;
      const refName = optString(ref.name, `${fp}.${key}.name`, errs);
      for (const msg of isDNS1123Subdomain(refName)) errs.push(invalid(`${fp}.${key}.name`, refName, msg));
      const key2 = optString(ref.key, `${fp}.${key}.key`, errs);
      if (key2 === '') errs.push(required(`${fp}.${key}.key`));
      else for (const msg of isConfigMapKey(key2)) errs.push(invalid(`${fp}.${key}.key`, key2, msg));
      optBool(ref.optional, `${fp}.${key}.optional`, errs);
    }
    if (n === 0) errs.push(invalid(fp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (value !== '') errs.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(invalid(fp, '', 'may not have more than one field specified at a time'));
  });
}

function validateEnvFrom(v: unknown, field: string, errs: FieldError[]): void {
  eachObject(v, field, errs, (e, path) => {
    const prefix = optString(e.prefix, `${path}.prefix`, errs);
    if (prefix !== '') for (const msg of isEnvVarName(prefix)) errs.push(invalid(`${path}.prefix`, prefix, msg));
    let n = 0;
    for (const key of ['configMapRef', 'secretRef']) {
      const ref = optObject(e[key], `${path}.${key}`, errs);
      if (!ref) continue;
      n++;
      const name = optString(ref.name, `${path}.${key}.name`, errs);
      if (name === '') errs.push(required(`${path}.${key}.name`));
      else for (const msg of isDNS1123Subdomain(maskTrailingDash(name))) errs.push(invalid(`${path}.${key}.name`, name, msg));
    }
    if (n === 0) errs.push(invalid(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(field, '', 'may not have more than one field specified at a time'));
  });
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const configMapKeyRe = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);

/** IsConfigMapKey: at most 253 characters of `[-._a-zA-Z0-9]`, not `.`/`..`-prefixed. */
function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 253) errs.push(maxLenError(253));
  if (!configMapKeyRe.test(v)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  }
  errs.push(...hasChDirPrefix(v));
  return errs;
}

function validateObjectFieldSelector(ref: JsonObject, allowed: readonly string[], path: string, errs: FieldError[]): void {
  const apiVersion = optString(ref.apiVersion, `${path}.apiVersion`, errs);
  if (apiVersion === '') {
    errs.push(required(`${path}.apiVersion`));
    return;
  }
  const fieldPath = optString(ref.fieldPath, `${path}.fieldPath`, errs);
  if (fieldPath === '') {
    errs.push(required(`${path}.fieldPath`));
    return;
  }
  const sub = /^(metadata\.[a-z]+)\['(.*)'\]$/.exec(fieldPath);
  if (apiVersion !== 'v1') {
    errs.push(invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: unsupported pod version: ${apiVersion}`));
    return;
  }
  if (sub) {
    const base = sub[1]!;
    const key = sub[2]!;
    if (base === 'metadata.annotations') for (const msg of isQualifiedName(key.toLowerCase())) errs.push(invalid(path, key.toLowerCase(), msg));
    else if (base === 'metadata.labels') for (const msg of isQualifiedName(key)) errs.push(invalid(path, key, msg));
    else errs.push(invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: field label does not support subscript: ${fieldPath}`));
    return;
  }
  if (!CONVERTIBLE_FIELD_PATHS.has(fieldPath)) {
    errs.push(invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: field label not supported: ${fieldPath}`));
    return;
  }
  const internal = fieldPath === 'spec.host' ? 'spec.nodeName' : fieldPath;
  if (!allowed.includes(internal)) errs.push(notSupported(`${path}.fieldPath`, internal, allowed));
}

function validateResourceFieldSelector(ref: JsonObject, path: string, volume: boolean, errs: FieldError[]): void {
  const containerName = optString(ref.containerName, `${path}.containerName`, errs);
  const resource = optString(ref.resource, `${path}.resource`, errs);
  if (volume && containerName === '') errs.push(required(`${path}.containerName`));
  else if (resource === '') errs.push(required(`${path}.resource`));
  else if (!(RESOURCE_FIELD_PATHS as readonly string[]).includes(resource) && !/^(requests|limits)\.hugepages-/.test(resource)) {
    errs.push(notSupported(`${path}.resource`, resource, RESOURCE_FIELD_PATHS));
  }
  if (!isUnset(ref.divisor)) quantityAt(ref.divisor, `${path}.divisor`, errs);
}

// ---- volume mounts and devices ----

const MOUNT_PROPAGATIONS = ['Bidirectional', 'HostToContainer', 'None'] as const;

function validateVolumeMounts(v: unknown, devices: Map<string, string>, volumes: VolumeMap, field: string, errs: FieldError[]): void {
  const mountPaths = new Set<string>();
  eachObject(v, field, errs, (m, path) => {
    const name = optString(m.name, `${path}.name`, errs);
    if (name === '') errs.push(required(`${path}.name`));
    if (!volumes.has(name)) errs.push(notFound(`${path}.name`, name));
    const mountPath = optString(m.mountPath, `${path}.mountPath`, errs);
    if (mountPath === '') errs.push(required(`${path}.mountPath`));
    if (mountPaths.has(mountPath)) errs.push(invalid(`${path}.mountPath`, mountPath, 'must be unique'));
    mountPaths.add(mountPath);
    if (devices.has(name)) errs.push(invalid(`${path}.name`, name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath)) errs.push(invalid(`${path}.mountPath`, mountPath, 'must not already exist as a path in volumeDevices'));
    optBool(m.readOnly, `${path}.readOnly`, errs);
    const subPath = optString(m.subPath, `${path}.subPath`, errs);
    const subPathExpr = optString(m.subPathExpr, `${path}.subPathExpr`, errs);
    // Kubernetes reports subPath problems at the list's path (fldPath.Child("subPath")), not the item's.
    if (subPath !== '') errs.push(...validateLocalDescendingPath(subPath, `${field}.subPath`));
    if (subPathExpr !== '') {
      if (subPath !== '') errs.push(invalid(`${path}.subPathExpr`, subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, `${field}.subPathExpr`));
    }
    if (!isUnset(m.mountPropagation)) {
      const mp = optString(m.mountPropagation, `${field}.mountPropagation`, errs);
      if (!(MOUNT_PROPAGATIONS as readonly string[]).includes(mp)) errs.push(notSupported(`${field}.mountPropagation`, mp, MOUNT_PROPAGATIONS));
    }
  });
}

function validateVolumeDevices(v: unknown, mounts: unknown, volumes: VolumeMap, field: string, errs: FieldError[]): void {
  const mountMap = new Map<string, string>();
  for (const m of objectsOf(mounts)) mountMap.set(stringOf(m.name), stringOf(m.mountPath));
  const names = new Set<string>();
  const paths = new Set<string>();
  eachObject(v, field, errs, (d, path) => {
    const name = optString(d.name, `${path}.name`, errs);
    const devicePath = optString(d.devicePath, `${path}.devicePath`, errs);
    const vol = volumes.get(name);
    if (name === '') errs.push(required(`${path}.name`));
    if (names.has(name)) errs.push(invalid(`${path}.name`, name, 'must be unique'));
    if (vol && isUnset(vol.persistentVolumeClaim) && isUnset(vol.ephemeral)) {
      errs.push(invalid(`${path}.name`, name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    }
    if (!vol) errs.push(notFound(`${path}.name`, name));
    if (devicePath === '') errs.push(required(`${path}.devicePath`));
    if (paths.has(devicePath)) errs.push(invalid(`${path}.devicePath`, devicePath, 'must be unique'));
    if (devicePath !== '' && devicePath.split('/').includes('..')) errs.push(invalid(`${path}.devicePath`, devicePath, "can not contain backsteps ('..')"));
    else paths.add(devicePath);
    if (mountMap.has(name)) errs.push(invalid(`${path}.name`, name, 'must not already exist in volumeMounts'));
    if ([...mountMap.values()].includes(devicePath)) errs.push(invalid(`${path}.devicePath`, devicePath, 'must not already exist as a path in volumeMounts'));
    if (name !== '') names.add(name);
  });
}

// ---- probes and lifecycle handlers ----

function validateProbe(v: unknown, grace: number | undefined, path: string, kind: 'liveness' | 'readiness' | 'startup', errs: FieldError[]): void {
  const probe = optObject(v, path, errs);
  if (!probe) return;
  validateHandler(probe, grace, path, false, errs);
  for (const key of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonNegative(probe[key], `${path}.${key}`));
  }
  const tgps = optInt(probe.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`, errs);
  if (tgps !== undefined && tgps <= 0) errs.push(invalid(`${path}.terminationGracePeriodSeconds`, tgps, 'must be greater than 0'));
  if (kind !== 'readiness' && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1) {
    errs.push(invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  if (kind === 'readiness' && !isUnset(probe.terminationGracePeriodSeconds)) {
    errs.push(invalid(`${path}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
}

function validateLifecycle(v: unknown, grace: number | undefined, path: string, errs: FieldError[]): void {
  const lc = optObject(v, path, errs);
  if (!lc) return;
  for (const key of ['postStart', 'preStop']) {
    const h = optObject(lc[key], `${path}.${key}`, errs);
    if (h) validateHandler(h, grace, `${path}.${key}`, true, errs);
  }
}

/** Exactly one handler (exec, httpGet, tcpSocket, and grpc for probes or sleep for lifecycle hooks). */
function validateHandler(h: JsonObject, grace: number | undefined, path: string, lifecycle: boolean, errs: FieldError[]): void {
  const kinds = lifecycle ? ['exec', 'httpGet', 'tcpSocket', 'sleep'] : ['exec', 'httpGet', 'tcpSocket', 'grpc'];
  let n = 0;
  for (const kind of kinds) {
    if (isUnset(h[kind])) continue;
    if (n > 0) {
      errs.push(forbidden(`${path}.${kind}`, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const a = optObject(h[kind], `${path}.${kind}`, errs);
    if (!a) continue;
    const ap = `${path}.${kind}`;
    switch (kind) {
      case 'exec': {
        const cmd = optArray(a.command, `${ap}.command`, errs);
        if (isUnset(a.command) || cmd?.length === 0) errs.push(required(`${ap}.command`));
        break;
      }
      case 'httpGet': {
        const p = optString(a.path, `${ap}.path`, errs);
        if (p === '') errs.push(required(`${ap}.path`));
        validatePortNumOrName(a.port, `${ap}.port`, errs);
        const scheme = optString(a.scheme, `${ap}.scheme`, errs);
        if (!(HTTP_SCHEMES as readonly string[]).includes(scheme)) errs.push(notSupported(`${ap}.scheme`, scheme, HTTP_SCHEMES));
        eachObject(a.httpHeaders, `${ap}.httpHeaders`, errs, (hh, hp) => {
          const name = optString(hh.name, `${hp}.name`, errs);
          if (!/^[-A-Za-z0-9]+$/.test(name)) {
            errs.push(invalid(`${ap}.httpHeaders`, name, regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name')));
          }
        });
        break;
      }
      case 'tcpSocket':
        validatePortNumOrName(a.port, `${ap}.port`, errs);
        break;
      case 'grpc': {
        const port = optInt(a.port, `${ap}.port`, errs);
        if (port !== undefined) for (const msg of isValidPortNum(port)) errs.push(invalid(`${ap}.port`, port, msg));
        else if (isUnset(a.port)) errs.push(invalid(`${ap}.port`, 0, inclusiveRangeError(1, 65535)));
        break;
      }
      case 'sleep': {
        const seconds = optInt(a.seconds, `${ap}.seconds`, errs) ?? 0;
        if (grace !== undefined && (seconds <= 0 || seconds > grace)) {
          errs.push(invalid(ap, seconds, `must be greater than 0 and less than terminationGracePeriodSeconds (${grace}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`));
        }
        break;
      }
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
}

/** An IntOrString port: a number 1..65535 or an IANA service name. */
function validatePortNumOrName(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'number' && Number.isInteger(v)) {
    for (const msg of isValidPortNum(v)) errs.push(invalid(path, v, msg));
  } else if (typeof v === 'string') {
    for (const msg of isValidPortName(v)) errs.push(invalid(path, v, msg));
  } else if (isUnset(v)) {
    errs.push(invalid(path, 0, inclusiveRangeError(1, 65535)));
  } else {
    errs.push(typeInvalid(path, v, 'must be an integer or a string'));
  }
}

// ---- resources ----

/** A parsed quantity as validation needs it. */
interface QuantityInfo {
  /** -1, 0 or 1 */
  readonly sign: number;
  /** the exact value in nano-units */
  readonly nano: bigint;
  /** the value in milli-units, rounded up in magnitude (MilliValue) */
  readonly milli: bigint;
  /** Kubernetes' canonical form, shown in messages */
  readonly text: string;
}

/** Parses a quantity field; a type or syntax error (and undefined) when it is not one. */
function quantityAt(v: unknown, path: string, errs: FieldError[]): QuantityInfo | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') {
    errs.push(typeInvalid(path, v, 'must be a quantity (a string or a number)'));
    return undefined;
  }
  try {
    return quantityInfo(v);
  } catch (e) {
    errs.push(invalid(path, v, e instanceof Error ? e.message : String(e)));
    return undefined;
  }
}

/** Throws on bad syntax (parseQuantity's error). */
function quantityInfo(v: string | number): QuantityInfo {
  const q = parseQuantity(v);
  return { sign: q.nano < 0n ? -1 : q.nano > 0n ? 1 : 0, nano: q.nano, milli: q.milli, text: q.toString() };
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isHugePageResource(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** No domain, or a kubernetes.io domain: resources Kubernetes itself defines. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResource(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

function validateContainerResourceName(name: string, path: string, errs: FieldError[]): void {
  const msgs = isQualifiedName(name);
  for (const msg of msgs) errs.push(invalid(path, name, msg));
  if (msgs.length) return;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePageResource(name)) errs.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResource(name)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
}

/** Parsed quantities of a resource list (limits, requests, overhead), by resource name. */
function resourceListAt(v: unknown, path: string, errs: FieldError[]): Map<string, QuantityInfo> {
  const out = new Map<string, QuantityInfo>();
  const list = optObject(v, path, errs);
  if (!list) return out;
  for (const [name, raw] of Object.entries(list)) {
    const fp = `${path}[${name}]`;
    validateContainerResourceName(name, fp, errs);
    const q = quantityAt(raw, fp, errs);
    if (!q) continue;
    if (q.sign < 0) errs.push(invalid(fp, q.text, 'must be greater than or equal to 0'));
    if (isExtendedResource(name) && q.milli % 1000n !== 0n) errs.push(invalid(fp, q.text, 'must be an integer'));
    out.set(name, q);
  }
  return out;
}

function validateResourceList(v: unknown, path: string, errs: FieldError[]): void {
  resourceListAt(v, path, errs);
}

function validateResourceRequirements(v: unknown, path: string, errs: FieldError[]): void {
  const res = optObject(v, path, errs);
  if (!res) return;
  const limits = resourceListAt(res.limits, `${path}.limits`, errs);
  const requests = resourceListAt(res.requests, `${path}.requests`, errs);
  for (const [name, q] of requests) {
    const limit = limits.get(name);
    const overcommit = isNativeResource(name) && !isHugePageResource(name);
    if (limit) {
      if (q.nano !== limit.nano && !overcommit) errs.push(invalid(`${path}.requests`, q.text, `must be equal to ${name} limit of ${limit.text}`));
      else if (q.nano > limit.nano) errs.push(invalid(`${path}.requests`, q.text, `must be less than or equal to ${name} limit of ${limit.text}`));
    } else if (!overcommit && (!isObject(res.limits) || !(name in res.limits))) {
      errs.push(required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  const hugePages = [...limits.keys(), ...requests.keys()].some(isHugePageResource);
  const cpuOrMemory = [...limits.keys(), ...requests.keys()].some((n) => n === 'cpu' || n === 'memory');
  if (hugePages && !cpuOrMemory) errs.push(forbidden(path, 'HugePages require cpu or memory'));
  eachObject(res.claims, `${path}.claims`, errs, (c, cp) => {
    const name = optString(c.name, `${cp}.name`, errs);
    if (name === '') errs.push(required(`${cp}.name`));
  });
}

function validateResizePolicy(v: unknown, field: string, podRestartPolicy: string, errs: FieldError[]): void {
  const seen = new Set<string>();
  eachObject(v, field, errs, (p, path) => {
    const name = optString(p.resourceName, `${path}.resourceName`, errs);
    if (seen.has(name)) errs.push(duplicate(path, name));
    seen.add(name);
    if (name === '') errs.push(required(field));
    else if (name !== 'cpu' && name !== 'memory') errs.push(notSupported(field, name, ['cpu', 'memory']));
    const policy = optString(p.restartPolicy, `${path}.restartPolicy`, errs);
    if (policy === '') errs.push(required(field));
    else if (policy !== 'NotRequired' && policy !== 'RestartContainer') errs.push(notSupported(field, policy, ['NotRequired', 'RestartContainer']));
    if (podRestartPolicy === 'Never' && policy !== 'NotRequired') errs.push(invalid(field, policy, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
  });
}

// ---- security contexts ----

const SECCOMP_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'] as const;

function validateIDs(sc: JsonObject, keys: readonly string[], path: string, errs: FieldError[]): void {
  for (const key of keys) {
    const id = optInt(sc[key], `${path}.${key}`, errs);
    if (id !== undefined && (id < 0 || id > MAX_INT32)) errs.push(invalid(`${path}.${key}`, id, inclusiveRangeError(0, MAX_INT32)));
  }
}

function validateSeccompProfile(v: unknown, path: string, errs: FieldError[]): void {
  const p = optObject(v, path, errs);
  if (!p) return;
  const t = optString(p.type, `${path}.type`, errs);
  if (t === '') errs.push(required(`${path}.type`, 'type is required when seccompProfile is set'));
  else if (!(SECCOMP_TYPES as readonly string[]).includes(t)) errs.push(notSupported(`${path}.type`, t, SECCOMP_TYPES));
  else if (t === 'Localhost' && stringOf(p.localhostProfile) === '') errs.push(required(`${path}.localhostProfile`, 'must be set when seccomp type is Localhost'));
  else if (t !== 'Localhost' && !isUnset(p.localhostProfile)) errs.push(invalid(`${path}.localhostProfile`, p.localhostProfile, 'can only be set when seccomp type is Localhost'));
}

function validatePodSecurityContext(v: unknown, path: string, errs: FieldError[]): void {
  const sc = optObject(v, path, errs);
  if (!sc) return;
  validateIDs(sc, ['fsGroup', 'runAsUser', 'runAsGroup'], path, errs);
  const groups = optArray(sc.supplementalGroups, `${path}.supplementalGroups`, errs) ?? [];
  groups.forEach((g, i) => {
    const gp = `${path}.supplementalGroups[${i}]`;
    const id = optInt(g, gp, errs);
    if (id !== undefined && (id < 0 || id > MAX_INT32)) errs.push(invalid(gp, id, inclusiveRangeError(0, MAX_INT32)));
  });
  optBool(sc.runAsNonRoot, `${path}.runAsNonRoot`, errs);
  const names = new Set<string>();
  eachObject(sc.sysctls, `${path}.sysctls`, errs, (s, sp) => {
    const name = optString(s.name, `${sp}.name`, errs);
    optString(s.value, `${sp}.value`, errs);
    if (name === '') errs.push(required(`${sp}.name`));
    else if (name.length > 253 || !/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(name)) {
      errs.push(invalid(`${sp}.name`, name, 'must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$'));
    } else if (names.has(name)) errs.push(duplicate(`${sp}.name`, name));
    names.add(name);
  });
  if (!isUnset(sc.fsGroupChangePolicy)) {
    const p = optString(sc.fsGroupChangePolicy, `${path}.fsGroupChangePolicy`, errs);
    if (p !== 'Always' && p !== 'OnRootMismatch') errs.push(notSupported(`${path}.fsGroupChangePolicy`, p, ['Always', 'OnRootMismatch']));
  }
  if (!isUnset(sc.supplementalGroupsPolicy)) {
    const p = optString(sc.supplementalGroupsPolicy, `${path}.supplementalGroupsPolicy`, errs);
    if (p !== 'Merge' && p !== 'Strict') errs.push(notSupported(`${path}.supplementalGroupsPolicy`, p, ['Merge', 'Strict']));
  }
  validateSeccompProfile(sc.seccompProfile, `${path}.seccompProfile`, errs);
}

function validateContainerSecurityContext(v: unknown, path: string, errs: FieldError[]): void {
  const sc = optObject(v, path, errs);
  if (!sc) return;
  validateIDs(sc, ['runAsUser', 'runAsGroup'], path, errs);
  const privileged = optBool(sc.privileged, `${path}.privileged`, errs);
  const escalation = optBool(sc.allowPrivilegeEscalation, `${path}.allowPrivilegeEscalation`, errs);
  optBool(sc.readOnlyRootFilesystem, `${path}.readOnlyRootFilesystem`, errs);
  optBool(sc.runAsNonRoot, `${path}.runAsNonRoot`, errs);
  if (!isUnset(sc.procMount)) {
    const pm = optString(sc.procMount, `${path}.procMount`, errs);
    if (pm !== 'Default' && pm !== 'Unmasked') errs.push(notSupported(`${path}.procMount`, pm, ['Default', 'Unmasked']));
  }
  validateSeccompProfile(sc.seccompProfile, `${path}.seccompProfile`, errs);
  const caps = optObject(sc.capabilities, `${path}.capabilities`, errs);
  const add = caps ? optArray(caps.add, `${path}.capabilities.add`, errs) ?? [] : [];
  if (caps) optArray(caps.drop, `${path}.capabilities.drop`, errs);
  if (escalation === false) {
    if (privileged === true) errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (add.includes('CAP_SYS_ADMIN')) errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
  }
}

// ---- scheduling ----

const TOLERATION_OPERATORS = ['Equal', 'Exists'] as const;
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** Tolerations at `field` (ValidateTolerations): key a label name, operator Equal|Exists, effect a taint effect. */
export function validateTolerations(v: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  eachObject(v, field, errs, (t, path) => {
    const key = optString(t.key, `${path}.key`, errs);
    const operator = optString(t.operator, `${path}.operator`, errs);
    const value = optString(t.value, `${path}.value`, errs);
    const effect = optString(t.effect, `${path}.effect`, errs);
    optInt(t.tolerationSeconds, `${path}.tolerationSeconds`, errs);
    if (key !== '') for (const msg of isQualifiedName(key)) errs.push(invalid(`${path}.key`, key, msg));
    if (key === '' && operator !== 'Exists') {
      errs.push(invalid(`${path}.operator`, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (!isUnset(t.tolerationSeconds) && effect !== 'NoExecute') {
      errs.push(invalid(`${path}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (operator === 'Equal' || operator === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length) errs.push(invalid(`${path}.operator`, value, msgs.join(';')));
    } else if (operator === 'Exists') {
      if (value !== '') errs.push(invalid(`${path}.operator`, value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(`${path}.operator`, operator, TOLERATION_OPERATORS));
    }
    if (effect !== '' && !(TAINT_EFFECTS as readonly string[]).includes(effect)) errs.push(notSupported(`${path}.effect`, effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateNodeSelectorTerm(term: JsonObject, path: string, errs: FieldError[]): void {
  eachObject(term.matchExpressions, `${path}.matchExpressions`, errs, (r, rp) => {
    const key = optString(r.key, `${rp}.key`, errs);
    for (const msg of isQualifiedName(key)) errs.push(invalid(`${rp}.key`, key, msg));
    const op = optString(r.operator, `${rp}.operator`, errs);
    const values = optArray(r.values, `${rp}.values`, errs) ?? [];
    switch (op) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(`${rp}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(`${rp}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
        break;
      case 'Gt':
      case 'Lt':
        if (values.length !== 1) errs.push(required(`${rp}.values`, 'must be specified single value when `operator` is \'Lt\' or \'Gt\''));
        break;
      default:
        errs.push(invalid(`${rp}.operator`, op, 'not a valid selector operator'));
    }
  });
  eachObject(term.matchFields, `${path}.matchFields`, errs, (r, rp) => {
    const key = optString(r.key, `${rp}.key`, errs);
    if (key !== 'metadata.name') errs.push(invalid(`${rp}.key`, key, 'not a valid field selector key'));
    const op = optString(r.operator, `${rp}.operator`, errs);
    if (op !== 'In' && op !== 'NotIn') errs.push(invalid(`${rp}.operator`, op, 'not a valid selector operator'));
  });
}

function validatePodAffinityTerm(term: JsonObject, path: string, errs: FieldError[]): void {
  errs.push(...validateLabelSelector(term.labelSelector, `${path}.labelSelector`));
  errs.push(...validateLabelSelector(term.namespaceSelector, `${path}.namespaceSelector`));
  const key = optString(term.topologyKey, `${path}.topologyKey`, errs);
  if (key === '') errs.push(required(`${path}.topologyKey`, 'can not be empty'));
  else for (const msg of isQualifiedName(key)) errs.push(invalid(`${path}.topologyKey`, key, msg));
}

function validateAffinity(v: unknown, path: string, errs: FieldError[]): void {
  const a = optObject(v, path, errs);
  if (!a) return;
  const node = optObject(a.nodeAffinity, `${path}.nodeAffinity`, errs);
  if (node) {
    const np = `${path}.nodeAffinity`;
    const req = optObject(node.requiredDuringSchedulingIgnoredDuringExecution, `${np}.requiredDuringSchedulingIgnoredDuringExecution`, errs);
    if (req) {
      const rp = `${np}.requiredDuringSchedulingIgnoredDuringExecution`;
      const terms = optArray(req.nodeSelectorTerms, `${rp}.nodeSelectorTerms`, errs);
      if (isUnset(req.nodeSelectorTerms) || (terms && terms.length === 0)) errs.push(required(`${rp}.nodeSelectorTerms`, 'must have at least one node selector term'));
      eachObject(req.nodeSelectorTerms, `${rp}.nodeSelectorTerms`, errs, (t, tp) => validateNodeSelectorTerm(t, tp, errs));
    }
    eachObject(node.preferredDuringSchedulingIgnoredDuringExecution, `${np}.preferredDuringSchedulingIgnoredDuringExecution`, errs, (p, pp) => {
      const w = optInt(p.weight, `${pp}.weight`, errs);
      if (w !== undefined && (w < 1 || w > 100)) errs.push(invalid(`${pp}.weight`, w, inclusiveRangeError(1, 100)));
      const pref = optObject(p.preference, `${pp}.preference`, errs);
      if (pref) validateNodeSelectorTerm(pref, `${pp}.preference`, errs);
    });
  }
  for (const key of ['podAffinity', 'podAntiAffinity']) {
    const pa = optObject(a[key], `${path}.${key}`, errs);
    if (!pa) continue;
    const pp = `${path}.${key}`;
    eachObject(pa.requiredDuringSchedulingIgnoredDuringExecution, `${pp}.requiredDuringSchedulingIgnoredDuringExecution`, errs, (t, tp) =>
      validatePodAffinityTerm(t, tp, errs),
    );
    eachObject(pa.preferredDuringSchedulingIgnoredDuringExecution, `${pp}.preferredDuringSchedulingIgnoredDuringExecution`, errs, (w, wp) => {
      const weight = optInt(w.weight, `${wp}.weight`, errs);
      if (weight !== undefined && (weight < 1 || weight > 100)) errs.push(invalid(`${wp}.weight`, weight, inclusiveRangeError(1, 100)));
      const term = optObject(w.podAffinityTerm, `${wp}.podAffinityTerm`, errs);
      if (term) validatePodAffinityTerm(term, `${wp}.podAffinityTerm`, errs);
    });
  }
}

function validateTopologySpreadConstraints(v: unknown, field: string, errs: FieldError[]): void {
  const seen = new Set<string>();
  eachObject(v, field, errs, (c, path) => {
    const skew = optInt(c.maxSkew, `${path}.maxSkew`, errs) ?? 0;
    if (skew <= 0) errs.push(invalid(`${path}.maxSkew`, skew, 'must be greater than zero'));
    const key = optString(c.topologyKey, `${path}.topologyKey`, errs);
    if (key === '') errs.push(required(`${path}.topologyKey`, 'can not be empty'));
    else for (const msg of isQualifiedName(key)) errs.push(invalid(`${path}.topologyKey`, key, msg));
    const when = optString(c.whenUnsatisfiable, `${path}.whenUnsatisfiable`, errs);
    if (when !== 'DoNotSchedule' && when !== 'ScheduleAnyway') errs.push(notSupported(`${path}.whenUnsatisfiable`, when, ['DoNotSchedule', 'ScheduleAnyway']));
    const pair = `${key}\u0000${when}`;
    if (seen.has(pair)) errs.push(duplicate(`${path}.{topologyKey, whenUnsatisfiable}`, `{${key}, ${when}}`));
    seen.add(pair);
    const minDomains = optInt(c.minDomains, `${path}.minDomains`, errs);
    if (minDomains !== undefined && minDomains <= 0) errs.push(invalid(`${path}.minDomains`, minDomains, 'must be greater than 0'));
    errs.push(...validateLabelSelector(c.labelSelector, `${path}.labelSelector`));
  });
}

function validateDNSConfig(v: unknown, dnsPolicy: string, path: string, errs: FieldError[]): void {
  if (dnsPolicy === 'None') {
    if (!isObject(v)) {
      if (isUnset(v)) errs.push(required(path, 'must provide `dnsConfig` when `dnsPolicy` is None'));
      else errs.push(typeInvalid(path, v, 'must be an object'));
      return;
    }
    if (!Array.isArray(v.nameservers) || v.nameservers.length === 0) {
      errs.push(required(`${path}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
      return;
    }
  }
  const cfg = optObject(v, path, errs);
  if (!cfg) return;
  const ns = optArray(cfg.nameservers, `${path}.nameservers`, errs) ?? [];
  if (ns.length > 3) errs.push(invalid(`${path}.nameservers`, ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => {
    const s = optString(n, `${path}.nameservers[${i}]`, errs);
    if (typeof n === 'string') for (const msg of isValidIP(s)) errs.push(invalid(`${path}.nameservers[${i}]`, s, msg));
  });
  const searches = optArray(cfg.searches, `${path}.searches`, errs) ?? [];
  if (searches.length > 32) errs.push(invalid(`${path}.searches`, searches, 'must not have more than 32 search paths'));
  if (searches.filter((s) => typeof s === 'string').join(' ').length > 2048) {
    errs.push(invalid(`${path}.searches`, searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    const sp = `${path}.searches[${i}]`;
    const str = optString(s, sp, errs);
    if (typeof s !== 'string' || str === '.') return;
    const trimmed = str.endsWith('.') ? str.slice(0, -1) : str;
    for (const msg of isDNS1123Subdomain(trimmed)) errs.push(invalid(sp, trimmed, msg));
  });
  eachObject(cfg.options, `${path}.options`, errs, (o, op) => {
    if (optString(o.name, `${op}.name`, errs) === '') errs.push(required(op, 'must not be empty'));
  });
}

// ---------------------------------------------------------------------------------------------
// Pod templates.

/** Defaults a PodTemplateSpec's spec (templates get PodSpec defaults, not SetDefaults_Pod's). */
export function defaultPodTemplateSpec(template: unknown): void {
  if (isObject(template)) defaultPodSpec(template.spec);
}

/**
 * Validates a PodTemplateSpec at `field` (ValidatePodTemplateSpec): its labels (reported at
 * `<field>.labels`, as Kubernetes does) and annotations, its spec, and no ephemeral containers.
 */
export function validatePodTemplateSpec(template: unknown, field: string): FieldError[] {
  if (isUnset(template)) return [required(field)];
  if (!isObject(template)) return [typeInvalid(field, template, 'must be an object')];
  const errs: FieldError[] = [];
  const meta = optObject(template.metadata, `${field}.metadata`, errs);
  if (meta) {
    errs.push(...validateLabels(meta.labels, `${field}.labels`));
    errs.push(...validateAnnotations(meta.annotations, `${field}.annotations`));
  }
  errs.push(...validatePodSpec(template.spec, `${field}.spec`));
  if (isObject(template.spec) && Array.isArray(template.spec.ephemeralContainers) && template.spec.ephemeralContainers.length > 0) {
    errs.push(forbidden(`${field}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

/** A template's labels as a string map (non-string values dropped), or undefined when absent. */
export function templateLabels(template: unknown): Record<string, string> | undefined {
  if (!isObject(template) || !isObject(template.metadata) || !isObject(template.metadata.labels)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(template.metadata.labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The CONTAINERS and IMAGES cells of `-o wide` tables (layoutContainerCells): comma-joined names and images. */
export function containerCells(spec: unknown): [names: string, images: string] {
  const containers = isObject(spec) ? objectsOf(spec.containers) : [];
  return [containers.map((c) => stringOf(c.name)).join(','), containers.map((c) => stringOf(c.image)).join(',')];
}

// ---------------------------------------------------------------------------------------------
// Pod updates.

/** What a pod update may change, in Kubernetes' words. */
export const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
] as const;

/**
 * The update rules for a Pod's spec (ValidatePodUpdate): containers may not be added or
 * removed; only images, activeDeadlineSeconds (set, or lowered), additions to tolerations,
 * removal of scheduling gates (and, while gated, additions to nodeSelector) and a negative grace
 * period turned into 1 may change; anything else is
 * `spec: Forbidden: pod updates may not change fields other than ...` followed by the changed
 * paths. Both specs are expected defaulted; `newSpec` is not modified.
 */
export function validatePodSpecUpdate(newSpec: unknown, oldSpec: unknown, field = 'spec'): FieldError[] {
  if (!isObject(newSpec) || !isObject(oldSpec)) return [];
  const errs: FieldError[] = [];
  for (const key of ['containers', 'initContainers']) {
    const n = Array.isArray(newSpec[key]) ? newSpec[key] : [];
    const o = Array.isArray(oldSpec[key]) ? oldSpec[key] : [];
    if (n.length !== o.length) return [...errs, forbidden(`${field}.${key}`, 'pod updates may not add or remove containers')];
    n.forEach((c: unknown, i: number) => {
      if (!isObject(c)) return;
      const image = stringOf(c.image);
      if (image === '') errs.push(required(`${field}.${key}[${i}].image`));
      if (image.trim() !== image) errs.push(invalid(`${field}.${key}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }

  const newDeadline = newSpec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (typeof newDeadline === 'number') {
    if (newDeadline < 0 || newDeadline > MAX_INT32) return [...errs, invalid(`${field}.activeDeadlineSeconds`, newDeadline, inclusiveRangeError(0, MAX_INT32))];
    if (typeof oldDeadline === 'number' && oldDeadline < newDeadline) {
      return [...errs, invalid(`${field}.activeDeadlineSeconds`, newDeadline, 'must be less than or equal to previous value')];
    }
  } else if (typeof oldDeadline === 'number') {
    errs.push(invalid(`${field}.activeDeadlineSeconds`, newDeadline ?? null, 'must not update from a positive integer to nil value'));
  }

  errs.push(...validateOnlyAddedTolerations(newSpec.tolerations, oldSpec.tolerations, `${field}.tolerations`));
  errs.push(...validateOnlyDeletedSchedulingGates(newSpec.schedulingGates, oldSpec.schedulingGates, `${field}.schedulingGates`));
  if (jsonEqual(newSpec, oldSpec)) return errs;

  const munged: JsonObject = structuredClone(newSpec);
  for (const key of ['containers', 'initContainers']) {
    const list = munged[key];
    const old = oldSpec[key];
    if (!Array.isArray(list) || !Array.isArray(old)) continue;
    list.forEach((c: unknown, i: number) => {
      const o: unknown = old[i];
      if (isObject(c) && isObject(o)) c.image = o.image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  const gated = Array.isArray(oldSpec.schedulingGates) && oldSpec.schedulingGates.length > 0;
  if (gated && !jsonEqual(munged.nodeSelector, oldSpec.nodeSelector)) {
    const before = isObject(oldSpec.nodeSelector) ? oldSpec.nodeSelector : {};
    const after = isObject(munged.nodeSelector) ? munged.nodeSelector : {};
    for (const [k, val] of Object.entries(before)) {
      if (after[k] !== val) errs.push(invalid(`${field}.nodeSelector`, after, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
    }
    munged.nodeSelector = oldSpec.nodeSelector;
  }
  if (!jsonEqual(munged, oldSpec)) {
    const changes = diffPaths(oldSpec, munged, field).slice(0, 20);
    errs.push(forbidden(field, `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${changes.join('\n')}`));
  }
  return errs;
}

function validateOnlyAddedTolerations(newList: unknown, oldList: unknown, field: string): FieldError[] {
  const next = objectsOf(newList);
  for (const old of objectsOf(oldList)) {
    const found = next.some((n) => jsonEqual({ ...old, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [forbidden(field, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newList, field);
}

function validateOnlyDeletedSchedulingGates(newList: unknown, oldList: unknown, field: string): FieldError[] {
  const old = new Set(objectsOf(oldList).map((g) => stringOf(g.name)));
  const errs: FieldError[] = [];
  objectsOf(newList).forEach((g, i) => {
    const name = stringOf(g.name);
    if (!old.has(name)) errs.push(forbidden(`${field}[${i}].name`, `only deletion is allowed, but found new scheduling gate '${name}'`));
  });
  return errs;
}

/** The leaf paths where two JSON values differ, as `- path: old` / `+ path: new` lines. */
function diffPaths(a: unknown, b: unknown, path: string): string[] {
  if (jsonEqual(a, b)) return [];
  if (isObject(a) && isObject(b)) {
    const out: string[] = [];
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out.push(...diffPaths(a[k], b[k], `${path}.${k}`));
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => diffPaths(x, b[i], `${path}[${i}]`));
  }
  const show = (v: unknown): string => (v === undefined ? 'null' : JSON.stringify(v));
  return [`- ${path}: ${show(a)}`, `+ ${path}: ${show(b)}`];
}

// core/v1 Secret: `stringData` folded into base64 `data` on every write (it is never stored),
// type defaulting and per-type required keys, the 1 MiB limit, and the `type`/`immutable`
// rules, as Kubernetes' secret conversion and ValidateSecret / ValidateSecretUpdate do them.
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { invalid, required, tooLong } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age } from './base.js';
import { MAX_DATA_SIZE, decodeBase64, isConfigMapKey, stringEntries, validateImmutableUpdate } from './configmap.js';

const INFO: ResourceInfo = findResource('', 'v1', 'secrets')!;

export const SECRET_TYPE_OPAQUE = 'Opaque';
export const SECRET_TYPE_SERVICE_ACCOUNT_TOKEN = 'kubernetes.io/service-account-token';
export const SECRET_TYPE_DOCKERCFG = 'kubernetes.io/dockercfg';
export const SECRET_TYPE_DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
export const SECRET_TYPE_BASIC_AUTH = 'kubernetes.io/basic-auth';
export const SECRET_TYPE_SSH_AUTH = 'kubernetes.io/ssh-auth';
export const SECRET_TYPE_TLS = 'kubernetes.io/tls';
export const SECRET_TYPE_BOOTSTRAP_TOKEN = 'bootstrap.kubernetes.io/token';

/** The annotation naming the ServiceAccount a token Secret belongs to. */
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';

const REDACTED = '<secret contents redacted>';

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });

/**
 * Folds `stringData` into `data` (base64 of the UTF-8 text, stringData winning) and removes it,
 * as Kubernetes' v1 → internal conversion does. Leaves malformed stringData for validation.
 */
export function mergeStringData(obj: KubeObject): void {
  const sd = obj.stringData;
  if (sd === undefined || sd === null) {
    delete obj.stringData;
    return;
  }
  if (!isObject(sd) || Object.values(sd).some((v) => typeof v !== 'string')) return;
  if (obj.data !== undefined && obj.data !== null && !isObject(obj.data)) return;
  const data: Record<string, unknown> = isObject(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(v as string, 'utf8').toString('base64');
  obj.data = data;
  delete obj.stringData;
}

function validateJSONKey(decoded: Map<string, Buffer>, key: string, errs: FieldError[]): void {
  const bytes = decoded.get(key);
  if (!bytes) {
    errs.push(required(`data[${key}]`));
    return;
  }
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (!isObject(parsed)) errs.push(invalid(`data[${key}]`, REDACTED, 'must be a JSON object'));
  } catch (e) {
    errs.push(invalid(`data[${key}]`, REDACTED, e instanceof Error ? e.message : String(e)));
  }
}

/** ValidateSecret (metadata is the generic registry's). */
export function validateSecret(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  // Present only when it could not be merged into data.
  if (obj.stringData !== undefined) stringEntries(obj.stringData, 'stringData', errs);
  const decoded = new Map<string, Buffer>();
  let total = 0;
  for (const [k, v] of stringEntries(obj.data, 'data', errs)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(`data[${k}]`, k, m));
    const d = decodeBase64(v);
    if ('error' in d) errs.push(invalid(`data[${k}]`, REDACTED, d.error));
    else {
      decoded.set(k, d.bytes);
      total += d.bytes.length;
    }
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('data', '', MAX_DATA_SIZE));
  if (obj.type !== undefined && obj.type !== null && typeof obj.type !== 'string') errs.push(typeInvalid('type', obj.type, 'must be a string'));
  if (obj.immutable !== undefined && obj.immutable !== null && typeof obj.immutable !== 'boolean') errs.push(typeInvalid('immutable', obj.immutable, 'must be a boolean'));

  const hasKey = (k: string) => decoded.has(k) || (isObject(obj.data) && k in obj.data);
  switch (obj.type) {
    case SECRET_TYPE_SERVICE_ACCOUNT_TOKEN: {
      const annotations = obj.metadata?.annotations;
      const name = isObject(annotations) ? annotations[SERVICE_ACCOUNT_NAME_ANNOTATION] : undefined;
      if (typeof name !== 'string' || name === '') errs.push(required(`metadata.annotations[${SERVICE_ACCOUNT_NAME_ANNOTATION}]`));
      break;
    }
    case SECRET_TYPE_DOCKERCFG:
      validateJSONKey(decoded, '.dockercfg', errs);
      break;
    case SECRET_TYPE_DOCKER_CONFIG_JSON:
      validateJSONKey(decoded, '.dockerconfigjson', errs);
      break;
    case SECRET_TYPE_BASIC_AUTH:
      // Either may be empty, but one of them must be there.
      if (!hasKey('username') && !hasKey('password')) errs.push(required('data[username]'), required('data[password]'));
      break;
    case SECRET_TYPE_SSH_AUTH:
      if (!decoded.get('ssh-privatekey')?.length) errs.push(required('data[ssh-privatekey]'));
      break;
    case SECRET_TYPE_TLS:
      if (!hasKey('tls.crt')) errs.push(required('data[tls.crt]'));
      if (!hasKey('tls.key')) errs.push(required('data[tls.key]'));
      break;
    default:
      break;
  }
  return errs;
}

/** ValidateSecretUpdate: validateSecret, `type` never changes, immutable secrets keep their data. */
export function validateSecretUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (newObj.type !== oldObj.type) errs.push(invalid('type', newObj.type ?? '', 'field is immutable'));
  errs.push(...validateImmutableUpdate(newObj, oldObj, ['data']));
  errs.push(...validateSecret(newObj));
  return errs;
}

export const secretStrategy: Strategy = {
  info: INFO,
  defaults(obj) {
    if (obj.type === undefined || obj.type === null || obj.type === '') obj.type = SECRET_TYPE_OPAQUE;
    mergeStringData(obj);
  },
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateSecret(obj);
  },
  validateUpdate(newObj, oldObj) {
    return validateSecretUpdate(newObj, oldObj);
  },
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Type', type: 'string', priority: 0, description: 'Used to facilitate programmatic handling of secret data.' },
      { name: 'Data', type: 'string', priority: 0, description: 'The number of keys in data.' },
      AGE_COLUMN,
    ],
    cells(obj, now) {
      const s = obj as Secret;
      return [s.metadata?.name ?? '', s.type ?? '', Object.keys(s.data ?? {}).length, age(s.metadata?.creationTimestamp, now)];
    },
  },
  fieldSelectors: {
    type: (obj) => (typeof obj.type === 'string' ? obj.type : ''),
  },
};

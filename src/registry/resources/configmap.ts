// core/v1 ConfigMap: key syntax, data/binaryData overlap, the 1 MiB limit and `immutable`, as
// Kubernetes' ValidateConfigMap / ValidateConfigMapUpdate do them. Also the key and base64 helpers
// Secrets share.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { forbidden, invalid, tooLong } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import { DNS1123_SUBDOMAIN_MAX_LENGTH, hasChDirPrefix, maxLenError, regexError } from '../../api/validation/names.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age } from './base.js';

const INFO: ResourceInfo = findResource('', 'v1', 'configmaps')!;

/** The most data a ConfigMap or Secret may hold, in bytes (1 MiB). */
export const MAX_DATA_SIZE = 1024 * 1024;

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_ERR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const configMapKeyRe = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);
const IMMUTABLE = 'field is immutable when `immutable` is set';

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });

/** IsConfigMapKey: keys of ConfigMaps and Secrets (they become file names in volumes). */
export function isConfigMapKey(key: string): string[] {
  const errs: string[] = [];
  if (key.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!configMapKeyRe.test(key)) errs.push(regexError(CONFIG_MAP_KEY_ERR, CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  errs.push(...hasChDirPrefix(key));
  return errs;
}

/**
 * Decodes standard, padded base64 as Go's encoding/json reads []byte (line breaks ignored).
 * Returns the bytes, or the decoding error in Go's words.
 */
export function decodeBase64(v: string): { bytes: Buffer } | { error: string } {
  const s = v.replace(/[\r\n]/g, '');
  const bad = s.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return { error: `illegal base64 data at input byte ${bad}` };
  const pad = s.indexOf('=');
  if (pad >= 0 && (!/^=*$/.test(s.slice(pad)) || s.length - pad > 2)) return { error: `illegal base64 data at input byte ${pad}` };
  if (s.length % 4 !== 0) return { error: `illegal base64 data at input byte ${s.length - (s.length % 4)}` };
  return { bytes: Buffer.from(s, 'base64') };
}

/** A string map at `field` as entries; a type error for anything else (reported once per bad value). */
export function stringEntries(v: unknown, field: string, errs: FieldError[]): [string, string][] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) {
    errs.push(typeInvalid(field, v, 'must be a map of string keys to string values'));
    return [];
  }
  const out: [string, string][] = [];
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out.push([k, val]);
    else errs.push(typeInvalid(`${field}[${k}]`, val, 'must be a string'));
  }
  return out;
}

function validateImmutableFlag(obj: KubeObject, errs: FieldError[]): void {
  if (obj.immutable !== undefined && obj.immutable !== null && typeof obj.immutable !== 'boolean') {
    errs.push(typeInvalid('immutable', obj.immutable, 'must be a boolean'));
  }
}

/** ValidateConfigMap (metadata is the generic registry's). */
export function validateConfigMap(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = stringEntries(obj.data, 'data', errs);
  const binary = stringEntries(obj.binaryData, 'binaryData', errs);
  const dataKeys = new Set(data.map(([k]) => k));
  const binaryKeys = new Set(binary.map(([k]) => k));
  let total = 0;
  for (const [k, v] of data) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(`data[${k}]`, k, m));
    if (binaryKeys.has(k)) errs.push(invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(v, 'utf8');
  }
  for (const [k, v] of binary) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(`binaryData[${k}]`, k, m));
    if (dataKeys.has(k)) errs.push(invalid(`binaryData[${k}]`, k, 'duplicate of key present in data'));
    const decoded = decodeBase64(v);
    if ('error' in decoded) errs.push(invalid(`binaryData[${k}]`, '<binary data>', decoded.error));
    else total += decoded.bytes.length;
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('data', '', MAX_DATA_SIZE));
  validateImmutableFlag(obj, errs);
  return errs;
}

/** An immutable object keeps `immutable: true`, and `fields` unchanged. */
export function validateImmutableUpdate(newObj: KubeObject, oldObj: KubeObject, fields: readonly string[]): FieldError[] {
  if (oldObj.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (newObj.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE));
  for (const f of fields) {
    if (JSON.stringify(newObj[f] ?? null) !== JSON.stringify(oldObj[f] ?? null)) errs.push(forbidden(f, IMMUTABLE));
  }
  return errs;
}

export const configMapStrategy: Strategy = {
  info: INFO,
  defaults() {},
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateConfigMap(obj);
  },
  validateUpdate(newObj, oldObj) {
    return [...validateImmutableUpdate(newObj, oldObj, ['data', 'binaryData']), ...validateConfigMap(newObj)];
  },
  table: {
    columns: [NAME_COLUMN, { name: 'Data', type: 'string', priority: 0, description: 'The number of keys in data and binaryData.' }, AGE_COLUMN],
    cells(obj, now) {
      const cm = obj as ConfigMap;
      const count = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
      return [cm.metadata?.name ?? '', count, age(cm.metadata?.creationTimestamp, now)];
    },
  },
  fieldSelectors: {},
};

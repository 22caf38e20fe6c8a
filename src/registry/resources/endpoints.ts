// core/v1 Endpoints: subsets validation as Kubernetes' ValidateEndpoints does it, and the
// ENDPOINTS column of `kubectl get endpoints`.
import type { EndpointSubset, Endpoints } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { invalid, notSupported, required } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP, isValidPortNum } from '../../api/validation/names.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age } from './base.js';
import { validateNonSpecialIP } from './service.js';

const INFO: ResourceInfo = findResource('', 'v1', 'endpoints')!;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });
const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '';

/** Objects of a list at `field`; a type error (and []) for anything else. */
function objectList(v: unknown, field: string, errs: FieldError[]): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    errs.push(typeInvalid(field, v, 'must be an array'));
    return [];
  }
  const bad = v.findIndex((x) => !isObject(x));
  if (bad >= 0) {
    errs.push(typeInvalid(`${field}[${bad}]`, v[bad], 'must be an object'));
    return [];
  }
  return v as Record<string, unknown>[];
}

function validateAddress(a: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ip = a.ip;
  if (typeof ip !== 'string') {
    errs.push(invalid(`${path}.ip`, ip ?? '', 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  } else {
    const msgs = isValidIP(ip);
    for (const m of msgs) errs.push(invalid(`${path}.ip`, ip, m));
    if (msgs.length === 0) errs.push(...validateNonSpecialIP(ip, `${path}.ip`));
  }
  if (!isEmpty(a.hostname)) {
    if (typeof a.hostname !== 'string') errs.push(typeInvalid(`${path}.hostname`, a.hostname, 'must be a string'));
    else for (const m of isDNS1123Label(a.hostname)) errs.push(invalid(`${path}.hostname`, a.hostname, m));
  }
  if (a.nodeName !== undefined && a.nodeName !== null) {
    if (typeof a.nodeName !== 'string') errs.push(typeInvalid(`${path}.nodeName`, a.nodeName, 'must be a string'));
    else for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(invalid(`${path}.nodeName`, a.nodeName, m));
  }
  return errs;
}

function validatePort(p: Record<string, unknown>, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isEmpty(p.name)) {
    if (requireName) errs.push(required(`${path}.name`));
  } else if (typeof p.name !== 'string') {
    errs.push(typeInvalid(`${path}.name`, p.name, 'must be a string'));
  } else {
    for (const m of isDNS1123Label(p.name)) errs.push(invalid(`${path}.name`, p.name, m));
  }
  for (const m of isValidPortNum(typeof p.port === 'number' ? p.port : NaN)) errs.push(invalid(`${path}.port`, p.port ?? 0, m));
  if (isEmpty(p.protocol)) errs.push(required(`${path}.protocol`));
  else if (typeof p.protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  if (p.appProtocol !== undefined && p.appProtocol !== null) {
    if (typeof p.appProtocol !== 'string') errs.push(typeInvalid(`${path}.appProtocol`, p.appProtocol, 'must be a string'));
    else for (const m of isQualifiedName(p.appProtocol)) errs.push(invalid(`${path}.appProtocol`, p.appProtocol, m));
  }
  return errs;
}

/** ValidateEndpoints for the subsets (metadata is the generic registry's). */
export function validateEndpoints(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  objectList(obj.subsets, 'subsets', errs).forEach((ss, i) => {
    const path = `subsets[${i}]`;
    const addresses = objectList(ss.addresses, `${path}.addresses`, errs);
    const notReady = objectList(ss.notReadyAddresses, `${path}.notReadyAddresses`, errs);
    const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
    if (empty(ss.addresses) && empty(ss.notReadyAddresses)) errs.push(required(path, 'must specify `addresses` or `notReadyAddresses`'));
    addresses.forEach((a, j) => errs.push(...validateAddress(a, `${path}.addresses[${j}]`)));
    notReady.forEach((a, j) => errs.push(...validateAddress(a, `${path}.notReadyAddresses[${j}]`)));
    const ports = objectList(ss.ports, `${path}.ports`, errs);
    ports.forEach((p, j) => errs.push(...validatePort(p, ports.length > 1, `${path}.ports[${j}]`)));
  });
  return errs;
}

/** Ports without a protocol get TCP (SetDefaults_EndpointPort). */
function defaultEndpoints(obj: KubeObject): void {
  if (!Array.isArray(obj.subsets)) return;
  for (const ss of obj.subsets) {
    if (!isObject(ss) || !Array.isArray(ss.ports)) continue;
    for (const p of ss.ports) if (isObject(p) && isEmpty(p.protocol)) p.protocol = 'TCP';
  }
}

const MAX_SHOWN = 3;

/** `10.42.0.5:8080,10.42.0.6:8080,10.42.0.7:8080 + 2 more...`; `<none>` without subsets (kubectl's formatEndpoints). */
export function formatEndpoints(subsets: readonly EndpointSubset[] | undefined): string {
  if (!subsets || subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  let more = false;
  const add = (s: string) => {
    if (list.length === MAX_SHOWN) more = true;
    else list.push(s);
  };
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if (!ss.ports || ss.ports.length === 0) {
      // Headless services may have endpoints without ports.
      count += addresses.length;
      for (const a of addresses) add(a.ip);
      continue;
    }
    for (const port of ss.ports) {
      count += addresses.length;
      for (const a of addresses) add(a.ip.includes(':') ? `[${a.ip}]:${port.port}` : `${a.ip}:${port.port}`);
    }
  }
  const shown = list.join(',');
  return more ? `${shown} + ${count - MAX_SHOWN} more...` : shown;
}

export const endpointsStrategy: Strategy = {
  info: INFO,
  defaults(obj) {
    defaultEndpoints(obj);
  },
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateEndpoints(obj);
  },
  validateUpdate(newObj) {
    return validateEndpoints(newObj);
  },
  table: {
    columns: [NAME_COLUMN, { name: 'Endpoints', type: 'string', priority: 0, description: 'The addresses and ports of the endpoints (at most three shown).' }, AGE_COLUMN],
    cells(obj, now) {
      const ep = obj as Endpoints;
      return [ep.metadata?.name ?? '', formatEndpoints(ep.subsets), age(ep.metadata?.creationTimestamp, now)];
    },
  },
  fieldSelectors: {},
};

// discovery.k8s.io/v1 EndpointSlice: validation as Kubernetes' discovery validation does it and
// the columns of `kubectl get endpointslices`.
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { duplicate, invalid, notSupported, required } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import { validateLabels } from '../../api/validation/metadata.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, parseIPv4, parseIPv6 } from '../../api/validation/names.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age } from './base.js';
import { validateNonSpecialIP } from './service.js';

const INFO: ResourceInfo = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });
const tooMany = (field: string, actual: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field, badValue: actual, detail: `must have at most ${max} items` });

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

/** IsFullyQualifiedDomainName: a DNS subdomain of at least two labels (a trailing dot is allowed). */
export function validateFQDN(name: string, field: string): FieldError[] {
  if (name === '') return [required(field)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = isDNS1123Subdomain(n);
  if (sub.length) return [invalid(field, n, sub.join(','))];
  const labels = n.split('.');
  if (labels.length < 2) return [invalid(field, n, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length) return [invalid(field, label, errs.join(','))];
  }
  return [];
}

function validateAddress(addressType: unknown, address: unknown, field: string): FieldError[] {
  if (typeof address !== 'string') return [typeInvalid(field, address, 'must be a string')];
  switch (addressType) {
    case 'IPv4':
      return parseIPv4(address) ? validateNonSpecialIP(address, field) : [invalid(field, address, 'must be a valid IPv4 address')];
    case 'IPv6':
      return parseIPv6(address) ? validateNonSpecialIP(address, field) : [invalid(field, address, 'must be a valid IPv6 address')];
    case 'FQDN':
      return validateFQDN(address, field);
    default:
      return [];
  }
}

function validateEndpoint(ep: Record<string, unknown>, addressType: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const addrPath = `${path}.addresses`;
  const addresses = ep.addresses;
  if (addresses !== undefined && addresses !== null && !Array.isArray(addresses)) {
    errs.push(typeInvalid(addrPath, addresses, 'must be an array of strings'));
  } else if (!addresses || addresses.length === 0) {
    errs.push(required(addrPath, 'must contain at least 1 address'));
  } else if (addresses.length > MAX_ADDRESSES) {
    errs.push(tooMany(addrPath, addresses.length, MAX_ADDRESSES));
  } else {
    addresses.forEach((a: unknown, i) => errs.push(...validateAddress(addressType, a, `${addrPath}[${i}]`)));
  }
  if (ep.conditions !== undefined && ep.conditions !== null) {
    if (!isObject(ep.conditions)) errs.push(typeInvalid(`${path}.conditions`, ep.conditions, 'must be an object'));
    else {
      for (const k of ['ready', 'serving', 'terminating']) {
        const v = ep.conditions[k];
        if (v !== undefined && v !== null && typeof v !== 'boolean') errs.push(typeInvalid(`${path}.conditions.${k}`, v, 'must be a boolean'));
      }
    }
  }
  if (ep.nodeName !== undefined && ep.nodeName !== null) {
    if (typeof ep.nodeName !== 'string') errs.push(typeInvalid(`${path}.nodeName`, ep.nodeName, 'must be a string'));
    else for (const m of isDNS1123Subdomain(ep.nodeName)) errs.push(invalid(`${path}.nodeName`, ep.nodeName, m));
  }
  if (ep.deprecatedTopology !== undefined && ep.deprecatedTopology !== null) {
    const topoPath = `${path}.deprecatedTopology`;
    if (isObject(ep.deprecatedTopology) && Object.keys(ep.deprecatedTopology).length > MAX_TOPOLOGY_LABELS) {
      errs.push(tooMany(topoPath, Object.keys(ep.deprecatedTopology).length, MAX_TOPOLOGY_LABELS));
    }
    errs.push(...validateLabels(ep.deprecatedTopology, topoPath));
  }
  if (ep.hostname !== undefined && ep.hostname !== null) {
    if (typeof ep.hostname !== 'string') errs.push(typeInvalid(`${path}.hostname`, ep.hostname, 'must be a string'));
    else for (const m of isDNS1123Label(ep.hostname)) errs.push(invalid(`${path}.hostname`, ep.hostname, m));
  }
  if (ep.zone !== undefined && ep.zone !== null && typeof ep.zone !== 'string') errs.push(typeInvalid(`${path}.zone`, ep.zone, 'must be a string'));
  return errs;
}

function validatePorts(v: unknown, errs: FieldError[]): void {
  if (Array.isArray(v) && v.length > MAX_PORTS) {
    errs.push(tooMany('ports', v.length, MAX_PORTS));
    return;
  }
  const names = new Set<string>();
  objectList(v, 'ports', errs).forEach((p, i) => {
    const path = `ports[${i}]`;
    const name = p.name ?? '';
    if (typeof name !== 'string') {
      errs.push(typeInvalid(`${path}.name`, name, 'must be a string'));
    } else {
      if (name !== '') for (const m of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, m));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      else names.add(name);
    }
    if (p.protocol === undefined || p.protocol === null) errs.push(required(`${path}.protocol`));
    else if (typeof p.protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    if (p.port !== undefined && p.port !== null && !Number.isInteger(p.port)) errs.push(typeInvalid(`${path}.port`, p.port, 'must be an integer'));
    if (p.appProtocol !== undefined && p.appProtocol !== null) {
      if (typeof p.appProtocol !== 'string') errs.push(typeInvalid(`${path}.appProtocol`, p.appProtocol, 'must be a string'));
      else for (const m of isQualifiedName(p.appProtocol)) errs.push(invalid(`${path}.appProtocol`, p.appProtocol, m));
    }
  });
}

/** ValidateEndpointSlice (metadata is the generic registry's). */
export function validateEndpointSlice(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const t = obj.addressType;
  if (t === undefined || t === null || t === '') errs.push(required('addressType'));
  else if (typeof t !== 'string' || !(ADDRESS_TYPES as readonly string[]).includes(t)) errs.push(notSupported('addressType', t, ADDRESS_TYPES));
  if (Array.isArray(obj.endpoints) && obj.endpoints.length > MAX_ENDPOINTS) {
    errs.push(tooMany('endpoints', obj.endpoints.length, MAX_ENDPOINTS));
  } else {
    objectList(obj.endpoints, 'endpoints', errs).forEach((ep, i) => errs.push(...validateEndpoint(ep, t, `endpoints[${i}]`)));
  }
  validatePorts(obj.ports, errs);
  return errs;
}

/** Ports get name "" and protocol TCP when missing (SetDefaults_EndpointPort). */
function defaultEndpointSlice(obj: KubeObject): void {
  if (!Array.isArray(obj.ports)) return;
  for (const p of obj.ports) {
    if (!isObject(p)) continue;
    if (p.name === undefined || p.name === null) p.name = '';
    if (p.protocol === undefined || p.protocol === null) p.protocol = 'TCP';
  }
}

const MAX_SHOWN = 3;

function listWithMore(list: string[], count: number): string {
  if (count > MAX_SHOWN) return `${list.slice(0, MAX_SHOWN).join(',')} + ${count - MAX_SHOWN} more...`;
  return list.length ? list.join(',') : '<unset>';
}

/** PORTS: port numbers (or names, `*` for neither), three at most. */
export function formatSlicePorts(ports: readonly EndpointPort[] | undefined): string {
  const list = (ports ?? []).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : p.name ? p.name : '*'));
  return listWithMore(list, list.length);
}

/** ENDPOINTS: addresses of all endpoints, three at most. */
export function formatSliceEndpoints(endpoints: readonly Endpoint[] | undefined): string {
  const list = (endpoints ?? []).flatMap((e) => e.addresses ?? []);
  return listWithMore(list, list.length);
}

export const endpointSliceStrategy: Strategy = {
  info: INFO,
  defaults(obj) {
    defaultEndpointSlice(obj);
  },
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateEndpointSlice(obj);
  },
  validateUpdate(newObj, oldObj) {
    const errs = validateEndpointSlice(newObj);
    if (newObj.addressType !== oldObj.addressType) errs.push(invalid('addressType', newObj.addressType, 'field is immutable'));
    return errs;
  },
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'AddressType', type: 'string', priority: 0, description: 'addressType specifies the type of address carried by this EndpointSlice.' },
      { name: 'Ports', type: 'string', priority: 0, description: 'ports specifies the list of network ports exposed by each endpoint.' },
      { name: 'Endpoints', type: 'string', priority: 0, description: 'endpoints is a list of unique endpoints in this slice.' },
      AGE_COLUMN,
    ],
    cells(obj, now) {
      const s = obj as Partial<EndpointSlice>;
      return [s.metadata?.name ?? '', s.addressType ?? '', formatSlicePorts(s.ports), formatSliceEndpoints(s.endpoints), age(s.metadata?.creationTimestamp, now)];
    },
  },
  fieldSelectors: {},
};

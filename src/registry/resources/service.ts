// core/v1 Service: defaulting, validation and ClusterIP/NodePort allocation as Kubernetes'
// service strategy, SetDefaults_Service and ValidateService do them, and the columns of
// `kubectl get services`.
//
// Order of a write (generic registry): prepareForCreate/prepareForUpdate → defaults → validate
// → allocation.allocate/reallocate → store. Validation therefore sees services whose ClusterIP
// and NodePorts may still be unassigned; allocation fills them in before the object is stored.
import type { LoadBalancerIngress, Service, ServicePort, ServiceSpec } from 'kubernetes-types/core/v1.js';
import { InternalError, InvalidError } from '../../api/errors.js';
import type { FieldError } from '../../api/field-errors.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import { validateLabels } from '../../api/validation/metadata.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidIP,
  isValidPortName,
  isValidPortNum,
  parseIPv4,
  parseIPv6,
} from '../../api/validation/names.js';
import type { AllocationHooks, RegistryConfig, Strategy, TableColumn } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus, resetStatus } from './base.js';
import type { Held } from './service-allocator.js';
import { AllocationError, ServiceAllocator, heldBy, parseCIDR } from './service-allocator.js';

export { ServiceAllocator, apiServerClusterIP, kubeDnsClusterIP } from './service-allocator.js';

const INFO: ResourceInfo = findResource('', 'v1', 'services')!;

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const SESSION_AFFINITIES = ['ClientIP', 'None'] as const;
const TRAFFIC_POLICIES = ['Cluster', 'Local'] as const;
const IP_FAMILIES = ['IPv4', 'IPv6'] as const;
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'] as const;

/** Kubernetes' default ClientIP affinity timeout (3 hours) and its maximum (1 day). */
export const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;
const MAX_CLIENT_IP_TIMEOUT_SECONDS = 86400;

type Spec = Record<string, unknown>;

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });
const has = (list: readonly string[], v: unknown): boolean => typeof v === 'string' && list.includes(v);
const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '';

function specOf(obj: KubeObject): Spec | undefined {
  return isObject(obj.spec) ? obj.spec : undefined;
}

/** A list of strings at `field`; a type error (and []) for anything else. */
function stringList(v: unknown, field: string, errs: FieldError[]): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    errs.push(typeInvalid(field, v, 'must be an array of strings'));
    return [];
  }
  return v as string[];
}

/** A list of objects at `field`; a type error (and []) for anything else. */
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

function needsClusterIP(spec: Spec): boolean {
  return spec.type !== 'ExternalName';
}

function needsNodePorts(spec: Spec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

function needsHealthCheckNodePort(spec: Spec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** NodePort and LoadBalancer services, and ClusterIP services with externalIPs, are reachable from outside. */
function externallyAccessible(spec: Spec): boolean {
  return (
    spec.type === 'NodePort' ||
    spec.type === 'LoadBalancer' ||
    (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0)
  );
}

function isHeadless(spec: Spec): boolean {
  return Array.isArray(spec.clusterIPs) && spec.clusterIPs.length === 1 && spec.clusterIPs[0] === 'None';
}

// ---- defaulting ----

/** SetDefaults_Service plus the IP-family defaults Kubernetes fills at allocation (IPv4 single-stack cluster). Idempotent. */
export function defaultService(obj: KubeObject): void {
  if (obj.spec === undefined || obj.spec === null) obj.spec = {};
  const s = specOf(obj);
  if (!s) return;
  if (isEmpty(s.type)) s.type = 'ClusterIP';
  if (isEmpty(s.sessionAffinity)) s.sessionAffinity = 'None';
  if (s.sessionAffinity === 'None') delete s.sessionAffinityConfig;
  if (s.sessionAffinity === 'ClientIP') {
    const cfg = s.sessionAffinityConfig;
    const timeout = isObject(cfg) && isObject(cfg.clientIP) ? cfg.clientIP.timeoutSeconds : undefined;
    if (timeout === undefined || timeout === null) {
      s.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT_SECONDS } };
    }
  }
  if (Array.isArray(s.ports)) {
    for (const p of s.ports) {
      if (!isObject(p)) continue;
      if (isEmpty(p.protocol)) p.protocol = 'TCP';
      if ((isEmpty(p.targetPort) || p.targetPort === 0) && typeof p.port === 'number') p.targetPort = p.port;
    }
  }
  if (externallyAccessible(s) && isEmpty(s.externalTrafficPolicy)) s.externalTrafficPolicy = 'Cluster';
  if ((s.internalTrafficPolicy === undefined || s.internalTrafficPolicy === null) && has(['ClusterIP', 'NodePort', 'LoadBalancer'], s.type)) {
    s.internalTrafficPolicy = 'Cluster';
  }
  if (s.type === 'LoadBalancer' && (s.allocateLoadBalancerNodePorts === undefined || s.allocateLoadBalancerNodePorts === null)) {
    s.allocateLoadBalancerNodePorts = true;
  }
  if (needsClusterIP(s)) {
    if (s.ipFamilies === undefined || s.ipFamilies === null || (Array.isArray(s.ipFamilies) && s.ipFamilies.length === 0)) {
      s.ipFamilies = familiesOf(s.clusterIPs);
    }
    if (s.ipFamilyPolicy === undefined || s.ipFamilyPolicy === null) s.ipFamilyPolicy = 'SingleStack';
  }
}

/** The IP families of the requested ClusterIPs, or the cluster's only family (IPv4). */
function familiesOf(clusterIPs: unknown): string[] {
  const out: string[] = [];
  if (Array.isArray(clusterIPs)) {
    for (const ip of clusterIPs) {
      if (typeof ip !== 'string' || ip === 'None') continue;
      if (parseIPv4(ip)) out.push('IPv4');
      else if (parseIPv6(ip)) out.push('IPv6');
    }
  }
  return out.length > 0 ? out : ['IPv4'];
}

/** On create: a client that set only `clusterIP` gets `clusterIPs` = [clusterIP]. */
function normalizeClusterIPsOnCreate(s: Spec): void {
  if (typeof s.clusterIP === 'string' && s.clusterIP !== '' && (s.clusterIPs === undefined || s.clusterIPs === null || (Array.isArray(s.clusterIPs) && s.clusterIPs.length === 0))) {
    s.clusterIPs = [s.clusterIP];
  }
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function clusterIPList(s: Spec): string[] {
  return Array.isArray(s.clusterIPs) ? s.clusterIPs.filter((x): x is string => typeof x === 'string') : [];
}

/** On update: keeps `clusterIP` and `clusterIPs` consistent for clients that send only one of them (NormalizeClusterIPs). */
function normalizeClusterIPsOnUpdate(s: Spec, old: Spec): void {
  const oldIPs = clusterIPList(old);
  const newIPsEmpty = s.clusterIPs === undefined || s.clusterIPs === null || (Array.isArray(s.clusterIPs) && s.clusterIPs.length === 0);
  if (oldIPs.length > 0 && newIPsEmpty && (old.clusterIP ?? '') === (s.clusterIP ?? '')) s.clusterIPs = [...oldIPs];
  if ((old.clusterIP ?? '') !== (s.clusterIP ?? '')) {
    const sameIPs = sameJSON(old.clusterIPs, s.clusterIPs);
    if (!isEmpty(old.clusterIP) && isEmpty(s.clusterIP)) {
      if (sameIPs) delete s.clusterIPs;
    } else if (sameIPs && typeof s.clusterIP === 'string') {
      s.clusterIPs = [s.clusterIP];
    }
  }
}

function nodePortsOf(s: Spec): Set<number> {
  const out = new Set<number>();
  if (Array.isArray(s.ports)) {
    for (const p of s.ports) if (isObject(p) && typeof p.nodePort === 'number' && p.nodePort !== 0) out.add(p.nodePort);
  }
  return out;
}

/**
 * On update: values the server allocated and the client left out (a re-applied manifest
 * without clusterIP or nodePort) are kept, so the same YAML can be applied again (PatchAllocatedValues).
 */
function patchAllocatedValues(s: Spec, old: Spec): void {
  if (needsClusterIP(old) && needsClusterIP(s)) {
    if (isEmpty(s.clusterIP) && !isEmpty(old.clusterIP)) s.clusterIP = old.clusterIP;
    const newIPsEmpty = s.clusterIPs === undefined || s.clusterIPs === null || (Array.isArray(s.clusterIPs) && s.clusterIPs.length === 0);
    if (newIPsEmpty && clusterIPList(old).length > 0) s.clusterIPs = [...clusterIPList(old)];
  }
  if (needsNodePorts(old) && needsNodePorts(s) && Array.isArray(s.ports)) {
    const oldPorts = nodePortsOf(old);
    const newPorts = nodePortsOf(s);
    const used = new Set([...oldPorts].filter((p) => newPorts.has(p)));
    const byName = new Map<string, number>();
    if (Array.isArray(old.ports)) {
      for (const p of old.ports) {
        if (isObject(p) && typeof p.nodePort === 'number') byName.set(typeof p.name === 'string' ? p.name : '', p.nodePort);
      }
    }
    for (const p of s.ports) {
      if (!isObject(p) || !(p.nodePort === undefined || p.nodePort === null || p.nodePort === 0)) continue;
      const prior = byName.get(typeof p.name === 'string' ? p.name : '');
      if (prior !== undefined && prior !== 0 && !used.has(prior)) p.nodePort = prior;
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(s) && (isEmpty(s.healthCheckNodePort) || s.healthCheckNodePort === 0)) {
    if (typeof old.healthCheckNodePort === 'number') s.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/** On update: fields that only made sense for the old type, and that the client did not touch, are wiped (dropTypeDependentFields). */
function dropTypeDependentFields(s: Spec, old: Spec): void {
  if (needsClusterIP(old) && !needsClusterIP(s)) {
    if (sameJSON(old.clusterIP, s.clusterIP) && sameJSON(old.clusterIPs, s.clusterIPs)) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (sameJSON(old.ipFamilies, s.ipFamilies)) delete s.ipFamilies;
    if (sameJSON(old.ipFamilyPolicy, s.ipFamilyPolicy)) delete s.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && !needsNodePorts(s)) {
    const oldPorts = nodePortsOf(old);
    if ([...nodePortsOf(s)].every((p) => oldPorts.has(p)) && Array.isArray(s.ports)) {
      for (const p of s.ports) if (isObject(p)) delete p.nodePort;
    }
  }
  if (old.type === 'LoadBalancer' && s.type !== 'LoadBalancer') {
    if (typeof s.allocateLoadBalancerNodePorts === 'boolean' && s.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) {
      delete s.allocateLoadBalancerNodePorts;
    }
    if (sameJSON(old.loadBalancerClass, s.loadBalancerClass)) delete s.loadBalancerClass;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(s)) {
    if (typeof s.healthCheckNodePort === 'number' && s.healthCheckNodePort !== 0 && s.healthCheckNodePort === old.healthCheckNodePort) {
      delete s.healthCheckNodePort;
    }
  }
  if (externallyAccessible(old) && !externallyAccessible(s) && sameJSON(old.externalTrafficPolicy, s.externalTrafficPolicy)) {
    delete s.externalTrafficPolicy;
  }
}

// ---- validation ----

/** ValidateNonSpecialIP: an address users may expose (not unspecified, loopback or link-local). */
export function validateNonSpecialIP(ip: string, field: string): FieldError[] {
  const v4 = parseIPv4(ip);
  const v6 = v4 ? undefined : parseIPv6(ip);
  if (!v4 && !v6) return [invalid(field, ip, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  if (v4) {
    if (v4.every((o) => o === 0)) errs.push(invalid(field, ip, `may not be unspecified (${ip})`));
    if (v4[0] === 127) errs.push(invalid(field, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
    if (v4[0] === 169 && v4[1] === 254) errs.push(invalid(field, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
    if (v4[0] === 224 && v4[1] === 0 && v4[2] === 0) errs.push(invalid(field, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  } else if (v6) {
    const mapped = v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff;
    if (mapped) return validateNonSpecialIP(`${v6[6]! >> 8}.${v6[6]! & 255}.${v6[7]! >> 8}.${v6[7]! & 255}`, field).map((e) => ({ ...e, badValue: ip }));
    if (v6.every((g) => g === 0)) errs.push(invalid(field, ip, `may not be unspecified (${ip})`));
    if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) errs.push(invalid(field, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
    if ((v6[0]! & 0xffc0) === 0xfe80) errs.push(invalid(field, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
    if ((v6[0]! & 0xff0f) === 0xff02) errs.push(invalid(field, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  }
  return errs;
}

function validatePortNumOrName(v: unknown, field: string): FieldError[] {
  if (typeof v === 'number') return isValidPortNum(v).map((m) => invalid(field, v, m));
  if (typeof v === 'string') return isValidPortName(v).map((m) => invalid(field, v, m));
  return [typeInvalid(field, v, 'must be an integer or a string')];
}

function validateServicePort(p: Record<string, unknown>, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isEmpty(p.name)) {
    if (requireName) errs.push(required(`${path}.name`));
  } else if (typeof p.name !== 'string') {
    errs.push(typeInvalid(`${path}.name`, p.name, 'must be a string'));
  } else {
    for (const m of isDNS1123Label(p.name)) errs.push(invalid(`${path}.name`, p.name, m));
    if (names.has(p.name)) errs.push(duplicate(`${path}.name`, p.name));
    else names.add(p.name);
  }
  for (const m of isValidPortNum(typeof p.port === 'number' ? p.port : NaN)) errs.push(invalid(`${path}.port`, p.port, m));
  if (isEmpty(p.protocol)) errs.push(required(`${path}.protocol`));
  else if (!has(PROTOCOLS, p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(p.targetPort, `${path}.targetPort`));
  if (p.appProtocol !== undefined && p.appProtocol !== null) {
    if (typeof p.appProtocol !== 'string') errs.push(typeInvalid(`${path}.appProtocol`, p.appProtocol, 'must be a string'));
    else for (const m of isQualifiedName(p.appProtocol)) errs.push(invalid(`${path}.appProtocol`, p.appProtocol, m));
  }
  if (p.nodePort !== undefined && p.nodePort !== null && !Number.isInteger(p.nodePort)) {
    errs.push(typeInvalid(`${path}.nodePort`, p.nodePort, 'must be an integer'));
  }
  return errs;
}

function validateClientIPConfig(cfg: unknown): FieldError[] {
  const path = 'spec.sessionAffinityConfig';
  if (!isObject(cfg)) return [required(path, 'when session affinity type is ClientIP')];
  if (!isObject(cfg.clientIP)) return [required(`${path}.clientIP`, 'when session affinity type is ClientIP')];
  const t = cfg.clientIP.timeoutSeconds;
  if (t === undefined || t === null) return [required(`${path}.clientIP.timeoutSeconds`, 'when session affinity type is ClientIP')];
  if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0 || t > MAX_CLIENT_IP_TIMEOUT_SECONDS) {
    return [invalid(`${path}.clientIP.timeoutSeconds`, t, `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT_SECONDS}`)];
  }
  return [];
}

/** clusterIP, clusterIPs, ipFamilies and ipFamilyPolicy together (ValidateServiceClusterIPsRelatedFields), for this IPv4-only cluster. */
function validateClusterIPFields(s: Spec, errs: FieldError[]): void {
  if (s.type === 'ExternalName') return;
  const ips = stringList(s.clusterIPs, 'spec.clusterIPs', errs);
  const clusterIP = s.clusterIP;
  if (clusterIP !== undefined && clusterIP !== null && typeof clusterIP !== 'string') {
    errs.push(typeInvalid('spec.clusterIP', clusterIP, 'must be a string'));
    return;
  }
  if (!isEmpty(clusterIP)) {
    if (ips.length === 0) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== clusterIP) errs.push(invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }

  const families = stringList(s.ipFamilies, 'spec.ipFamilies', errs);
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (!has(IP_FAMILIES, f)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, IP_FAMILIES));
    else if (f !== 'IPv4') errs.push(invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
    if (seen.has(f)) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null) {
    if (!has(IP_FAMILY_POLICIES, s.ipFamilyPolicy)) errs.push(notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, IP_FAMILY_POLICIES));
    else if (s.ipFamilyPolicy === 'RequireDualStack') {
      errs.push(invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
    }
  }

  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    const msgs = isValidIP(ip);
    if (msgs.length) badIPs = true;
    for (const m of msgs) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, m));
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (badIPs) return;
  if (ips.length > 1) {
    const v4 = ips.filter((ip) => parseIPv4(ip)).length;
    if (v4 !== 1 || ips.length !== 2) errs.push(invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(s)) {
    ips.forEach((ip, i) => {
      const fam = families[i];
      if (fam === 'IPv4' && !parseIPv4(ip)) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fam === 'IPv6' && !parseIPv6(ip)) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
}

function validateStringField(s: Spec, key: string, errs: FieldError[]): void {
  const v = s[key];
  if (v !== undefined && v !== null && typeof v !== 'string') errs.push(typeInvalid(`spec.${key}`, v, 'must be a string'));
}

/** ValidateService for the spec (metadata is the generic registry's). */
export function validateService(obj: KubeObject): FieldError[] {
  if (obj.spec !== undefined && obj.spec !== null && !isObject(obj.spec)) return [typeInvalid('spec', obj.spec, 'must be an object')];
  const s: Spec = specOf(obj) ?? {};
  const errs: FieldError[] = [];
  for (const k of ['type', 'clusterIP', 'externalName', 'sessionAffinity', 'externalTrafficPolicy', 'internalTrafficPolicy', 'loadBalancerIP']) {
    validateStringField(s, k, errs);
  }
  if (errs.length) return errs;

  const headless = isHeadless(s);
  const ports = objectList(s.ports, 'spec.ports', errs);
  const noPorts = s.ports === undefined || s.ports === null || (Array.isArray(s.ports) && s.ports.length === 0);
  if (noPorts && !headless && s.type !== 'ExternalName') {
    errs.push(required('spec.ports'));
  }
  switch (s.type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (headless) errs.push(invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${s.type} services`));
      break;
    case 'ExternalName': {
      if (clusterIPList(s).length > 0 || !isEmpty(s.clusterIP)) {
        errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      }
      if (Array.isArray(s.ipFamilies) && s.ipFamilies.length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      // The CNAME may end with a dot to mark it fully qualified.
      const cname = typeof s.externalName === 'string' ? s.externalName.replace(/\.$/, '') : '';
      if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, m));
      else errs.push(required('spec.externalName'));
      break;
    }
  }

  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)));

  if (s.selector !== undefined && s.selector !== null) errs.push(...validateLabels(s.selector, 'spec.selector'));

  if (isEmpty(s.sessionAffinity)) errs.push(required('spec.sessionAffinity'));
  else if (!has(SESSION_AFFINITIES, s.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', s.sessionAffinity, SESSION_AFFINITIES));
  if (s.sessionAffinity === 'ClientIP') errs.push(...validateClientIPConfig(s.sessionAffinityConfig));
  else if (s.sessionAffinity === 'None' && s.sessionAffinityConfig !== undefined && s.sessionAffinityConfig !== null) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  validateClusterIPFields(s, errs);

  stringList(s.externalIPs, 'spec.externalIPs', errs).forEach((ip, i) => {
    const msgs = isValidIP(ip);
    if (msgs.length) for (const m of msgs) errs.push(invalid(`spec.externalIPs[${i}]`, ip, m));
    else errs.push(...validateNonSpecialIP(ip, `spec.externalIPs[${i}]`));
  });

  if (isEmpty(s.type)) errs.push(required('spec.type'));
  else if (!has(SERVICE_TYPES, s.type)) errs.push(notSupported('spec.type', s.type, SERVICE_TYPES));

  if (s.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (typeof p.nodePort === 'number' && p.nodePort !== 0) errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }

  // Duplicates count (protocol, nodePort) and (protocol, port) pairs.
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (typeof p.nodePort !== 'number' || p.nodePort === 0) return;
    const key = `${String(p.protocol)}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(key);
  });
  const servicePorts = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${String(p.protocol)}/${String(p.port)}`;
    if (servicePorts.has(key)) errs.push(duplicate(`spec.ports[${i}]`, { port: p.port, protocol: p.protocol }));
    servicePorts.add(key);
  });

  const ranges = stringList(s.loadBalancerSourceRanges, 'spec.loadBalancerSourceRanges', errs);
  if (ranges.length > 0) {
    if (s.type !== 'LoadBalancer') errs.push(forbidden('spec.loadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    if (ranges.some((r) => !parseCIDR(r.trim()))) {
      errs.push(invalid('spec.loadBalancerSourceRanges', ranges, 'must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 '));
    }
  }

  if (s.type === 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts === undefined || s.allocateLoadBalancerNodePorts === null) errs.push(required('spec.allocateLoadBalancerNodePorts'));
    else if (typeof s.allocateLoadBalancerNodePorts !== 'boolean') {
      errs.push(typeInvalid('spec.allocateLoadBalancerNodePorts', s.allocateLoadBalancerNodePorts, 'must be a boolean'));
    }
    if (s.loadBalancerClass !== undefined && s.loadBalancerClass !== null) {
      if (typeof s.loadBalancerClass !== 'string') errs.push(typeInvalid('spec.loadBalancerClass', s.loadBalancerClass, 'must be a string'));
      else for (const m of isQualifiedName(s.loadBalancerClass)) errs.push(invalid('spec.loadBalancerClass', s.loadBalancerClass, m));
    }
  } else {
    if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts !== null) {
      errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
    }
    if (s.loadBalancerClass !== undefined && s.loadBalancerClass !== null) {
      errs.push(forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    }
  }

  if (!externallyAccessible(s)) {
    if (!isEmpty(s.externalTrafficPolicy)) errs.push(invalid('spec.externalTrafficPolicy', s.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (isEmpty(s.externalTrafficPolicy)) {
    errs.push(required('spec.externalTrafficPolicy'));
  } else if (!has(TRAFFIC_POLICIES, s.externalTrafficPolicy)) {
    errs.push(notSupported('spec.externalTrafficPolicy', s.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  const hc = s.healthCheckNodePort;
  if (hc !== undefined && hc !== null && hc !== 0) {
    if (!Number.isInteger(hc)) errs.push(typeInvalid('spec.healthCheckNodePort', hc, 'must be an integer'));
    else if (!needsHealthCheckNodePort(s)) {
      errs.push(invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    } else for (const m of isValidPortNum(hc as number)) errs.push(invalid('spec.healthCheckNodePort', hc, m));
  }

  if (s.internalTrafficPolicy === undefined || s.internalTrafficPolicy === null) {
    if (has(['ClusterIP', 'NodePort', 'LoadBalancer'], s.type)) errs.push(required('spec.internalTrafficPolicy'));
  } else if (!has(TRAFFIC_POLICIES, s.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  return errs;
}

/** ValidateServiceUpdate: validateService plus what may not change (primary ClusterIP, IP families, loadBalancerClass). */
export function validateServiceUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = specOf(newObj);
  const old = specOf(oldObj);
  if (s && old && s.type !== 'ExternalName' && old.type !== 'ExternalName') {
    const ips = clusterIPList(s);
    const oldIPs = clusterIPList(old);
    if (!(isHeadless(s) && isHeadless(old))) {
      if (oldIPs.length === ips.length) {
        oldIPs.forEach((ip, i) => {
          if (ip !== ips[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, ips, 'may not change once set'));
        });
      } else if (oldIPs.length > ips.length) {
        if (ips.length === 0) errs.push(invalid('spec.clusterIPs[0]', ips, 'primary clusterIP can not be unset'));
        else if (ips[0] !== oldIPs[0]) errs.push(invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
      } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
        errs.push(invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
      }
    }
    if (isHeadless(s) === isHeadless(old) && !isHeadless(s)) {
      const fams = Array.isArray(s.ipFamilies) ? s.ipFamilies : [];
      const oldFams = Array.isArray(old.ipFamilies) ? old.ipFamilies : [];
      const n = Math.min(fams.length, oldFams.length);
      for (let i = 0; i < n; i++) {
        if (fams[i] !== oldFams[i]) {
          errs.push(invalid('spec.ipFamilies[0]', fams, 'may not change once set'));
          break;
        }
      }
    }
  }
  if (s && old && s.type === 'LoadBalancer' && old.type === 'LoadBalancer' && !sameJSON(s.loadBalancerClass, old.loadBalancerClass)) {
    errs.push(invalid('spec.loadBalancerClass', s.loadBalancerClass ?? null, 'may not change once set'));
  }
  errs.push(...validateService(newObj));
  return errs;
}

/** ValidateLoadBalancerStatus for the status subresource. */
export function validateServiceStatus(obj: KubeObject): FieldError[] {
  const status = obj.status;
  if (status === undefined || status === null) return [];
  if (!isObject(status)) return [typeInvalid('status', status, 'must be an object')];
  const lb = status.loadBalancer;
  if (lb === undefined || lb === null) return [];
  if (!isObject(lb)) return [typeInvalid('status.loadBalancer', lb, 'must be an object')];
  const errs: FieldError[] = [];
  objectList(lb.ingress, 'status.loadBalancer.ingress', errs).forEach((ing, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (!isEmpty(ing.ip)) {
      if (typeof ing.ip !== 'string' || isValidIP(ing.ip).length > 0) errs.push(invalid(`${path}.ip`, ing.ip, 'must be a valid IP address'));
    }
    if (!isEmpty(ing.hostname)) {
      if (typeof ing.hostname !== 'string') errs.push(typeInvalid(`${path}.hostname`, ing.hostname, 'must be a string'));
      else {
        for (const m of isDNS1123Subdomain(ing.hostname)) errs.push(invalid(`${path}.hostname`, ing.hostname, m));
        if (isValidIP(ing.hostname).length === 0) errs.push(invalid(`${path}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
      }
    }
    if (ing.ipMode !== undefined && ing.ipMode !== null) {
      if (!has(['Proxy', 'VIP'], ing.ipMode)) errs.push(notSupported(`${path}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
      else if (isEmpty(ing.ip)) errs.push(forbidden(`${path}.ipMode`, 'may not be specified when `ip` is not'));
    }
  });
  return errs;
}

// ---- allocation ----

/** Claims made during one allocate/reallocate call, so a failure can give them all back. */
class Claims {
  private readonly ips: string[] = [];
  private readonly ports: number[] = [];

  constructor(private readonly allocator: ServiceAllocator) {}

  ip(requested?: string): string {
    const ip = this.allocator.allocateIP(requested);
    this.ips.push(ip);
    return ip;
  }

  port(requested?: number): number {
    const p = this.allocator.allocateNodePort(requested);
    this.ports.push(p);
    return p;
  }

  rollback(): void {
    for (const ip of this.ips) this.allocator.releaseIP(ip);
    for (const p of this.ports) this.allocator.releaseNodePort(p);
  }
}

const NOTHING_HELD: Held = { ips: new Set(), ports: new Set() };

function invalidService(name: string | undefined, errors: FieldError[]): InvalidError {
  return new InvalidError({ resource: INFO.plural, group: INFO.group, kind: INFO.kind, name }, errors);
}

function rethrow(e: unknown, onRequested: (msg: string) => Error, onFull: (msg: string) => Error): never {
  if (e instanceof AllocationError) throw e.failure === 'Full' ? onFull(e.message) : onRequested(e.message);
  throw e;
}

/** Gives the service its ClusterIP unless headless; requested values must be free and in range. `held` is what it already owns. */
function assignClusterIP(s: ServiceSpec, name: string | undefined, claims: Claims, held: Held): void {
  const requested = s.clusterIP ?? '';
  if (requested === 'None') return;
  if (requested === '') {
    let ip: string;
    try {
      ip = claims.ip();
    } catch (e) {
      rethrow(e, (m) => new InternalError(`failed to allocate a serviceIP: ${m}`), (m) => new InternalError(`failed to allocate a serviceIP: ${m}`));
    }
    s.clusterIP = ip;
    s.clusterIPs = [ip];
    return;
  }
  if (!held.ips.has(requested)) {
    try {
      claims.ip(requested);
    } catch (e) {
      const ips = s.clusterIPs?.length ? s.clusterIPs : [requested];
      const err = (m: string) => invalidService(name, [invalid('spec.clusterIPs', ips, `failed to allocate IP ${requested}: ${m}`)]);
      rethrow(e, err, err);
    }
  }
  if (!s.clusterIPs?.length) s.clusterIPs = [requested];
}

/**
 * NodePorts for NodePort and LoadBalancer services (for LoadBalancer only requested ones when
 * allocateLoadBalancerNodePorts is false). Ports that share a port number (TCP and UDP 53)
 * share one node port, as in Kubernetes.
 */
function assignNodePorts(s: ServiceSpec, name: string | undefined, claims: Claims, held: Held): void {
  const ports: ServicePort[] = s.ports ?? [];
  const auto = s.type === 'NodePort' || s.allocateLoadBalancerNodePorts !== false;
  const claimed = new Set<number>();
  const byPort = new Map<number, number>();
  for (const p of ports) if (p.nodePort && !byPort.has(p.port)) byPort.set(p.port, p.nodePort);
  ports.forEach((p, i) => {
    let np = p.nodePort ?? 0;
    if (np === 0) {
      if (!auto) return;
      np = byPort.get(p.port) ?? 0;
    }
    if (np !== 0) {
      if (!held.ports.has(np) && !claimed.has(np)) {
        try {
          claims.port(np);
        } catch (e) {
          const err = (m: string) => invalidService(name, [invalid(`spec.ports[${i}].nodePort`, np, m)]);
          rethrow(e, err, err);
        }
      }
    } else {
      try {
        np = claims.port();
      } catch (e) {
        rethrow(e, (m) => new InternalError(`failed to allocate a nodePort: ${m}`), (m) => new InternalError(`failed to allocate a nodePort: ${m}`));
      }
      byPort.set(p.port, np);
    }
    claimed.add(np);
    p.nodePort = np;
  });
}

/** The health-check node port of LoadBalancer services with externalTrafficPolicy Local. */
function assignHealthCheckNodePort(s: ServiceSpec, name: string | undefined, claims: Claims, held: Held): void {
  const requested = s.healthCheckNodePort ?? 0;
  if (requested === 0) {
    try {
      s.healthCheckNodePort = claims.port();
    } catch (e) {
      const err = (m: string) => new InternalError(`failed to allocate a HealthCheck NodePort: ${m}`);
      rethrow(e, err, err);
    }
    return;
  }
  if (held.ports.has(requested)) return;
  try {
    claims.port(requested);
  } catch (e) {
    const err = (m: string) => invalidService(name, [invalid('spec.healthCheckNodePort', requested, `failed to allocate requested HealthCheck NodePort ${requested}: ${m}`)]);
    rethrow(e, err, err);
  }
}

function assignAll(obj: KubeObject, allocator: ServiceAllocator, held: Held): void {
  const s = specOf(obj) as ServiceSpec | undefined;
  if (!s) return;
  const name = obj.metadata?.name;
  const claims = new Claims(allocator);
  try {
    if (needsClusterIP(s as Spec)) assignClusterIP(s, name, claims, held);
    if (needsNodePorts(s as Spec)) assignNodePorts(s, name, claims, held);
    if (needsHealthCheckNodePort(s as Spec)) assignHealthCheckNodePort(s, name, claims, held);
  } catch (e) {
    claims.rollback();
    throw e;
  }
}

/** The allocation hooks over `allocator`: claims on create and update, releases what objects no longer hold. */
export function serviceAllocationHooks(allocator: ServiceAllocator): AllocationHooks {
  return {
    allocate(obj) {
      assignAll(obj, allocator, NOTHING_HELD);
    },
    reallocate(newObj, oldObj) {
      assignAll(newObj, allocator, heldBy(oldObj));
    },
    release(obj, keep) {
      const h = heldBy(obj);
      const k = keep ? heldBy(keep) : NOTHING_HELD;
      for (const ip of h.ips) if (!k.ips.has(ip)) allocator.releaseIP(ip);
      for (const p of h.ports) if (!k.ports.has(p)) allocator.releaseNodePort(p);
    },
  };
}

// ---- table ----

/** `k=v,k2=v2` with sorted keys, `<none>` when empty (labels.FormatLabels). */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/** `80/TCP,443:30443/TCP`; empty when there are no ports. */
export function formatServicePorts(ports: readonly ServicePort[] | undefined): string {
  return (ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
}

function loadBalancerIngress(ingress: readonly LoadBalancerIngress[] | undefined): string[] {
  const out = new Set<string>();
  for (const ing of ingress ?? []) {
    if (ing.ip) out.add(ing.ip);
    else if (ing.hostname) out.add(ing.hostname);
  }
  return [...out].sort();
}

/** EXTERNAL-IP as kubectl shows it (server-side tables are always wide, so nothing is clipped). */
export function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc.status?.loadBalancer?.ingress);
      const all = [...lb, ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

const COLUMNS: readonly TableColumn[] = [
  NAME_COLUMN,
  { name: 'Type', type: 'string', priority: 0, description: 'type determines how the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.' },
  { name: 'Cluster-IP', type: 'string', priority: 0, description: 'clusterIP is the IP address of the service, assigned from the service CIDR unless requested.' },
  { name: 'External-IP', type: 'string', priority: 0, description: 'externalIPs and load-balancer ingress addresses through which the service is reachable from outside.' },
  { name: 'Port(s)', type: 'string', priority: 0, description: 'The ports the service exposes, with their node ports.' },
  AGE_COLUMN,
  { name: 'Selector', type: 'string', priority: 1, description: 'Route service traffic to pods with label keys and values matching this selector.' },
];

export const serviceTable = {
  columns: COLUMNS,
  cells(obj: KubeObject, now: Date): unknown[] {
    const svc = obj as Service;
    const spec = svc.spec ?? {};
    const ports = formatServicePorts(spec.ports);
    return [
      svc.metadata?.name ?? '',
      spec.type ?? '',
      spec.clusterIPs?.[0] ?? '<none>',
      serviceExternalIP(svc),
      ports || '<none>',
      age(svc.metadata?.creationTimestamp, now),
      formatLabels(spec.selector),
    ];
  },
};

// ---- the strategy ----

/**
 * The Service strategy. `allocator` is shared by every write of the server and restored from
 * storage by the caller at start-up (`allocator.restore(storedServices)`). Throws Error (a wiring
 * bug) when `config` and `allocator` describe different pools.
 */
export function serviceStrategy(config: RegistryConfig, allocator: ServiceAllocator): Strategy {
  const [lo, hi] = allocator.nodePortRange;
  if (new ServiceAllocator(config).serviceCIDR !== allocator.serviceCIDR || config.nodePortRange[0] !== lo || config.nodePortRange[1] !== hi) {
    throw new Error(`service allocator pools (${allocator.serviceCIDR}, ${lo}-${hi}) differ from the configuration`);
  }
  return {
    info: INFO,
    defaults(obj) {
      defaultService(obj);
    },
    prepareForCreate(obj) {
      resetStatus(obj);
      obj.status = { loadBalancer: {} };
      const s = specOf(obj);
      if (s) normalizeClusterIPsOnCreate(s);
    },
    prepareForUpdate(newObj, oldObj) {
      keepStatus(newObj, oldObj);
      defaultService(newObj);
      const s = specOf(newObj);
      const old = specOf(oldObj);
      if (!s || !old) return;
      patchAllocatedValues(s, old);
      normalizeClusterIPsOnUpdate(s, old);
      dropTypeDependentFields(s, old);
    },
    validate(obj) {
      return validateService(obj);
    },
    validateUpdate(newObj, oldObj) {
      return validateServiceUpdate(newObj, oldObj);
    },
    prepareForStatusUpdate(newObj, oldObj) {
      keepAllButStatus(newObj, oldObj);
      // LoadBalancerIPMode: ingress points with an IP default to ipMode VIP.
      const lb = isObject(newObj.status) && isObject(newObj.status.loadBalancer) ? newObj.status.loadBalancer : undefined;
      if (lb && Array.isArray(lb.ingress) && specOf(newObj)?.type === 'LoadBalancer') {
        for (const ing of lb.ingress) if (isObject(ing) && !isEmpty(ing.ip) && isEmpty(ing.ipMode)) ing.ipMode = 'VIP';
      }
    },
    validateStatusUpdate(newObj) {
      return validateServiceStatus(newObj);
    },
    table: serviceTable,
    fieldSelectors: {
      'spec.clusterIP': (obj) => {
        const v = specOf(obj)?.clusterIP;
        return typeof v === 'string' ? v : '';
      },
      'spec.type': (obj) => {
        const v = specOf(obj)?.type;
        return typeof v === 'string' ? v : '';
      },
    },
    allocation: serviceAllocationHooks(allocator),
  };
}

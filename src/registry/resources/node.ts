// core/v1 Node: validation as Kubernetes' ValidateNode / ValidateNodeUpdate do it (taints, pod
// CIDRs that are set once, resource quantities) and the columns of `kubectl get nodes`.
//
// As in Kubernetes, a Node is created with its status (the kubelet registers itself with its
// addresses and capacity); later the status changes only through the status subresource.
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { parseQuantity } from '../../api/quantity.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import { isQualifiedName, isValidLabelValue } from '../../api/validation/names.js';
import { TAINT_NOT_READY } from '../../api/well-known-taints.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus } from './base.js';
import { parseCIDR } from './service-allocator.js';

const INFO: ResourceInfo = findResource('', 'v1', 'nodes')!;

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const POD_CIDR_CHANGE = 'node updates may not change podCIDR except from "" to valid';
/** Resources whose quantities must be whole numbers. */
const INTEGER_RESOURCES = new Set(['pods']);

/** `node-role.kubernetes.io/<role>` labels name the node's roles (ROLES column). */
export const LABEL_NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const LABEL_NODE_ROLE = 'kubernetes.io/role';

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (isObject(v) ? v : undefined);

/** spec.podCIDRs as strings ([] when absent or malformed; validation reports the shape). */
function podCIDRs(obj: KubeObject): string[] {
  const v = rec(obj.spec)?.podCIDRs;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** taints: qualified-name keys, label-value values, a known effect, unique by key and effect. */
function validateTaints(v: unknown, errs: FieldError[]): void {
  const path = 'spec.taints';
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) {
    errs.push(typeInvalid(path, v, 'must be an array'));
    return;
  }
  const seen = new Set<string>();
  v.forEach((t: unknown, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(t)) {
      errs.push(typeInvalid(p, t, 'must be an object'));
      return;
    }
    const key = typeof t.key === 'string' ? t.key : '';
    if (typeof t.key !== 'string' && t.key !== undefined) errs.push(typeInvalid(`${p}.key`, t.key, 'must be a string'));
    else for (const m of isQualifiedName(key)) errs.push(invalid(`${p}.key`, key, m));
    if (t.value !== undefined && t.value !== null) {
      if (typeof t.value !== 'string') errs.push(typeInvalid(`${p}.value`, t.value, 'must be a string'));
      else {
        const msgs = isValidLabelValue(t.value);
        if (msgs.length) errs.push(invalid(`${p}.value`, t.value, msgs.join(';')));
      }
    }
    if (t.effect === undefined || t.effect === null || t.effect === '') errs.push(required(`${p}.effect`));
    else if (!(TAINT_EFFECTS as readonly unknown[]).includes(t.effect)) errs.push(notSupported(`${p}.effect`, t.effect, TAINT_EFFECTS));
    if (t.timeAdded !== undefined && t.timeAdded !== null && (typeof t.timeAdded !== 'string' || Number.isNaN(Date.parse(t.timeAdded)))) {
      errs.push(typeInvalid(`${p}.timeAdded`, t.timeAdded, 'must be an RFC 3339 timestamp'));
    }
    const id = `${key}\u0000${String(t.effect)}`;
    if (seen.has(id)) errs.push({ ...duplicate(p, t), detail: 'taints must be unique by key and effect pair' });
    seen.add(id);
  });
}

function validatePodCIDRs(spec: Rec, errs: FieldError[]): void {
  const v = spec.podCIDRs;
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    errs.push(typeInvalid('spec.podCIDRs', v, 'must be an array of strings'));
    return;
  }
  const list = v as string[];
  const families: string[] = [];
  list.forEach((c, i) => {
    const parsed = parseCIDR(c);
    if (!parsed) errs.push(invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    else families.push(parsed.family);
  });
  if (list.length > 1) {
    if (list.length > 2 || families.length !== 2 || families[0] === families[1]) {
      errs.push(invalid('spec.podCIDRs', list, 'may specify no more than one CIDR for each IP family'));
    }
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(`spec.podCIDRs[${i}]`, c));
      seen.add(c);
    });
  }
}

/** status.capacity and status.allocatable: valid, non-negative quantities; `pods` whole. */
function validateResources(status: Rec, errs: FieldError[]): void {
  for (const key of ['capacity', 'allocatable']) {
    const list = status[key];
    if (list === undefined || list === null) continue;
    if (!isObject(list)) {
      errs.push(typeInvalid(`status.${key}`, list, 'must be a map of resource names to quantities'));
      continue;
    }
    for (const [name, q] of Object.entries(list)) {
      const path = `status.${key}[${name}]`;
      if (typeof q !== 'string' && typeof q !== 'number') {
        errs.push(typeInvalid(path, q, 'must be a quantity'));
        continue;
      }
      let nano: bigint;
      try {
        nano = parseQuantity(q).nano;
      } catch (e) {
        errs.push(invalid(path, q, e instanceof Error ? e.message : String(e)));
        continue;
      }
      if (nano < 0n) errs.push(invalid(path, q, 'must be greater than or equal to 0'));
      else if (INTEGER_RESOURCES.has(name) && nano % 1_000_000_000n !== 0n) errs.push(invalid(path, q, 'must be an integer'));
    }
  }
}

/** ValidateNode (metadata is the generic registry's). */
export function validateNode(obj: KubeObject): FieldError[] {
  if (obj.spec !== undefined && obj.spec !== null && !isObject(obj.spec)) return [typeInvalid('spec', obj.spec, 'must be an object')];
  if (obj.status !== undefined && obj.status !== null && !isObject(obj.status)) return [typeInvalid('status', obj.status, 'must be an object')];
  const spec = rec(obj.spec) ?? {};
  const status = rec(obj.status) ?? {};
  const errs: FieldError[] = [];
  validateTaints(spec.taints, errs);
  for (const k of ['podCIDR', 'providerID']) {
    if (spec[k] !== undefined && spec[k] !== null && typeof spec[k] !== 'string') errs.push(typeInvalid(`spec.${k}`, spec[k], 'must be a string'));
  }
  if (spec.unschedulable !== undefined && spec.unschedulable !== null && typeof spec.unschedulable !== 'boolean') {
    errs.push(typeInvalid('spec.unschedulable', spec.unschedulable, 'must be a boolean'));
  }
  validateResources(status, errs);
  validatePodCIDRs(spec, errs);
  return errs;
}

/** ValidateNodeUpdate: podCIDRs and providerID are set once; addresses are unique. */
export function validateNodeUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
  const errs = validateNode(newObj);
  const addresses = rec(newObj.status)?.addresses;
  if (Array.isArray(addresses)) {
    const seen = new Set<string>();
    addresses.forEach((a: unknown, i) => {
      const id = JSON.stringify(isObject(a) ? [a.type, a.address] : a);
      if (seen.has(id)) errs.push(duplicate(`status.addresses[${i}]`, a));
      seen.add(id);
    });
  }
  const oldCIDRs = podCIDRs(oldObj);
  const newCIDRs = podCIDRs(newObj);
  if (oldCIDRs.length > 0) {
    if (oldCIDRs.length !== newCIDRs.length) errs.push(forbidden('spec.podCIDRs', POD_CIDR_CHANGE));
    else oldCIDRs.forEach((c, i) => c !== newCIDRs[i] && errs.push(forbidden('spec.podCIDRs', POD_CIDR_CHANGE)));
  }
  const oldProvider = rec(oldObj.spec)?.providerID;
  if (typeof oldProvider === 'string' && oldProvider !== '' && rec(newObj.spec)?.providerID !== oldProvider) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}

/** podCIDR mirrors podCIDRs[0] (the v1 conversion); allocatable defaults to capacity. */
function defaultNode(obj: KubeObject): void {
  const spec = rec(obj.spec);
  if (spec) {
    const list = spec.podCIDRs;
    if (Array.isArray(list) && list.length > 0 && typeof list[0] === 'string') spec.podCIDR = list[0];
    else if ((list === undefined || list === null || (Array.isArray(list) && list.length === 0)) && typeof spec.podCIDR === 'string' && spec.podCIDR !== '') {
      spec.podCIDRs = [spec.podCIDR];
    }
  }
  const status = rec(obj.status);
  if (status && isObject(status.capacity) && (status.allocatable === undefined || status.allocatable === null)) {
    status.allocatable = structuredClone(status.capacity);
  }
}

// ---- table ----

/** STATUS: `Ready`, `NotReady` or `Unknown` from the Ready condition, plus `SchedulingDisabled` when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((c: NodeCondition) => c.type === 'Ready');
  const out = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) out.push('SchedulingDisabled');
  return out.join(',');
}

/** ROLES: from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted; `<none>` when none. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(LABEL_NODE_ROLE_PREFIX)) {
      const role = k.slice(LABEL_NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === LABEL_NODE_ROLE && v !== '') {
      roles.add(v);
    }
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function address(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

const orUnknown = (v: string | undefined): string => (v ? v : '<unknown>');

/** The taint a new node gets at create (NodeTaint admission); the node lifecycle controller removes it once the node is Ready. */
const NOT_READY_NO_SCHEDULE = { key: TAINT_NOT_READY, effect: 'NoSchedule' } as const;

/**
 * As Kubernetes' NodeTaint admission plugin: a Node is created with the not-ready NoSchedule
 * taint (unless it already has it), so that no pod is bound to it between its registration and
 * its first Ready status, when the node lifecycle controller takes the taint away. It runs as
 * admission after the field manager (admitCreate), so the creator does not own the taint. A
 * spec.taints that is not a list (refused by validation before) is left alone.
 */
function addNotReadyTaint(obj: KubeObject): void {
  const spec = isObject(obj.spec) ? obj.spec : obj.spec === undefined || obj.spec === null ? (obj.spec = {}) : undefined;
  if (!spec) return;
  const taints = spec.taints ?? [];
  if (!Array.isArray(taints)) return;
  if (taints.some((t) => isObject(t) && t.key === NOT_READY_NO_SCHEDULE.key && t.effect === NOT_READY_NO_SCHEDULE.effect)) return;
  spec.taints = [...taints, { ...NOT_READY_NO_SCHEDULE }];
}

export const nodeStrategy: Strategy = {
  info: INFO,
  defaults(obj) {
    defaultNode(obj);
  },
  prepareForCreate() {},
  admitCreate(obj) {
    addNotReadyTaint(obj);
  },
  prepareForUpdate(newObj, oldObj) {
    keepStatus(newObj, oldObj);
  },
  validate(obj) {
    return validateNode(obj);
  },
  validateUpdate(newObj, oldObj) {
    return validateNodeUpdate(newObj, oldObj);
  },
  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
    defaultNode(newObj);
  },
  validateStatusUpdate(newObj, oldObj) {
    return validateNodeUpdate(newObj, oldObj);
  },
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Status', type: 'string', priority: 0, description: 'The status of the node' },
      { name: 'Roles', type: 'string', priority: 0, description: 'The roles of the node' },
      AGE_COLUMN,
      { name: 'Version', type: 'string', priority: 0, description: 'Kubelet Version reported by the node.' },
      { name: 'Internal-IP', type: 'string', priority: 1, description: 'List of addresses reachable to the node.' },
      { name: 'External-IP', type: 'string', priority: 1, description: 'List of addresses reachable to the node.' },
      { name: 'OS-Image', type: 'string', priority: 1, description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).' },
      { name: 'Kernel-Version', type: 'string', priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." },
      { name: 'Container-Runtime', type: 'string', priority: 1, description: 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).' },
    ],
    cells(obj, now) {
      const node = obj as Node;
      const info = node.status?.nodeInfo;
      return [
        node.metadata?.name ?? '',
        nodeStatus(node),
        nodeRoles(node),
        age(node.metadata?.creationTimestamp, now),
        info?.kubeletVersion ?? '',
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        orUnknown(info?.osImage),
        orUnknown(info?.kernelVersion),
        orUnknown(info?.containerRuntimeVersion),
      ];
    },
  },
  fieldSelectors: {
    'spec.unschedulable': (obj) => String(rec(obj.spec)?.unschedulable === true),
  },
};

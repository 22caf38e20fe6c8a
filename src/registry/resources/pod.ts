// Pods (pkg/registry/core/pod/strategy.go): defaulting, what the admission plugins that every
// cluster runs add on create (ServiceAccount, Priority, DefaultTolerationSeconds), status
// `Pending` plus the QoS class on create, the narrow set of spec changes an update may make,
// the status subresource, the `kubectl get pods` table and pod field selectors.
//
// Generation: skiff follows Kubernetes ≥ 1.33 (PodObservedGenerationTracking): a pod is
// created with metadata.generation 1 and every accepted spec change (image, activeDeadlineSeconds,
// tolerations) bumps it; status updates never do. Kubernetes 1.32 left pod generation unset,
// which no kubectl command reads, so the newer behaviour costs kubectl 1.32 nothing.
import type { FieldError } from '../../api/field-errors.js';
import { duplicate, forbidden, invalid } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { parseQuantity } from '../../api/quantity.js';
import { findResource } from '../../api/resources.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../api/validation/metadata.js';
import { isDNS1123Subdomain, isQualifiedName, isValidIP } from '../../api/validation/names.js';
import type { Strategy, StrategyContext, TableColumn } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus } from './base.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../api/well-known-taints.js';
import type { JsonObject } from './pod-spec.js';
import {
  defaultPodSpec,
  eachObject,
  numberOf,
  objectsOf,
  optObject,
  optString,
  stringOf,
  typeInvalid,
  validatePodSpec,
  validatePodSpecUpdate,
} from './pod-spec.js';

const POD_INFO = findResource('', 'v1', 'pods')!;

function specOf(obj: KubeObject): JsonObject | undefined {
  return isObject(obj.spec) ? obj.spec : undefined;
}

function statusOf(obj: KubeObject): JsonObject {
  return isObject(obj.status) ? obj.status : {};
}

/** Defaults a Pod in place (SetDefaults_Pod + SetDefaults_PodSpec). An absent spec becomes {} so validation reports what is missing. */
export function defaultPod(obj: KubeObject): void {
  if (obj.spec === undefined || obj.spec === null) obj.spec = {};
  defaultPodSpec(obj.spec, { pod: true });
}

// ---- QoS ----

const QOS_RESOURCES = ['cpu', 'memory'];

function positiveNano(v: unknown): bigint | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    const n = parseQuantity(v).nano;
    return n > 0n ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pod's QoS class (ComputePodQOS): BestEffort without any cpu/memory request or limit;
 * Guaranteed when every container limits both cpu and memory and requests equal limits;
 * Burstable otherwise. Init containers count, ephemeral ones do not.
 */
export function podQOSClass(spec: unknown): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const s = isObject(spec) ? spec : {};
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const c of [...objectsOf(s.containers), ...objectsOf(s.initContainers)]) {
    const res = isObject(c.resources) ? c.resources : {};
    const req = isObject(res.requests) ? res.requests : {};
    const lim = isObject(res.limits) ? res.limits : {};
    for (const name of QOS_RESOURCES) {
      const r = positiveNano(req[name]);
      if (r !== undefined) requests.set(name, (requests.get(name) ?? 0n) + r);
    }
    const found = new Set<string>();
    for (const name of QOS_RESOURCES) {
      const l = positiveNano(lim[name]);
      if (l === undefined) continue;
      found.add(name);
      limits.set(name, (limits.get(name) ?? 0n) + l);
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of requests) {
      if (limits.get(name) !== r) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

// ---- admission on create ----

/**
 * What Kubernetes' default admission chain adds to a new pod: serviceAccountName `default`
 * (ServiceAccount) and NoExecute tolerations of not-ready/unreachable nodes for
 * `defaultTolerationSeconds` (DefaultTolerationSeconds). Priority and preemptionPolicy come
 * from the pod's PriorityClass, which only an admission that reads the store can resolve
 * (registry/priority-admission.ts). The ServiceAccount token volume is not added: skiff pods get
 * no API credentials mounted.
 */
function admitNewPod(spec: JsonObject, ctx: StrategyContext): void {
  if (stringOf(spec.serviceAccountName) === '' && stringOf(spec.serviceAccount) === '') spec.serviceAccountName = 'default';

  if (spec.tolerations !== undefined && spec.tolerations !== null && !Array.isArray(spec.tolerations)) return;
  const tolerations = objectsOf(spec.tolerations);
  const tolerates = (key: string): boolean =>
    tolerations.some((t) => {
      const k = stringOf(t.key);
      const effect = stringOf(t.effect);
      return (k === key || k === '') && (effect === 'NoExecute' || effect === '');
    });
  const added: JsonObject[] = [];
  for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    if (!tolerates(key)) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: ctx.config.defaultTolerationSeconds });
  }
  if (added.length) spec.tolerations = [...(Array.isArray(spec.tolerations) ? spec.tolerations : []), ...added];
}

// ---- validation ----

/** Pod-only checks on top of validatePodSpec (validatePodMetadataAndSpec). */
function validatePod(obj: KubeObject): FieldError[] {
  const errs = validatePodSpec(obj.spec, 'spec', { pod: true });
  const spec = specOf(obj);
  if (!spec) return errs;
  for (const key of ['containers', 'initContainers']) {
    objectsOf(spec[key]).forEach((c, i) => {
      if (typeof c.image === 'string' && c.image.trim() !== c.image) {
        errs.push(invalid(`spec.${key}[${i}].image`, c.image, 'must not have leading or trailing whitespace'));
      }
    });
  }
  if (stringOf(spec.serviceAccountName) === '') {
    objectsOf(spec.volumes).forEach((v, vi) => {
      if (!isObject(v.projected)) return;
      objectsOf(v.projected.sources).forEach((s, si) => {
        if (isObject(s.serviceAccountToken)) {
          errs.push(forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  return errs;
}

function validatePodCreate(obj: KubeObject): FieldError[] {
  const errs = validatePod(obj);
  const spec = specOf(obj);
  if (!spec) return errs;
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  }
  if (stringOf(spec.nodeName) !== '' && Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

/** Container statuses may not leave `terminated` when the pod does not restart them (ValidateContainerStateTransition). */
function validateStateTransitions(newList: unknown, oldList: unknown, field: string, restartPolicy: string, restartableInit: ReadonlySet<string>): FieldError[] {
  if (restartPolicy === 'Always') return [];
  const errs: FieldError[] = [];
  const next = objectsOf(newList);
  objectsOf(oldList).forEach((old, i) => {
    const state = isObject(old.state) ? old.state : {};
    if (!isObject(state.terminated)) return;
    if (numberOf(state.terminated.exitCode) !== 0 && restartPolicy === 'OnFailure') return;
    if (restartableInit.has(stringOf(old.name))) return;
    for (const n of next) {
      const ns = isObject(n.state) ? n.state : {};
      if (n.name === old.name && !isObject(ns.terminated)) errs.push(forbidden(`${field}[${i}].state`, 'may not be transitioned to non-terminated state'));
    }
  });
  return errs;
}

const SYSTEM_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized']);

/** ValidatePodStatusUpdate, for what a status writer (kubelet, scheduler) may send. */
function validatePodStatusUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = optObject(newObj.status, 'status', errs) ?? {};
  const oldStatus = statusOf(oldObj);
  const oldSpec = specOf(oldObj) ?? {};

  eachObject(status.conditions, 'status.conditions', errs, (c, path) => {
    const t = optString(c.type, `${path}.type`, errs);
    if (SYSTEM_CONDITIONS.has(t)) return;
    // Kubernetes reports these at metadata.conditions[i].Type (sic).
    const at = path.replace(/^status/, 'metadata') + '.Type';
    for (const msg of isQualifiedName(t)) errs.push(invalid(at, t, msg));
  });
  optString(status.phase, 'status.phase', errs);
  const nominated = optString(status.nominatedNodeName, 'status.nominatedNodeName', errs);
  if (nominated !== '' && nominated !== stringOf(oldStatus.nominatedNodeName)) {
    for (const msg of isDNS1123Subdomain(nominated)) errs.push(invalid('status.nominatedNodeName', nominated, msg));
  }
  const qos = optString(status.qosClass, 'status.qosClass', errs);
  if (qos !== stringOf(oldStatus.qosClass)) errs.push(invalid('status.qosClass', qos, FIELD_IMMUTABLE_ERROR_MSG));

  const restartPolicy = stringOf(oldSpec.restartPolicy);
  const restartableInit = new Set(objectsOf(oldSpec.initContainers).filter((c) => c.restartPolicy === 'Always').map((c) => stringOf(c.name)));
  for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) eachObject(status[key], `status.${key}`, errs, () => undefined);
  errs.push(...validateStateTransitions(status.containerStatuses, oldStatus.containerStatuses, 'status.containerStatuses', restartPolicy, new Set()));
  errs.push(...validateStateTransitions(status.initContainerStatuses, oldStatus.initContainerStatuses, 'status.initContainerStatuses', restartPolicy, restartableInit));
  errs.push(...validateStateTransitions(status.ephemeralContainerStatuses, oldStatus.ephemeralContainerStatuses, 'status.ephemeralContainerStatuses', 'Never', new Set()));

  for (const key of ['podIPs', 'hostIPs']) {
    const seen = new Set<string>();
    eachObject(status[key], `status.${key}`, errs, (p, path) => {
      const ip = optString(p.ip, `${path}.ip`, errs);
      for (const msg of isValidIP(ip)) errs.push(invalid(path, ip, msg));
      if (seen.has(ip)) errs.push(duplicate(path, p));
      seen.add(ip);
    });
  }
  const hostIPs = objectsOf(status.hostIPs);
  if (hostIPs.length > 0 && stringOf(status.hostIP) !== stringOf(hostIPs[0]!.ip)) {
    errs.push(invalid('status.hostIPs[0].ip', hostIPs[0]!.ip, 'must be equal to `hostIP`'));
  }
  return errs;
}

// ---- table ----

const POD_COLUMNS: readonly TableColumn[] = [
  NAME_COLUMN,
  { name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod for accepting traffic.', priority: 0 },
  { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.', priority: 0 },
  {
    name: 'Restarts',
    type: 'string',
    description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    priority: 0,
  },
  AGE_COLUMN,
  { name: 'IP', type: 'string', description: 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', priority: 1 },
  {
    name: 'Node',
    type: 'string',
    description: 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.',
    priority: 1,
  },
  {
    name: 'Nominated Node',
    type: 'string',
    description: 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
    priority: 1,
  },
  {
    name: 'Readiness Gates',
    type: 'string',
    description: 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True"',
    priority: 1,
  },
];

function terminatedReason(t: JsonObject, prefix: string): string {
  const reason = stringOf(t.reason);
  if (reason !== '') return `${prefix}${reason}`;
  const signal = numberOf(t.signal);
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${numberOf(t.exitCode)}`;
}

function laterTime(current: number, candidate: unknown): number {
  const t = typeof candidate === 'string' ? Date.parse(candidate) : NaN;
  return Number.isNaN(t) || t <= current ? current : t;
}

/** The cells of one `kubectl get pods` row (printPod): READY, STATUS, RESTARTS as Kubernetes computes them. */
function podCells(obj: KubeObject, now: Date): unknown[] {
  const spec = specOf(obj) ?? {};
  const status = statusOf(obj);
  const meta = obj.metadata ?? {};
  const containers = objectsOf(spec.containers);
  const initContainers = objectsOf(spec.initContainers);
  const restartableInit = new Set(initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => stringOf(c.name)));
  const conditions = objectsOf(status.conditions);

  let restarts = 0;
  let restartableInitRestarts = 0;
  const total = containers.length + restartableInit.size;
  let ready = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;

  const phase = stringOf(status.phase);
  let reason = stringOf(status.reason) !== '' ? stringOf(status.reason) : phase;
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  let initializing = false;
  const initStatuses = objectsOf(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const state = isObject(cs.state) ? cs.state : {};
    const last = isObject(cs.lastState) ? cs.lastState : {};
    restarts += numberOf(cs.restartCount);
    if (isObject(last.terminated)) lastRestart = laterTime(lastRestart, last.terminated.finishedAt);
    const restartable = restartableInit.has(stringOf(cs.name));
    if (restartable) {
      restartableInitRestarts += numberOf(cs.restartCount);
      if (isObject(last.terminated)) lastRestartableInitRestart = laterTime(lastRestartableInitRestart, last.terminated.finishedAt);
    }
    if (isObject(state.terminated) && numberOf(state.terminated.exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (isObject(state.terminated)) {
      reason = terminatedReason(state.terminated, 'Init:');
    } else if (isObject(state.waiting) && stringOf(state.waiting.reason) !== '' && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${stringOf(state.waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = objectsOf(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      const state = isObject(cs.state) ? cs.state : {};
      const last = isObject(cs.lastState) ? cs.lastState : {};
      restarts += numberOf(cs.restartCount);
      if (isObject(last.terminated)) lastRestart = laterTime(lastRestart, last.terminated.finishedAt);
      if (isObject(state.waiting) && stringOf(state.waiting.reason) !== '') reason = stringOf(state.waiting.reason);
      else if (isObject(state.terminated)) reason = terminatedReason(state.terminated, '');
      else if (cs.ready === true && isObject(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (meta.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (meta.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsCell = `${restarts} (${age(new Date(lastRestart).toISOString(), now)} ago)`;

  const podIPs = objectsOf(status.podIPs);
  const ip = podIPs.length > 0 ? stringOf(podIPs[0]!.ip) : '';
  const gates = objectsOf(spec.readinessGates);
  let readinessGates = '<none>';
  if (gates.length > 0) {
    let trueConditions = 0;
    for (const g of gates) {
      const c = conditions.find((x) => x.type === g.conditionType);
      if (c && c.status === 'True') trueConditions++;
    }
    readinessGates = `${trueConditions}/${gates.length}`;
  }
  return [
    meta.name ?? '',
    `${ready}/${total}`,
    reason,
    restartsCell,
    age(meta.creationTimestamp, now),
    ip || '<none>',
    stringOf(spec.nodeName) || '<none>',
    stringOf(status.nominatedNodeName) || '<none>',
    readinessGates,
  ];
}

// ---- strategy ----

export const podStrategy: Strategy = {
  info: POD_INFO,

  defaults(obj) {
    defaultPod(obj);
  },

  prepareForCreateDefaults: true,

  prepareForCreate(obj, ctx) {
    if (obj.spec === undefined || obj.spec === null) obj.spec = {};
    const spec = specOf(obj);
    // Admission first, so that what it adds (the service account, tolerations) is defaulted with the rest.
    if (spec) admitNewPod(spec, ctx);
    defaultPod(obj);
    const status: JsonObject = { phase: 'Pending', qosClass: podQOSClass(spec) };
    if (spec) {
      if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
        status.conditions = [
          { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null, lastTransitionTime: null },
        ];
      }
    }
    obj.status = status;
  },

  prepareForUpdate(newObj, oldObj) {
    keepStatus(newObj, oldObj);
    // the Priority admission set these on create; an update that leaves them out keeps them (as its Update does)
    const spec = specOf(newObj);
    const old = specOf(oldObj);
    if (spec && old) {
      if ((spec.priority === undefined || spec.priority === null) && old.priority !== undefined) spec.priority = old.priority;
      if ((spec.preemptionPolicy === undefined || spec.preemptionPolicy === null) && old.preemptionPolicy !== undefined) spec.preemptionPolicy = old.preemptionPolicy;
    }
  },

  validate(obj) {
    return validatePodCreate(obj);
  },

  validateUpdate(newObj, oldObj) {
    return [...validatePod(newObj), ...validatePodSpecUpdate(newObj.spec, oldObj.spec)];
  },

  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
    // Old kubelets corrupt owner references through pods/status; Kubernetes ignores them there.
    const meta = newObj.metadata;
    if (isObject(meta)) {
      if (oldObj.metadata?.ownerReferences) meta.ownerReferences = oldObj.metadata.ownerReferences;
      else delete meta.ownerReferences;
    }
    // The QoS class is fixed at creation; writers that drop it get it back.
    if (isObject(newObj.status) && stringOf(newObj.status.qosClass) === '') {
      const qos = statusOf(oldObj).qosClass;
      if (qos !== undefined) newObj.status.qosClass = qos;
    }
  },

  validateStatusUpdate(newObj, oldObj) {
    if (newObj.status !== undefined && newObj.status !== null && !isObject(newObj.status)) return [typeInvalid('status', newObj.status, 'must be an object')];
    return validatePodStatusUpdate(newObj, oldObj);
  },

  table: { columns: POD_COLUMNS, cells: podCells },

  fieldSelectors: {
    'spec.nodeName': (o) => stringOf(specOf(o)?.nodeName),
    'spec.restartPolicy': (o) => stringOf(specOf(o)?.restartPolicy),
    'spec.schedulerName': (o) => stringOf(specOf(o)?.schedulerName),
    'spec.serviceAccountName': (o) => stringOf(specOf(o)?.serviceAccountName),
    'spec.hostNetwork': (o) => String(specOf(o)?.hostNetwork === true),
    'status.phase': (o) => stringOf(statusOf(o).phase),
    'status.podIP': (o) => {
      const ips = objectsOf(statusOf(o).podIPs);
      return ips.length > 0 ? stringOf(ips[0]!.ip) : '';
    },
    'status.nominatedNodeName': (o) => stringOf(statusOf(o).nominatedNodeName),
  },
};

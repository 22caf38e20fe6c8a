// Deployments (pkg/registry/apps/deployment/strategy.go, pkg/apis/apps/validation,
// pkg/apis/apps/v1/defaults.go): replicas 1, RollingUpdate with maxSurge/maxUnavailable 25%,
// revisionHistoryLimit 10, progressDeadlineSeconds 600; selector and template rules shared
// with ReplicaSets; strategy checks; the selector may not change (apps/v1); generation follows
// spec *and* annotation changes (annotations are copied to the ReplicaSets); the status
// subresource; the `kubectl get deployments` table.
import type { FieldError } from '../../api/field-errors.js';
import { forbidden, invalid, notSupported, required } from '../../api/field-errors.js';
import { labelSelectorAsString } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import { isValidPercent } from '../../api/validation/names.js';
import type { Strategy, TableColumn } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus, resetStatus } from './base.js';
import type { JsonObject } from './pod-spec.js';
import { containerCells, defaultPodTemplateSpec, jsonEqual, numberOf, optBool, optInt, optObject, typeInvalid, validateNonNegative } from './pod-spec.js';
import { selectorOf, specOf, statusOf, validateReplicaStatus, validateSelectorAndTemplate, validateSelectorUnchanged } from './replicaset.js';

const DEPLOYMENT_INFO = findResource('apps', 'v1', 'deployments')!;

/** SetDefaults_Deployment plus the pod template's defaults. An absent spec/template becomes {} so validation reports what is missing. */
export function defaultDeployment(obj: KubeObject): void {
  if (obj.spec === undefined || obj.spec === null) obj.spec = {};
  const spec = obj.spec;
  if (!isObject(spec)) return;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.strategy === undefined || spec.strategy === null) spec.strategy = {};
  if (isObject(spec.strategy)) {
    const strategy = spec.strategy;
    if (strategy.type === undefined || strategy.type === null || strategy.type === '') strategy.type = 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      if (strategy.rollingUpdate === undefined || strategy.rollingUpdate === null) strategy.rollingUpdate = {};
      if (isObject(strategy.rollingUpdate)) {
        const ru = strategy.rollingUpdate;
        if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = '25%';
        if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = '25%';
      }
    }
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
  if (spec.template === undefined || spec.template === null) spec.template = {};
  if (isObject(spec.template) && (spec.template.spec === undefined || spec.template.spec === null)) spec.template.spec = {};
  defaultPodTemplateSpec(spec.template);
}

/** An IntOrString as Kubernetes reads maxSurge/maxUnavailable: its percent, or its integer value (0 for non-numeric strings). */
export function intOrPercentValue(v: unknown): { value: number; percent: boolean } {
  if (typeof v === 'string') {
    if (isValidPercent(v).length === 0) return { value: Number(v.slice(0, -1)), percent: true };
    return { value: /^[+-]?[0-9]+$/.test(v) ? Number(v) : 0, percent: false };
  }
  return { value: typeof v === 'number' ? v : 0, percent: false };
}

/** ValidatePositiveIntOrPercent: a non-negative integer or a `N%` string. */
export function validateIntOrPercent(v: unknown, field: string, errs: FieldError[]): void {
  if (typeof v === 'string') {
    for (const msg of isValidPercent(v)) errs.push(invalid(field, v, msg));
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    if (v < 0) errs.push(invalid(field, v, 'must be greater than or equal to 0'));
  } else if (v !== undefined && v !== null) {
    errs.push(invalid(field, v, "must be an integer or percentage (e.g '5%')"));
  }
}

function validateStrategy(v: unknown, errs: FieldError[]): void {
  const strategy = optObject(v, 'spec.strategy', errs);
  if (!strategy) return;
  switch (strategy.type) {
    case 'Recreate':
      if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
        errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
      }
      break;
    case 'RollingUpdate': {
      if (strategy.rollingUpdate === undefined || strategy.rollingUpdate === null) {
        errs.push(required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
        break;
      }
      const ru = optObject(strategy.rollingUpdate, 'spec.strategy.rollingUpdate', errs);
      if (!ru) break;
      validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable', errs);
      validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge', errs);
      const unavailable = intOrPercentValue(ru.maxUnavailable);
      if (unavailable.value === 0 && intOrPercentValue(ru.maxSurge).value === 0) {
        errs.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      if (unavailable.percent && unavailable.value > 100) {
        errs.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must not be greater than 100%'));
      }
      break;
    }
    default:
      errs.push(notSupported('spec.strategy', strategy, ['Recreate', 'RollingUpdate']));
  }
}

/** ValidateDeploymentSpec at `spec`. */
function validateDeployment(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = optObject(obj.spec, 'spec', errs);
  if (!spec) return errs.length ? errs : [required('spec')];
  errs.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  validateSelectorAndTemplate(spec, errs);
  validateStrategy(spec.strategy, errs);
  errs.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (spec.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit !== null) {
    errs.push(...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  }
  optBool(spec.paused, 'spec.paused', errs);
  const deadline = optInt(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', errs);
  if (deadline !== undefined) {
    if (deadline <= 0) errs.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than zero'));
    const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
    if (deadline <= minReady) errs.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
  return errs;
}

function validateDeploymentStatus(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
  const errs = validateReplicaStatus(newObj, ['updatedReplicas']);
  if (!isObject(newObj.status)) return errs;
  errs.push(...validateNonNegative(newObj.status.unavailableReplicas, 'status.unavailableReplicas'));
  const next = newObj.status.collisionCount;
  const prev = statusOf(oldObj).collisionCount;
  if (typeof prev === 'number' && (typeof next !== 'number' || next < prev)) {
    errs.push(invalid('status.collisionCount', typeof next === 'number' ? next : 0, 'cannot be decremented'));
  }
  return errs;
}

const DEPLOYMENT_COLUMNS: readonly TableColumn[] = [
  NAME_COLUMN,
  { name: 'Ready', type: 'string', description: 'Number of the pod with ready state', priority: 0 },
  { name: 'Up-to-date', type: 'string', description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', priority: 0 },
  { name: 'Available', type: 'string', description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', priority: 0 },
  AGE_COLUMN,
  { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 1 },
  { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.', priority: 1 },
  { name: 'Selector', type: 'string', description: 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', priority: 1 },
];

/** The SELECTOR cell: the selector's string form, "" when it selects everything, `<invalid>` when malformed. */
function selectorCell(selector: unknown): string {
  if (!selectorOf(selector)) return '<invalid>';
  try {
    return isObject(selector) ? labelSelectorAsString(selector) : '';
  } catch {
    return '<invalid>';
  }
}

export const deploymentStrategy: Strategy = {
  info: DEPLOYMENT_INFO,
  statusKeepsMetadata: ['labels'],

  defaults(obj) {
    defaultDeployment(obj);
  },

  prepareForCreate(obj) {
    resetStatus(obj);
  },

  prepareForUpdate(newObj, oldObj) {
    keepStatus(newObj, oldObj);
  },

  validate(obj) {
    return validateDeployment(obj);
  },

  validateUpdate(newObj, oldObj) {
    return [...validateDeployment(newObj), ...validateSelectorUnchanged(newObj, oldObj)];
  },

  specChanged(newObj, oldObj) {
    return !jsonEqual(newObj.spec, oldObj.spec) || !jsonEqual(newObj.metadata?.annotations, oldObj.metadata?.annotations);
  },

  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
  },

  validateStatusUpdate(newObj, oldObj) {
    if (newObj.status !== undefined && newObj.status !== null && !isObject(newObj.status)) return [typeInvalid('status', newObj.status, 'must be an object')];
    return validateDeploymentStatus(newObj, oldObj);
  },

  table: {
    columns: DEPLOYMENT_COLUMNS,
    cells(obj, now) {
      const spec = specOf(obj);
      const status = statusOf(obj);
      const template: JsonObject = isObject(spec.template) ? spec.template : {};
      const [names, images] = containerCells(template.spec);
      return [
        obj.metadata?.name ?? '',
        `${numberOf(status.readyReplicas)}/${numberOf(spec.replicas)}`,
        numberOf(status.updatedReplicas),
        numberOf(status.availableReplicas),
        age(obj.metadata?.creationTimestamp, now),
        names,
        images,
        selectorCell(spec.selector),
      ];
    },
  },

  fieldSelectors: {},
};

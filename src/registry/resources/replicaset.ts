// ReplicaSets (pkg/registry/apps/replicaset/strategy.go, pkg/apis/apps/validation): replicas
// default 1, selector required, non-empty and matching the template's labels, template
// restartPolicy Always; the selector may not change (apps/v1); the status subresource; the
// `kubectl get rs` table. Also the template check Deployments share (validatePodTemplateForReplicaSet).
import type { FieldError } from '../../api/field-errors.js';
import { goStringMap, invalid, notSupported, required } from '../../api/field-errors.js';
import { formatLabelSelector, labelSelectorFromObject, validateLabelSelector } from '../../api/labels.js';
import type { Selector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../api/validation/metadata.js';
import type { Strategy, TableColumn } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus, resetStatus } from './base.js';
import type { JsonObject } from './pod-spec.js';
import {
  containerCells,
  defaultPodTemplateSpec,
  jsonEqual,
  numberOf,
  optObject,
  templateLabels,
  typeInvalid,
  validateNonNegative,
  validatePodTemplateSpec,
} from './pod-spec.js';

const REPLICASET_INFO = findResource('apps', 'v1', 'replicasets')!;

export function specOf(obj: KubeObject): JsonObject {
  return isObject(obj.spec) ? obj.spec : {};
}

export function statusOf(obj: KubeObject): JsonObject {
  return isObject(obj.status) ? obj.status : {};
}

/**
 * A spec's selector as a Selector, or undefined when the selector is malformed (its errors are
 * validateLabelSelector's to report). An absent selector selects nothing.
 */
export function selectorOf(selector: unknown): Selector | undefined {
  if (selector !== undefined && selector !== null && (!isObject(selector) || validateLabelSelector(selector, 'selector').length > 0)) return undefined;
  try {
    return labelSelectorFromObject(isObject(selector) ? selector : undefined);
  } catch {
    return undefined;
  }
}

/**
 * Selector and template checks shared by ReplicaSets and Deployments (ValidateDeploymentSpec /
 * ValidateReplicaSetSpec / ValidatePodTemplateSpecForReplicaSet): selector required, valid and
 * non-empty (`empty selector is invalid for deployment`, worded so for both kinds, as in
 * Kubernetes); template labels matched by the selector; the template valid, with
 * restartPolicy Always and no activeDeadlineSeconds. `spec` is the object's spec at `spec`.
 */
export function validateSelectorAndTemplate(spec: JsonObject, errs: FieldError[]): void {
  const sel = spec.selector;
  if (sel === undefined || sel === null) {
    errs.push(required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (isObject(sel)) {
      const n = (isObject(sel.matchLabels) ? Object.keys(sel.matchLabels).length : 0) + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0);
      if (n === 0) errs.push(invalid('spec.selector', sel, 'empty selector is invalid for deployment'));
    }
  }
  const selector = selectorOf(sel);
  if (!selector) {
    // As Kubernetes: with a selector it cannot build, the template is not checked at all.
    errs.push(invalid('spec.selector', sel, 'invalid label selector'));
    return;
  }
  errs.push(...validatePodTemplateForReplicaSet(spec.template, selector));
}

/** ValidatePodTemplateSpecForReplicaSet at `spec.template`. */
function validatePodTemplateForReplicaSet(template: unknown, selector: Selector): FieldError[] {
  if (template === undefined || template === null) return [required('spec.template')];
  const errs: FieldError[] = [];
  if (!selector.empty) {
    const labels = templateLabels(template);
    if (!selector.matches(labels)) errs.push(invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  if (isObject(template) && isObject(template.spec)) {
    const rp = template.spec.restartPolicy;
    if (typeof rp === 'string' && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
    if (template.spec.activeDeadlineSeconds !== undefined && template.spec.activeDeadlineSeconds !== null) {
      errs.push(invalid('spec.template.spec.activeDeadlineSeconds', template.spec.activeDeadlineSeconds, 'activeDeadlineSeconds in ReplicaSet is not Supported'));
    }
  }
  return errs;
}

/** `spec.selector: Invalid value: ...: field is immutable` when an apps/v1 update changes the selector. */
export function validateSelectorUnchanged(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
  const n = specOf(newObj).selector;
  return jsonEqual(n, specOf(oldObj).selector) ? [] : [invalid('spec.selector', n ?? null, FIELD_IMMUTABLE_ERROR_MSG)];
}

/**
 * Status counters: each ≥ 0 (`must be greater than or equal to 0`), ready/available (and
 * `extra` ones) not above `status.replicas`, available not above ready.
 */
export function validateReplicaStatus(obj: KubeObject, extra: readonly string[]): FieldError[] {
  if (obj.status !== undefined && obj.status !== null && !isObject(obj.status)) return [typeInvalid('status', obj.status, 'must be an object')];
  const status = statusOf(obj);
  const errs: FieldError[] = [];
  const keys = ['replicas', ...extra, 'readyReplicas', 'availableReplicas', 'observedGeneration'];
  for (const key of keys) errs.push(...validateNonNegative(status[key], `status.${key}`));
  if (status.collisionCount !== undefined && status.collisionCount !== null) errs.push(...validateNonNegative(status.collisionCount, 'status.collisionCount'));
  if (errs.length) return errs;
  const replicas = numberOf(status.replicas);
  for (const key of [...extra, 'readyReplicas', 'availableReplicas']) {
    const v = numberOf(status[key]);
    if (v > replicas) errs.push(invalid(`status.${key}`, v, 'cannot be greater than status.replicas'));
  }
  const ready = numberOf(status.readyReplicas);
  const available = numberOf(status.availableReplicas);
  if (available > ready) errs.push(invalid('status.availableReplicas', available, 'cannot be greater than readyReplicas'));
  return errs;
}

function defaultReplicaSet(obj: KubeObject): void {
  if (obj.spec === undefined || obj.spec === null) obj.spec = {};
  if (!isObject(obj.spec)) return;
  if (obj.spec.replicas === undefined || obj.spec.replicas === null) obj.spec.replicas = 1;
  if (obj.spec.template === undefined || obj.spec.template === null) obj.spec.template = {};
  if (isObject(obj.spec.template) && (obj.spec.template.spec === undefined || obj.spec.template.spec === null)) obj.spec.template.spec = {};
  defaultPodTemplateSpec(obj.spec.template);
}

function validateReplicaSet(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = optObject(obj.spec, 'spec', errs);
  if (!spec) return errs.length ? errs : [required('spec')];
  errs.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  validateSelectorAndTemplate(spec, errs);
  return errs;
}

const REPLICASET_COLUMNS: readonly TableColumn[] = [
  NAME_COLUMN,
  { name: 'Desired', type: 'integer', description: 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.', priority: 0 },
  { name: 'Current', type: 'integer', description: 'Replicas is the most recently observed number of replicas.', priority: 0 },
  { name: 'Ready', type: 'integer', description: 'The number of ready replicas for this replica set.', priority: 0 },
  AGE_COLUMN,
  { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 1 },
  { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.', priority: 1 },
  { name: 'Selector', type: 'string', description: 'Selector is a label query over pods that should match the replica count.', priority: 1 },
];

export const replicaSetStrategy: Strategy = {
  info: REPLICASET_INFO,
  statusKeepsMetadata: ['labels'],

  defaults(obj) {
    defaultReplicaSet(obj);
  },

  prepareForCreate(obj) {
    resetStatus(obj);
  },

  prepareForUpdate(newObj, oldObj) {
    keepStatus(newObj, oldObj);
  },

  validate(obj) {
    return validateReplicaSet(obj);
  },

  validateUpdate(newObj, oldObj) {
    return [...validateReplicaSet(newObj), ...validateSelectorUnchanged(newObj, oldObj)];
  },

  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
  },

  validateStatusUpdate(newObj) {
    return validateReplicaStatus(newObj, ['fullyLabeledReplicas']);
  },

  table: {
    columns: REPLICASET_COLUMNS,
    cells(obj, now) {
      const spec = specOf(obj);
      const status = statusOf(obj);
      const template = isObject(spec.template) ? spec.template : {};
      const [names, images] = containerCells(template.spec);
      return [
        obj.metadata?.name ?? '',
        numberOf(spec.replicas),
        numberOf(status.replicas),
        numberOf(status.readyReplicas),
        age(obj.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(isObject(spec.selector) ? spec.selector : undefined),
      ];
    },
  },

  fieldSelectors: {
    'status.replicas': (o) => String(numberOf(statusOf(o).replicas)),
  },
};

// policy/v1 PodDisruptionBudgets (pkg/registry/policy/poddisruptionbudget, pkg/apis/policy/validation):
// minAvailable or maxUnavailable (not both; each a non-negative integer or a percentage of at
// most 100%), a label selector, unhealthyPodEvictionPolicy; the spec may change (policy/v1);
// generation bumps on spec changes; the status subresource, written by the disruption controller
// and by the eviction subresource; the `kubectl get pdb` table.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { invalid, notSupported } from '../../api/field-errors.js';
import { validateLabelSelector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus } from './base.js';
import { intOrPercentValue, validateIntOrPercent } from './deployment.js';
import { optObject, validateNonNegative } from './pod-spec.js';

const INFO = findResource('policy', 'v1', 'poddisruptionbudgets')!;

/** sorted, as Kubernetes lists them in its NotSupported message */
const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

const set = (v: unknown): boolean => v !== undefined && v !== null;

/** ValidatePodDisruptionBudgetSpec (policy/v1). */
function validatePDB(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = optObject(obj.spec, 'spec', errs);
  if (!spec) return errs;
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) {
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const field of ['minAvailable', 'maxUnavailable'] as const) {
    const v = spec[field];
    if (!set(v)) continue;
    validateIntOrPercent(v, `spec.${field}`, errs);
    const { value, percent } = intOrPercentValue(v);
    if (percent && value > 100) errs.push(invalid(`spec.${field}`, v, 'must not be greater than 100%'));
  }
  if (set(spec.selector)) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (set(policy) && !EVICTION_POLICIES.includes(policy as string)) errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES));
  return errs;
}

/** ValidatePodDisruptionBudgetStatusUpdate: the counts are not negative. */
function validateStatus(obj: KubeObject): FieldError[] {
  const status = isObject(obj.status) ? obj.status : {};
  return ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'].flatMap((f) => validateNonNegative(status[f], `status.${f}`));
}

/** An IntOrString cell as kubectl prints it: the value, or N/A when unset. */
const intOrNA = (v: unknown): string => (set(v) ? String(v) : 'N/A');

export const podDisruptionBudgetStrategy: Strategy = {
  info: INFO,

  defaults() {},

  prepareForCreate(obj) {
    // an empty status, as Kubernetes' PrepareForCreate leaves it (the counts have no omitempty)
    obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },

  prepareForUpdate(newObj, oldObj) {
    keepStatus(newObj, oldObj);
  },

  validate(obj) {
    return validatePDB(obj);
  },

  validateUpdate(newObj) {
    return validatePDB(newObj);
  },

  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
  },

  validateStatusUpdate(newObj) {
    return validateStatus(newObj);
  },

  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Min Available', type: 'string', priority: 0, description: 'An eviction is allowed if at least "minAvailable" pods selected by "selector" will still be available after the eviction.' },
      { name: 'Max Unavailable', type: 'string', priority: 0, description: 'An eviction is allowed if at most "maxUnavailable" pods selected by "selector" are unavailable after the eviction.' },
      { name: 'Allowed Disruptions', type: 'integer', priority: 0, description: 'Number of pod disruptions that are currently allowed.' },
      AGE_COLUMN,
    ],
    cells(obj, now) {
      const pdb = obj as PodDisruptionBudget;
      return [pdb.metadata?.name ?? '', intOrNA(pdb.spec?.minAvailable), intOrNA(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, age(pdb.metadata?.creationTimestamp, now)];
    },
  },

  fieldSelectors: {},
};

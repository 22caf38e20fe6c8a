// scheduling.k8s.io/v1 PriorityClasses (pkg/registry/scheduling/priorityclass,
// pkg/apis/scheduling/validation): cluster-scoped; `value` (at most 1,000,000,000 for user
// classes) and `preemptionPolicy` are immutable; names starting with "system-" are reserved for
// the two built-in classes, which every cluster has (bootstrap()); the `kubectl get pc` table.
// What a pod's priorityClassName turns into is the Priority admission's (priority-admission.ts).
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { forbidden, invalid, notSupported } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age } from './base.js';

const INFO = findResource('scheduling.k8s.io', 'v1', 'priorityclasses')!;

/** Kubernetes' HighestUserDefinablePriority. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
export const DEFAULT_PREEMPTION_POLICY = 'PreemptLowerPriority';
/** sorted, as Kubernetes lists them in its NotSupported message */
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

/** The built-in classes (Kubernetes' SystemPriorityClasses), created when the server starts. */
export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClass[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2_000_001_000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2_000_000_000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** ValidatePriorityClass. */
function validatePriorityClass(obj: KubeObject): FieldError[] {
  const pc = obj as unknown as PriorityClass;
  const errs: FieldError[] = [];
  const name = pc.metadata?.name ?? '';
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const known = SYSTEM_PRIORITY_CLASSES.find((s) => s.metadata?.name === name);
    const why = !known ? `${name} is not a known system priority class` : known.value !== pc.value ? `value of ${name} PriorityClass must be ${known.value}` : pc.globalDefault ? `globalDefault of ${name} PriorityClass must be false` : '';
    if (why) errs.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy !== undefined && pc.preemptionPolicy !== null && !PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) {
    errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

export const priorityClassStrategy: Strategy = {
  info: INFO,

  defaults(obj) {
    const pc = obj as unknown as { value?: number | null; preemptionPolicy?: string | null };
    // `value` is a plain int32 in Go: absent is 0
    if (pc.value === undefined || pc.value === null) pc.value = 0;
    if (pc.preemptionPolicy === undefined || pc.preemptionPolicy === null) pc.preemptionPolicy = DEFAULT_PREEMPTION_POLICY;
  },

  prepareForCreate(obj) {
    // as Kubernetes' PrepareForCreate, although a PriorityClass has no spec
    (obj.metadata ??= {}).generation = 1;
  },

  prepareForUpdate() {},

  validate(obj) {
    return validatePriorityClass(obj);
  },

  validateUpdate(newObj, oldObj) {
    const errs = validatePriorityClass(newObj);
    const n = newObj as unknown as PriorityClass;
    const o = oldObj as unknown as PriorityClass;
    if (n.value !== o.value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if (n.preemptionPolicy !== o.preemptionPolicy) errs.push(invalid('preemptionPolicy', n.preemptionPolicy ?? null, 'field is immutable'));
    return errs;
  },

  // PriorityClass has no spec: the generation never moves
  specChanged() {
    return false;
  },

  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Value', type: 'integer', priority: 0, description: 'The value of this priority class.' },
      { name: 'Global-Default', type: 'boolean', priority: 0, description: 'Whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.' },
      AGE_COLUMN,
      { name: 'PreemptionPolicy', type: 'string', priority: 0, description: 'The policy for preempting pods with lower priority.' },
    ],
    cells(obj, now) {
      const pc = obj as unknown as PriorityClass;
      return [pc.metadata?.name ?? '', pc.value, pc.globalDefault === true, age(pc.metadata?.creationTimestamp, now), pc.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY];
    },
  },

  fieldSelectors: {},
};

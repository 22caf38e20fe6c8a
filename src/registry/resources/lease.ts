// coordination.k8s.io/v1 Lease: heartbeats and leader election. Validation as Kubernetes'
// ValidateLeaseSpec does it, and the columns of `kubectl get leases`.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { invalid } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age } from './base.js';

const INFO: ResourceInfo = findResource('coordination.k8s.io', 'v1', 'leases')!;

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });
const absent = (v: unknown): boolean => v === undefined || v === null;

/** ValidateLeaseSpec (metadata is the generic registry's). */
export function validateLease(obj: KubeObject): FieldError[] {
  const spec = obj.spec;
  if (absent(spec)) return [];
  if (!isObject(spec)) return [typeInvalid('spec', spec, 'must be an object')];
  const errs: FieldError[] = [];
  for (const k of ['holderIdentity', 'strategy', 'preferredHolder']) {
    if (!absent(spec[k]) && typeof spec[k] !== 'string') errs.push(typeInvalid(`spec.${k}`, spec[k], 'must be a string'));
  }
  const duration = spec.leaseDurationSeconds;
  if (!absent(duration)) {
    if (!Number.isInteger(duration)) errs.push(typeInvalid('spec.leaseDurationSeconds', duration, 'must be an integer'));
    else if ((duration as number) <= 0) errs.push(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  const transitions = spec.leaseTransitions;
  if (!absent(transitions)) {
    if (!Number.isInteger(transitions)) errs.push(typeInvalid('spec.leaseTransitions', transitions, 'must be an integer'));
    else if ((transitions as number) < 0) errs.push(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
  for (const k of ['acquireTime', 'renewTime']) {
    const t = spec[k];
    if (!absent(t) && (typeof t !== 'string' || Number.isNaN(Date.parse(t)))) errs.push(typeInvalid(`spec.${k}`, t, 'must be an RFC 3339 timestamp'));
  }
  if (typeof spec.preferredHolder === 'string' && spec.preferredHolder !== '' && (absent(spec.strategy) || spec.strategy === '')) {
    errs.push(invalid('spec.preferredHolder', spec.preferredHolder, 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

export const leaseStrategy: Strategy = {
  info: INFO,
  defaults() {},
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateLease(obj);
  },
  validateUpdate(newObj) {
    return validateLease(newObj);
  },
  table: {
    columns: [NAME_COLUMN, { name: 'Holder', type: 'string', priority: 0, description: 'holderIdentity contains the identity of the holder of a current lease.' }, AGE_COLUMN],
    cells(obj, now) {
      const lease = obj as Lease;
      return [lease.metadata?.name ?? '', lease.spec?.holderIdentity ?? '', age(lease.metadata?.creationTimestamp, now)];
    },
  },
  fieldSelectors: {},
};

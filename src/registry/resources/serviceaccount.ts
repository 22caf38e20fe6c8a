// core/v1 ServiceAccount. Kubernetes validates only its metadata; skiff also refuses values of
// the wrong type, since objects arrive from the wire in any shape.
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age } from './base.js';

const INFO: ResourceInfo = findResource('', 'v1', 'serviceaccounts')!;

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });

/** secrets, imagePullSecrets: lists of references; automountServiceAccountToken: a boolean. */
export function validateServiceAccount(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of ['secrets', 'imagePullSecrets']) {
    const v = obj[field];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) {
      errs.push(typeInvalid(field, v, 'must be an array'));
      continue;
    }
    v.forEach((ref: unknown, i) => {
      if (!isObject(ref)) errs.push(typeInvalid(`${field}[${i}]`, ref, 'must be an object'));
      else if (ref.name !== undefined && typeof ref.name !== 'string') errs.push(typeInvalid(`${field}[${i}].name`, ref.name, 'must be a string'));
    });
  }
  const auto = obj.automountServiceAccountToken;
  if (auto !== undefined && auto !== null && typeof auto !== 'boolean') errs.push(typeInvalid('automountServiceAccountToken', auto, 'must be a boolean'));
  return errs;
}

export const serviceAccountStrategy: Strategy = {
  info: INFO,
  defaults() {},
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateServiceAccount(obj);
  },
  validateUpdate(newObj) {
    return validateServiceAccount(newObj);
  },
  table: {
    columns: [NAME_COLUMN, { name: 'Secrets', type: 'string', priority: 0, description: 'The number of secrets the service account references.' }, AGE_COLUMN],
    cells(obj, now) {
      const sa = obj as ServiceAccount;
      return [sa.metadata?.name ?? '', sa.secrets?.length ?? 0, age(sa.metadata?.creationTimestamp, now)];
    },
  },
  fieldSelectors: {},
};

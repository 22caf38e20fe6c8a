// core/v1 Namespace, as Kubernetes' namespace strategy does it: created Active with the
// `kubernetes` finalizer and the `kubernetes.io/metadata.name` label; spec.finalizers change only
// through the finalize subresource and status.phase only through the status subresource.
// (Deletion marks it Terminating: see ../deletion.ts.)
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/field-errors.js';
import { invalid } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { findResource } from '../../api/resources.js';
import { isQualifiedName } from '../../api/validation/names.js';
import { FINALIZER_DELETE_DEPENDENTS, FINALIZER_ORPHAN_DEPENDENTS } from '../../api/validation/metadata.js';
import type { Strategy } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, keepAllButStatus, keepStatus } from './base.js';

const INFO: ResourceInfo = findResource('', 'v1', 'namespaces')!;

/** The finalizer the namespace controller removes once the namespace is empty. */
export const FINALIZER_KUBERNETES = 'kubernetes';

/** The label every namespace carries with its own name, for namespaceSelectors. */
export const LABEL_METADATA_NAME = 'kubernetes.io/metadata.name';

const STANDARD_FINALIZERS = [FINALIZER_KUBERNETES, FINALIZER_ORPHAN_DEPENDENTS, FINALIZER_DELETE_DEPENDENTS];

const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });

function specFinalizers(obj: KubeObject): unknown {
  return isObject(obj.spec) ? obj.spec.finalizers : undefined;
}

/**
 * spec.finalizers: qualified names; a name without a `/` must be one of Kubernetes' own
 * (`kubernetes`, `orphan`, `foregroundDeletion`).
 */
function validateSpecFinalizers(obj: KubeObject): FieldError[] {
  if (obj.spec !== undefined && obj.spec !== null && !isObject(obj.spec)) return [typeInvalid('spec', obj.spec, 'must be an object')];
  const list = specFinalizers(obj);
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return [typeInvalid('spec.finalizers', list, 'must be an array of strings')];
  const errs: FieldError[] = [];
  list.forEach((f: unknown, i) => {
    const path = `spec.finalizers[${i}]`;
    if (typeof f !== 'string') {
      errs.push(typeInvalid(path, f, 'must be a string'));
      return;
    }
    for (const m of isQualifiedName(f)) errs.push(invalid(path, f, m));
    if (!f.includes('/') && !STANDARD_FINALIZERS.includes(f)) {
      errs.push(invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

/** The phase must agree with deletionTimestamp (ValidateNamespaceStatusUpdate). */
function validateStatus(obj: KubeObject): FieldError[] {
  const status = obj.status;
  if (status !== undefined && status !== null && !isObject(status)) return [typeInvalid('status', status, 'must be an object')];
  const phase = isObject(status) ? status.phase : undefined;
  if (obj.metadata?.deletionTimestamp) {
    if (phase !== 'Terminating') return [invalid('status.Phase', phase ?? '', "may only be 'Terminating' if `deletionTimestamp` is not empty")];
  } else if (phase !== 'Active') {
    return [invalid('status.Phase', phase ?? '', "may only be 'Active' if `deletionTimestamp` is empty")];
  }
  return [];
}

/**
 * The finalize subresource (PUT .../namespaces/NAME/finalize), which the namespace controller
 * uses to drop `kubernetes` from spec.finalizers once the namespace is empty. Not part of
 * Strategy: the apiserver routes `finalize` here.
 */
export const namespaceFinalize = {
  /** Everything but spec.finalizers stays as stored. */
  prepareForUpdate(newObj: KubeObject, oldObj: KubeObject): void {
    const finalizers = specFinalizers(newObj);
    keepAllButStatus(newObj, oldObj);
    keepStatus(newObj, oldObj);
    const spec: Record<string, unknown> = isObject(newObj.spec) ? newObj.spec : {};
    newObj.spec = spec;
    if (finalizers === undefined || finalizers === null) delete spec.finalizers;
    else spec.finalizers = finalizers;
  },
  validateUpdate(newObj: KubeObject): FieldError[] {
    return validateSpecFinalizers(newObj);
  },
};

export const namespaceStrategy: Strategy = {
  info: INFO,

  defaults(obj) {
    const name = obj.metadata?.name;
    if (!name) return;
    const meta = obj.metadata!;
    if (meta.labels === undefined || meta.labels === null) meta.labels = {};
    // Labels of the wrong type are left for metadata validation to report.
    if (isObject(meta.labels)) meta.labels[LABEL_METADATA_NAME] = name;
  },

  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    if (obj.spec === undefined || obj.spec === null) obj.spec = {};
    if (!isObject(obj.spec)) return;
    const list = obj.spec.finalizers;
    if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) obj.spec.finalizers = [FINALIZER_KUBERNETES];
    else if (Array.isArray(list) && !list.includes(FINALIZER_KUBERNETES)) list.push(FINALIZER_KUBERNETES);
  },

  prepareForUpdate(newObj, oldObj) {
    // spec.finalizers belong to the finalize subresource, status to the status subresource.
    keepStatus(newObj, oldObj);
    const oldFinalizers = specFinalizers(oldObj);
    if (!isObject(newObj.spec)) newObj.spec = {};
    const spec = newObj.spec as Record<string, unknown>;
    if (oldFinalizers === undefined) delete spec.finalizers;
    else spec.finalizers = structuredClone(oldFinalizers);
  },

  validate(obj) {
    return validateSpecFinalizers(obj);
  },

  validateUpdate(newObj) {
    return validateSpecFinalizers(newObj);
  },

  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
  },

  validateStatusUpdate(newObj) {
    return validateStatus(newObj);
  },

  table: {
    columns: [NAME_COLUMN, { name: 'Status', type: 'string', priority: 0, description: 'The status of the namespace' }, AGE_COLUMN],
    cells(obj, now) {
      const ns = obj as Namespace;
      return [ns.metadata?.name ?? '', ns.status?.phase ?? '', age(ns.metadata?.creationTimestamp, now)];
    },
  },

  fieldSelectors: {
    'status.phase': (obj) => {
      const phase = isObject(obj.status) ? obj.status.phase : undefined;
      return typeof phase === 'string' ? phase : '';
    },
  },
};

// Jobs (pkg/registry/batch/job/strategy.go, pkg/apis/batch/validation, pkg/apis/batch/v1/defaults.go):
// parallelism/completions 1 when both are unset, backoffLimit 6, completionMode NonIndexed,
// suspend false, podReplacementPolicy; the generated selector
// `batch.kubernetes.io/controller-uid=<uid>` and the matching template labels; template
// restartPolicy OnFailure or Never; what an update may change; the status subresource; the
// `kubectl get jobs` table.
import type { FieldError } from '../../api/field-errors.js';
import { goStringMap, invalid, notSupported, required } from '../../api/field-errors.js';
import { formatLabelSelector, validateLabelSelector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { isObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../api/validation/metadata.js';
import { isDNS1123Label } from '../../api/validation/names.js';
import type { Strategy, TableColumn } from '../strategy.js';
import { AGE_COLUMN, NAME_COLUMN, age, humanDuration, keepAllButStatus, keepStatus, resetStatus } from './base.js';
import type { JsonObject } from './pod-spec.js';
import {
  containerCells,
  defaultPodTemplateSpec,
  eachObject,
  jsonEqual,
  numberOf,
  objectsOf,
  optArray,
  optBool,
  optInt,
  optObject,
  optString,
  templateLabels,
  typeInvalid,
  validateNonNegative,
  validatePodTemplateSpec,
} from './pod-spec.js';
import { selectorOf } from './replicaset.js';

const JOB_INFO = findResource('batch', 'v1', 'jobs')!;

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100000;
const MAX_FAILED_INDEXES_LIMIT = 100000;
const MAX_INT32 = 2147483647;

function specOf(obj: KubeObject): JsonObject {
  return isObject(obj.spec) ? obj.spec : {};
}

function statusOf(obj: KubeObject): JsonObject {
  return isObject(obj.status) ? obj.status : {};
}

const unset = (v: unknown): boolean => v === undefined || v === null;

/** A string field of metadata, or '' (metadata itself is validated by the generic registry). */
function metaString(obj: KubeObject, key: 'name' | 'uid'): string {
  const v: unknown = isObject(obj.metadata) ? obj.metadata[key] : undefined;
  return typeof v === 'string' ? v : '';
}

/**
 * SetDefaults_Job on a JobSpec. With `job` (a Job, not a CronJob's jobTemplate, which Kubernetes
 * leaves as written) also the Job-level defaults. Skips bad shapes.
 */
export function defaultJobSpec(spec: JsonObject, job: boolean): void {
  if (job) {
    if (unset(spec.completions) && unset(spec.parallelism)) {
      spec.completions = 1;
      spec.parallelism = 1;
    }
    if (unset(spec.parallelism)) spec.parallelism = 1;
    if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? 6 : MAX_INT32;
    if (unset(spec.completionMode)) spec.completionMode = 'NonIndexed';
    if (unset(spec.suspend)) spec.suspend = false;
    if (unset(spec.podReplacementPolicy)) spec.podReplacementPolicy = unset(spec.podFailurePolicy) ? 'TerminatingOrFailed' : 'Failed';
    if (isObject(spec.podFailurePolicy)) {
      for (const rule of objectsOf(spec.podFailurePolicy.rules)) {
        for (const p of objectsOf(rule.onPodConditions)) if (unset(p.status) || p.status === '') p.status = 'True';
      }
    }
  }
  if (unset(spec.template)) spec.template = {};
  if (isObject(spec.template) && unset(spec.template.spec)) spec.template.spec = {};
  defaultPodTemplateSpec(spec.template);
}

function defaultJob(obj: KubeObject): void {
  if (unset(obj.spec)) obj.spec = {};
  if (!isObject(obj.spec)) return;
  defaultJobSpec(obj.spec, true);
  // A Job without labels of its own shows its template's (SetDefaults_Job).
  const labels = templateLabels(obj.spec.template);
  const meta = obj.metadata;
  if (labels && isObject(meta) && (!isObject(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
}

/**
 * generateSelector: unless `manualSelector` is true, labels the template with the job's name and
 * uid (both label spellings) and selects `batch.kubernetes.io/controller-uid=<uid>`. Labels the
 * user already set are kept (a conflict is then a validation error). Relies on the generic
 * registry having assigned metadata.uid before prepareForCreate runs.
 */
function generateSelector(obj: KubeObject): void {
  if (unset(obj.spec)) obj.spec = {};
  const spec = obj.spec;
  if (!isObject(spec) || spec.manualSelector === true) return;
  if (unset(spec.template)) spec.template = {};
  if (!isObject(spec.template)) return;
  const template = spec.template;
  if (unset(template.metadata)) template.metadata = {};
  if (!isObject(template.metadata)) return;
  if (unset(template.metadata.labels)) template.metadata.labels = {};
  const labels = template.metadata.labels;
  if (!isObject(labels)) return;
  const name = metaString(obj, 'name');
  const uid = metaString(obj, 'uid');
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(key in labels)) labels[key] = name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(key in labels)) labels[key] = uid;
  if (unset(spec.selector)) spec.selector = {};
  if (!isObject(spec.selector)) return;
  if (unset(spec.selector.matchLabels)) spec.selector.matchLabels = {};
  if (isObject(spec.selector.matchLabels) && !(CONTROLLER_UID_LABEL in spec.selector.matchLabels)) spec.selector.matchLabels[CONTROLLER_UID_LABEL] = uid;
}

// ---- validation ----

const POD_FAILURE_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'] as const;
const POD_REPLACEMENT_POLICIES = ['Failed', 'TerminatingOrFailed'] as const;

function validatePodFailurePolicy(v: unknown, field: string, errs: FieldError[]): void {
  const policy = optObject(v, field, errs);
  if (!policy) return;
  eachObject(policy.rules, `${field}.rules`, errs, (rule, path) => {
    const action = optString(rule.action, `${path}.action`, errs);
    if (action === '') errs.push(required(`${path}.action`));
    else if (!(POD_FAILURE_ACTIONS as readonly string[]).includes(action)) errs.push(notSupported(`${path}.action`, action, POD_FAILURE_ACTIONS));
    const onExit = optObject(rule.onExitCodes, `${path}.onExitCodes`, errs);
    const onConditions = optArray(rule.onPodConditions, `${path}.onPodConditions`, errs);
    if (onExit && onConditions && onConditions.length > 0) errs.push(invalid(path, rule, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    else if (!onExit && (!onConditions || onConditions.length === 0)) errs.push(invalid(path, rule, 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (onExit) {
      const ep = `${path}.onExitCodes`;
      const op = optString(onExit.operator, `${ep}.operator`, errs);
      if (op !== 'In' && op !== 'NotIn') errs.push(notSupported(`${ep}.operator`, op, ['In', 'NotIn']));
      const values = optArray(onExit.values, `${ep}.values`, errs);
      if (unset(onExit.values) || values?.length === 0) errs.push(invalid(`${ep}.values`, values ?? [], 'at least one value is required'));
      let prev: number | undefined;
      (values ?? []).forEach((x, i) => {
        const n = optInt(x, `${ep}.values[${i}]`, errs);
        if (n === undefined) return;
        if (op === 'In' && n === 0) errs.push(invalid(`${ep}.values[${i}]`, n, 'must not be 0 for the In operator'));
        if (prev !== undefined && prev >= n) errs.push(invalid(`${ep}.values[${i}]`, n, prev === n ? 'must be unique' : 'must be ordered'));
        prev = n;
      });
      optString(onExit.containerName, `${ep}.containerName`, errs);
    }
    eachObject(rule.onPodConditions, `${path}.onPodConditions`, errs, (p, pp) => {
      if (optString(p.type, `${pp}.type`, errs) === '') errs.push(required(`${pp}.type`));
      const status = optString(p.status, `${pp}.status`, errs);
      if (status !== 'True' && status !== 'False' && status !== 'Unknown') errs.push(notSupported(`${pp}.status`, status, ['False', 'True', 'Unknown']));
    });
  });
}

/**
 * validateJobSpec: the JobSpec checks a Job and a CronJob's jobTemplate share (everything but the
 * selector): counts ≥ 0, completion mode, per-index backoff, pod failure and replacement
 * policies, and the pod template with restartPolicy OnFailure or Never. `field` is the spec's path.
 */
export function validateJobSpec(spec: JsonObject, field: string, errs: FieldError[]): void {
  for (const key of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errs.push(...validateNonNegative(spec[key], `${field}.${key}`));
  }
  const completions = optInt(spec.completions, `${field}.completions`, []);
  const parallelism = optInt(spec.parallelism, `${field}.parallelism`, []);
  const mode = optString(spec.completionMode, `${field}.completionMode`, errs);
  const indexed = mode === 'Indexed';

  const perIndex = optInt(spec.backoffLimitPerIndex, `${field}.backoffLimitPerIndex`, errs);
  const maxFailed = optInt(spec.maxFailedIndexes, `${field}.maxFailedIndexes`, errs);
  if (perIndex !== undefined) {
    errs.push(...validateNonNegative(perIndex, `${field}.backoffLimitPerIndex`));
    if (maxFailed !== undefined) {
      errs.push(...validateNonNegative(maxFailed, `${field}.maxFailedIndexes`));
      if (completions !== undefined && maxFailed > completions) errs.push(invalid(`${field}.maxFailedIndexes`, maxFailed, 'must be less than or equal to completions'));
      if (maxFailed > MAX_FAILED_INDEXES_LIMIT) errs.push(invalid(`${field}.maxFailedIndexes`, maxFailed, `must be less than or equal to ${MAX_FAILED_INDEXES_LIMIT}`));
    }
    if (!indexed) errs.push(invalid(`${field}.backoffLimitPerIndex`, perIndex, 'requires indexed completion mode'));
  }
  if (maxFailed !== undefined && perIndex === undefined) errs.push(required(`${field}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));

  if (!unset(spec.completionMode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(`${field}.completionMode`, mode, ['NonIndexed', 'Indexed']));
    if (indexed) {
      if (unset(spec.completions)) errs.push(required(`${field}.completions`, 'when completion mode is Indexed'));
      if (parallelism !== undefined && parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
        errs.push(invalid(`${field}.parallelism`, parallelism, `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`));
      }
    }
  }
  optBool(spec.suspend, `${field}.suspend`, errs);
  optBool(spec.manualSelector, `${field}.manualSelector`, errs);
  optString(spec.managedBy, `${field}.managedBy`, errs);

  validatePodFailurePolicy(spec.podFailurePolicy, `${field}.podFailurePolicy`, errs);
  if (unset(spec.backoffLimitPerIndex) && isObject(spec.podFailurePolicy)) {
    objectsOf(spec.podFailurePolicy.rules).forEach((rule, i) => {
      if (rule.action === 'FailIndex') errs.push(invalid(`${field}.podFailurePolicy.rules[${i}].action`, rule.action, 'requires the backoffLimitPerIndex to be set'));
    });
  }
  if (!unset(spec.successPolicy)) {
    if (optObject(spec.successPolicy, `${field}.successPolicy`, errs) && !indexed) {
      errs.push(invalid(`${field}.successPolicy`, spec.successPolicy, 'requires indexed completion mode'));
    }
  }
  if (!unset(spec.podReplacementPolicy)) {
    const prp = optString(spec.podReplacementPolicy, `${field}.podReplacementPolicy`, errs);
    if (!unset(spec.podFailurePolicy)) {
      if (prp !== 'Failed') errs.push(notSupported(`${field}.podReplacementPolicy`, prp, ['Failed']));
    } else if (!(POD_REPLACEMENT_POLICIES as readonly string[]).includes(prp)) {
      errs.push(notSupported(`${field}.podReplacementPolicy`, prp, POD_REPLACEMENT_POLICIES));
    }
  }

  errs.push(...validatePodTemplateSpec(spec.template, `${field}.template`));
  const podSpec = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : undefined;
  if (podSpec) {
    const rp = podSpec.restartPolicy;
    if (rp === 'Always' || unset(rp) || rp === '') {
      errs.push(required(`${field}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
    } else if (rp !== 'OnFailure' && rp !== 'Never') {
      if (typeof rp === 'string') errs.push(notSupported(`${field}.template.spec.restartPolicy`, rp, ['OnFailure', 'Never']));
    } else if (!unset(spec.podFailurePolicy) && rp !== 'Never') {
      errs.push(invalid(`${field}.template.spec.restartPolicy`, rp, 'only "Never" is supported when podFailurePolicy is specified'));
    }
  }
}

/** validateGeneratedSelector: with a generated selector, the template must carry the job's name and uid labels and the selector must be the generated one. */
function validateGeneratedSelector(obj: KubeObject, errs: FieldError[]): void {
  const spec = specOf(obj);
  if (spec.manualSelector === true) return;
  const labels = templateLabels(spec.template);
  if (!labels || !isObject(spec.selector)) return;
  const uid = metaString(obj, 'uid');
  const name = metaString(obj, 'name');
  if (uid === '') errs.push(required('metadata.uid'));
  const hasLabel = (key: string, want: string): void => {
    const path = `spec.template.metadata.labels[${key}]`;
    if (!(key in labels)) errs.push(required(path, `must be '${want}'`));
    else if (labels[key] !== want) errs.push(invalid(path, labels, `must be '${want}'`));
  };
  hasLabel(LEGACY_CONTROLLER_UID_LABEL, uid);
  hasLabel(LEGACY_JOB_NAME_LABEL, name);
  hasLabel(CONTROLLER_UID_LABEL, uid);
  hasLabel(JOB_NAME_LABEL, name);
  const selector = selectorOf(spec.selector);
  if (selector && !selector.matches({ [CONTROLLER_UID_LABEL]: uid })) errs.push(invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
}

/** ValidateJob: the spec, its selector (required, non-empty, matching the template) and the generated-selector rules. */
function validateJob(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = optObject(obj.spec, 'spec', errs);
  if (!spec) return errs.length ? errs : [required('spec')];
  validateGeneratedSelector(obj, errs);
  validateJobSpec(spec, 'spec', errs);
  if (unset(spec.selector)) errs.push(required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const selector = selectorOf(spec.selector);
  if (selector && !unset(spec.selector)) {
    if (selector.empty) errs.push(required('spec.selector'));
    const labels = templateLabels(spec.template);
    if (!selector.matches(labels)) errs.push(invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
  }
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    const name = metaString(obj, 'name');
    const hostname = `${name}-${spec.completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(invalid('metadata.name', name, `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errs;
}

/** ValidateJobSpecUpdate: selector, template (bar scheduling directives of a suspended, never-started job) and most policies are immutable. */
function validateJobUpdate(newObj: KubeObject, oldObj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = specOf(newObj);
  const old = specOf(oldObj);
  const immutable = (key: string): void => {
    if (!jsonEqual(spec[key], old[key])) errs.push(invalid(`spec.${key}`, spec[key] ?? null, FIELD_IMMUTABLE_ERROR_MSG));
  };

  // completions: immutable, except that an Indexed job may change it together with parallelism (elastic indexed jobs).
  if (!jsonEqual(spec.completions, old.completions)) {
    if (spec.completionMode !== 'Indexed') immutable('completions');
    else if (typeof spec.completions === 'number' && spec.completions !== spec.parallelism) {
      errs.push(invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  }
  immutable('selector');

  let oldTemplate: unknown = old.template;
  const suspendedNotStarted = old.suspend === true && unset(statusOf(oldObj).startTime);
  if (suspendedNotStarted && isObject(old.template) && isObject(spec.template)) {
    const munged: JsonObject = structuredClone(old.template);
    const nt = spec.template;
    const nMeta = isObject(nt.metadata) ? nt.metadata : {};
    const nSpec = isObject(nt.spec) ? nt.spec : {};
    const mMeta: JsonObject = isObject(munged.metadata) ? munged.metadata : (munged.metadata = {});
    const mSpec: JsonObject = isObject(munged.spec) ? munged.spec : (munged.spec = {});
    mMeta.labels = nMeta.labels;
    mMeta.annotations = nMeta.annotations;
    mSpec.nodeSelector = nSpec.nodeSelector;
    mSpec.tolerations = nSpec.tolerations;
    mSpec.schedulingGates = nSpec.schedulingGates;
    const nAff = isObject(nSpec.affinity) ? nSpec.affinity : undefined;
    const mAff = isObject(mSpec.affinity) ? mSpec.affinity : undefined;
    if (!nAff && mAff) {
      delete mAff.nodeAffinity;
      if (Object.keys(mAff).length === 0) delete mSpec.affinity;
    } else if (nAff && !mAff) {
      mSpec.affinity = { nodeAffinity: nAff.nodeAffinity };
    } else if (nAff && mAff) {
      mAff.nodeAffinity = nAff.nodeAffinity;
    }
    oldTemplate = munged;
  }
  if (!jsonEqual(spec.template, oldTemplate)) errs.push(invalid('spec.template', spec.template ?? null, FIELD_IMMUTABLE_ERROR_MSG));
  for (const key of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) immutable(key);
  return errs;
}

function validateJobStatus(newObj: KubeObject): FieldError[] {
  if (!unset(newObj.status) && !isObject(newObj.status)) return [typeInvalid('status', newObj.status, 'must be an object')];
  const status = statusOf(newObj);
  const errs: FieldError[] = [];
  for (const key of ['active', 'succeeded', 'failed', 'ready', 'terminating']) {
    if (!unset(status[key])) errs.push(...validateNonNegative(status[key], `status.${key}`));
  }
  for (const key of ['startTime', 'completionTime', 'completedIndexes', 'failedIndexes']) optString(status[key], `status.${key}`, errs);
  eachObject(status.conditions, 'status.conditions', errs, (c, path) => {
    if (optString(c.type, `${path}.type`, errs) === '') errs.push(required(`${path}.type`));
    optString(c.status, `${path}.status`, errs);
  });
  return errs;
}

// ---- table ----

/** Whether the job has a condition of `type` with status True (the first condition of that type decides). */
function hasCondition(status: JsonObject, type: string): boolean {
  const c = objectsOf(status.conditions).find((x) => x.type === type);
  return c !== undefined && c.status === 'True';
}

const JOB_COLUMNS: readonly TableColumn[] = [
  NAME_COLUMN,
  { name: 'Status', type: 'string', description: 'Status of the job.', priority: 0 },
  { name: 'Completions', type: 'string', description: 'The number of pods which reached phase Succeeded.', priority: 0 },
  { name: 'Duration', type: 'string', description: 'Time required to complete the job.', priority: 0 },
  AGE_COLUMN,
  { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 1 },
  { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.', priority: 1 },
  { name: 'Selector', type: 'string', description: 'A label query over pods that should match the pod count.', priority: 1 },
];

function jobCells(obj: KubeObject, now: Date): unknown[] {
  const spec = specOf(obj);
  const status = statusOf(obj);
  const succeeded = numberOf(status.succeeded);
  let completions: string;
  if (typeof spec.completions === 'number') completions = `${succeeded}/${spec.completions}`;
  else {
    const parallelism = numberOf(spec.parallelism);
    completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
  }
  let duration = '';
  const start = typeof status.startTime === 'string' ? Date.parse(status.startTime) : NaN;
  if (!Number.isNaN(start)) {
    const end = typeof status.completionTime === 'string' ? Date.parse(status.completionTime) : NaN;
    duration = humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
  }
  let state = 'Running';
  if (hasCondition(status, 'Complete')) state = 'Complete';
  else if (hasCondition(status, 'Failed')) state = 'Failed';
  else if (obj.metadata?.deletionTimestamp) state = 'Terminating';
  else if (hasCondition(status, 'Suspended')) state = 'Suspended';
  else if (hasCondition(status, 'FailureTarget')) state = 'FailureTarget';
  const template = isObject(spec.template) ? spec.template : {};
  const [names, images] = containerCells(template.spec);
  return [
    obj.metadata?.name ?? '',
    state,
    completions,
    duration,
    age(obj.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(isObject(spec.selector) ? spec.selector : undefined),
  ];
}

export const jobStrategy: Strategy = {
  info: JOB_INFO,

  defaults(obj) {
    defaultJob(obj);
  },

  prepareForCreate(obj) {
    resetStatus(obj);
    generateSelector(obj);
  },

  prepareForUpdate(newObj, oldObj) {
    keepStatus(newObj, oldObj);
  },

  validate(obj) {
    return validateJob(obj);
  },

  validateUpdate(newObj, oldObj) {
    return [...validateJob(newObj), ...validateJobUpdate(newObj, oldObj)];
  },

  prepareForStatusUpdate(newObj, oldObj) {
    keepAllButStatus(newObj, oldObj);
  },

  validateStatusUpdate(newObj) {
    return validateJobStatus(newObj);
  },

  table: { columns: JOB_COLUMNS, cells: jobCells },

  fieldSelectors: {
    'status.successful': (o) => String(numberOf(statusOf(o).succeeded)),
  },
};

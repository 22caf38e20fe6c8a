// Building blocks shared by the per-resource strategies: status handling and table cells.
import type { KubeObject } from '../../api/object.js';

/** On create: clients may not set status (it belongs to controllers and kubelets). */
export function resetStatus(obj: KubeObject): void {
  delete obj.status;
}

/** On update of the main resource: status stays as stored. */
export function keepStatus(newObj: KubeObject, oldObj: KubeObject): void {
  if (oldObj.status === undefined) delete newObj.status;
  else newObj.status = structuredClone(oldObj.status);
}

/**
 * On update of the status subresource: everything but status (and metadata the caller handles)
 * stays as stored. The members are moved, not copied: oldObj is the registry's own decoded copy
 * of the stored object for this one write (see Strategy.prepareForStatusUpdate).
 */
export function keepAllButStatus(newObj: KubeObject, oldObj: KubeObject): void {
  for (const k of Object.keys(newObj)) {
    if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') delete newObj[k];
  }
  for (const k of Object.keys(oldObj)) {
    if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') newObj[k] = oldObj[k];
  }
  // labels and annotations may change through status updates; the rest of metadata is the generic registry's.
}

/**
 * Kubernetes' human duration for AGE columns (duration.HumanDuration): `45s`, `5m10s`, `3h`, `4d`, `2y35d`.
 * `<unknown>` for a missing timestamp.
 */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(Math.max(0, now.getTime() - t));
}

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** The NAME column every table starts with. */
export const NAME_COLUMN = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
} as const;

/** The AGE column. */
export const AGE_COLUMN = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
} as const;

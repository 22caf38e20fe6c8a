// The Priority admission plugin (Kubernetes' plugin/pkg/admission/priority), on create:
// - a pod gets spec.priority and spec.preemptionPolicy from its priorityClassName's class, or,
//   without one, from the global default class (whose name it then takes), else priority 0 and
//   PreemptLowerPriority. A class that does not exist, or a priority / preemptionPolicy in the
//   pod that differs from the class's, is 403 Forbidden, with Kubernetes' messages.
// - a PriorityClass may become the global default (created so, or updated) only while no other class is;
//   the built-in classes cannot be deleted.
// The scheduler's queue orders pods by spec.priority.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { ForbiddenError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { isObject } from '../api/object.js';
import { DEFAULT_PREEMPTION_POLICY, SYSTEM_PRIORITY_CLASSES } from './resources/priorityclass.js';

/** What the admission reads: the stored PriorityClasses. */
export interface PriorityClassSource {
  get(name: string): Promise<PriorityClass | undefined>;
  list(): Promise<PriorityClass[]>;
}

/** Kubernetes' DefaultPriorityWhenNoDefaultClassExists. */
export const DEFAULT_PRIORITY = 0;

/** The global default class: of several (a race can make two), the one of lowest value, as Kubernetes picks. */
async function globalDefault(classes: PriorityClassSource): Promise<PriorityClass | undefined> {
  let best: PriorityClass | undefined;
  for (const pc of await classes.list()) if (pc.globalDefault === true && (best === undefined || pc.value < best.value)) best = pc;
  return best;
}

function refuse(resource: string, name: string | undefined, why: string): ForbiddenError {
  return new ForbiddenError(`${resource} "${name ?? ''}" is forbidden: ${why}`);
}

/** Resolves a new pod's priority (mutates `obj`); throws ForbiddenError as Kubernetes refuses. */
export async function admitPodPriority(obj: KubeObject, classes: PriorityClassSource): Promise<void> {
  if (!isObject(obj.spec)) return; // validation reports the missing spec
  const spec = obj.spec as NonNullable<Pod['spec']> & Record<string, unknown>;
  const name = obj.metadata?.name;
  let priority = DEFAULT_PRIORITY;
  let policy: string = DEFAULT_PREEMPTION_POLICY;
  const className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  if (className === '') {
    const pc = await globalDefault(classes);
    if (pc) {
      spec.priorityClassName = pc.metadata?.name;
      priority = pc.value;
      policy = pc.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY;
    }
  } else {
    const pc = await classes.get(className);
    if (!pc) throw refuse('pods', name, `no PriorityClass with name ${className} was found`);
    priority = pc.value;
    policy = pc.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw refuse('pods', name, `the integer value of priority (${String(spec.priority)}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  spec.priority = priority;
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
    throw refuse('pods', name, `the string value of PreemptionPolicy (${String(spec.preemptionPolicy)}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
  }
  spec.preemptionPolicy = policy;
}

/** Refuses a second global default class (ForbiddenError), on create and on an update that makes a class the default. */
export async function admitPriorityClass(obj: KubeObject, classes: PriorityClassSource, old?: KubeObject): Promise<void> {
  const pc = obj as unknown as PriorityClass;
  if (pc.globalDefault !== true || (old as PriorityClass | undefined)?.globalDefault === true) return;
  const current = await globalDefault(classes);
  if (current && current.metadata?.name !== pc.metadata?.name) {
    throw refuse('priorityclasses.scheduling.k8s.io', pc.metadata?.name, `PriorityClass ${current.metadata?.name ?? ''} is already marked as default. Only one default can exist`);
  }
}

/** Refuses to delete a built-in class (ForbiddenError), as Kubernetes' PriorityClass storage. */
export function admitPriorityClassDelete(name: string): void {
  if (SYSTEM_PRIORITY_CLASSES.some((pc) => pc.metadata?.name === name)) {
    throw refuse('priorityclasses.scheduling.k8s.io', name, 'this is a system priority class and cannot be deleted');
  }
}

// A pod's node constraints as Kubernetes evaluates them: `spec.nodeSelector` (every label must
// equal) AND `requiredDuringSchedulingIgnoredDuringExecution` (terms ORed; within a term
// matchExpressions over labels and matchFields over `metadata.name` are ANDed; an empty or
// invalid term matches nothing), and the weighted preferred terms. Compiled once per pod.
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import type { LabelRequirement, SelectorOperator } from '../api/labels.js';
import { selectorFromRequirements } from '../api/labels.js';

type Labels = Readonly<Record<string, string>> | undefined;

/** The node field matchFields may use. */
export const OBJECT_NAME_FIELD = 'metadata.name';

const NODE_OPERATORS: Readonly<Record<string, SelectorOperator>> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
  Gt: 'GreaterThan',
  Lt: 'LessThan',
};

/** A compiled NodeSelectorTerm. */
export type TermMatcher = (nodeName: string, labels: Labels) => boolean;

const NEVER: TermMatcher = () => false;

/** One field requirement on `metadata.name`: In or NotIn with exactly one value (as Kubernetes accepts). */
function fieldMatcher(r: NodeSelectorRequirement): TermMatcher | undefined {
  const values = r.values ?? [];
  if (values.length !== 1 || (r.operator !== 'In' && r.operator !== 'NotIn')) return undefined;
  const want = values[0]!;
  const known = r.key === OBJECT_NAME_FIELD;
  if (r.operator === 'In') return known ? (name) => name === want : NEVER;
  return known ? (name) => name !== want : () => true;
}

/** Compiles a term; a term that Kubernetes would fail to parse never matches. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm): TermMatcher {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return NEVER;
  const reqs: LabelRequirement[] = [];
  for (const e of exprs) {
    const operator = NODE_OPERATORS[e.operator];
    if (!operator) return NEVER;
    reqs.push({ key: e.key, operator, values: e.values ?? [] });
  }
  let labelMatch: ((labels: Labels) => boolean) | undefined;
  if (reqs.length) {
    try {
      const sel = selectorFromRequirements(reqs);
      labelMatch = (labels) => sel.matches(labels);
    } catch {
      return NEVER;
    }
  }
  const fieldMatchers: TermMatcher[] = [];
  for (const f of fields) {
    const m = fieldMatcher(f);
    if (!m) return NEVER;
    fieldMatchers.push(m);
  }
  return (name, labels) => {
    if (labelMatch && !labelMatch(labels)) return false;
    for (const m of fieldMatchers) if (!m(name, labels)) return false;
    return true;
  };
}

/** `spec.nodeSelector` AND the required node affinity of a pod (GetRequiredNodeAffinity). */
export class RequiredNodeAffinity {
  /** true when the pod constrains nothing */
  readonly empty: boolean;
  private readonly selector: readonly (readonly [string, string])[];
  private readonly terms: readonly TermMatcher[] | undefined;

  constructor(pod: Pod) {
    this.selector = Object.entries(pod.spec?.nodeSelector ?? {});
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.terms = required ? (required.nodeSelectorTerms ?? []).map(compileNodeSelectorTerm) : undefined;
    this.empty = this.selector.length === 0 && this.terms === undefined;
  }

  matches(nodeName: string, labels: Labels): boolean {
    for (const [k, v] of this.selector) if (labels?.[k] !== v) return false;
    if (this.terms === undefined) return true;
    for (const t of this.terms) if (t(nodeName, labels)) return true;
    return false;
  }
}

/**
 * The node names a pod's required affinity limits it to, when every term names nodes through
 * `matchFields: metadata.name In [...]` (intersected within a term, united across terms);
 * undefined when some term allows nodes by other means. An empty set means the terms conflict.
 */
export function nodeNamesFromAffinity(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return undefined;
  let union: Set<string> | undefined;
  for (const t of terms) {
    let names: Set<string> | undefined;
    for (const f of t.matchFields ?? []) {
      if (f.key !== OBJECT_NAME_FIELD || f.operator !== 'In') continue;
      const s = new Set(f.values ?? []);
      names = names ? new Set([...names].filter((n) => s.has(n))) : s;
    }
    if (!names) return undefined;
    union ??= new Set();
    for (const n of names) union.add(n);
  }
  return union;
}

/** Weighted preferred node affinity terms (PreferredSchedulingTerms). */
export class PreferredNodeAffinity {
  private readonly terms: readonly { readonly weight: number; readonly match: TermMatcher }[];

  constructor(terms: readonly PreferredSchedulingTerm[] | undefined) {
    this.terms = (terms ?? []).filter((t) => t.weight !== 0).map((t) => ({ weight: t.weight, match: compileNodeSelectorTerm(t.preference) }));
  }

  get empty(): boolean {
    return this.terms.length === 0;
  }

  /** Sum of the weights of the terms the node matches. */
  score(nodeName: string, labels: Labels): number {
    let total = 0;
    for (const t of this.terms) if (t.match(nodeName, labels)) total += t.weight;
    return total;
  }
}

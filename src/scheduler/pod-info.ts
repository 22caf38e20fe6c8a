// PodInfo: a pod plus what the scheduler derives from it (requests, host ports, parsed affinity
// terms), computed lazily and at most once per pod object. Pods are treated as immutable: a new
// version of a pod is a new object and gets a new PodInfo.
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { Selector } from '../api/labels.js';
import { labelSelectorFromObject, nothing, selectorFromRequirements } from '../api/labels.js';
import type { Resources } from './resources.js';
import { podRequests } from './resources.js';

type Labels = Readonly<Record<string, string>>;

const NO_LABELS: Labels = Object.freeze({});

/** A host port a container asks for; `ip` is "0.0.0.0" when unset (every address). */
export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

/** `namespaceLabels` of a pod's namespace, looked up only when a term has a namespaceSelector. */
export type NamespaceLabels = (namespace: string) => Labels | undefined;

/**
 * A parsed PodAffinityTerm: which pods it selects (namespaces or namespaceSelector, then the
 * label selector) and over which topology key. `key` identifies the selection (not the topology
 * key), so per-node counts of matching pods can be memoized under it.
 */
export class AffinityTerm {
  readonly key: string;

  constructor(
    readonly namespaces: ReadonlySet<string>,
    readonly namespaceSelector: Selector,
    readonly selector: Selector,
    readonly topologyKey: string,
  ) {
    const nsSel = namespaceSelector.empty ? '*' : namespaceSelector.requirements.length ? namespaceSelector.toString() : '-';
    const sel = selector.empty ? '*' : selector.requirements.length ? selector.toString() : '-';
    this.key = `aff\u0000${[...namespaces].sort().join(',')}\u0000${nsSel}\u0000${sel}`;
  }

  /** Whether `pod` is selected by this term (AffinityTerm.Matches). */
  matches(pod: PodInfo, namespaceLabels: NamespaceLabels | undefined): boolean {
    if (this.namespaces.has(pod.namespace) || this.matchesNamespaceSelector(pod.namespace, namespaceLabels)) {
      return this.selector.matches(pod.labels);
    }
    return false;
  }

  private matchesNamespaceSelector(ns: string, namespaceLabels: NamespaceLabels | undefined): boolean {
    if (this.namespaceSelector.empty) return true;
    if (this.namespaceSelector.requirements.length === 0) return false; // nothing
    return this.namespaceSelector.matches(namespaceLabels?.(ns) ?? NO_LABELS);
  }
}

export interface WeightedAffinityTerm {
  readonly term: AffinityTerm;
  readonly weight: number;
}

/** The pod affinity terms of a pod, parsed; `error` is set when a selector is invalid. */
export interface AffinityTerms {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
  /** some term has a namespaceSelector other than `{}`, so matching depends on namespace labels */
  readonly usesNamespaceLabels: boolean;
  readonly error: string | undefined;
}

/** Whether matching a term reads namespace labels (a namespaceSelector other than `{}` or null). */
export function usesNamespaceLabels(t: AffinityTerm): boolean {
  return !t.namespaceSelector.empty && t.namespaceSelector.requirements.length > 0;
}

/** The labelSelector with matchLabelKeys (`key in (v)`) and mismatchLabelKeys (`key notin (v)`) merged in. */
function termSelector(pod: Pod, term: PodAffinityTerm): Selector {
  const base = labelSelectorFromObject(term.labelSelector);
  const labels = pod.metadata?.labels ?? {};
  const extra = [
    ...(term.matchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: 'In' as const, values: [labels[k]!] })),
    ...(term.mismatchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: 'NotIn' as const, values: [labels[k]!] })),
  ];
  if (extra.length === 0 || term.labelSelector == null) return base;
  return selectorFromRequirements([...base.requirements, ...extra]);
}

function newAffinityTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  const namespaces = new Set<string>(t.namespaces?.length || t.namespaceSelector != null ? (t.namespaces ?? []) : [pod.metadata?.namespace ?? '']);
  const nsSelector = t.namespaceSelector == null ? nothing() : labelSelectorFromObject(t.namespaceSelector);
  return new AffinityTerm(namespaces, nsSelector, termSelector(pod, t), t.topologyKey);
}

function parseAffinityTerms(pod: Pod): AffinityTerms {
  const a = pod.spec?.affinity;
  const req = (terms: readonly PodAffinityTerm[] | undefined): AffinityTerm[] => (terms ?? []).map((t) => newAffinityTerm(pod, t));
  const pref = (terms: readonly WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] =>
    (terms ?? []).filter((t) => t.weight !== 0).map((t) => ({ term: newAffinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
  try {
    const requiredAffinity = req(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    const requiredAntiAffinity = req(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    const preferredAffinity = pref(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    const preferredAntiAffinity = pref(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    const all = [...requiredAffinity, ...requiredAntiAffinity, ...preferredAffinity.map((w) => w.term), ...preferredAntiAffinity.map((w) => w.term)];
    return { requiredAffinity, requiredAntiAffinity, preferredAffinity, preferredAntiAffinity, usesNamespaceLabels: all.some(usesNamespaceLabels), error: undefined };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    return { requiredAffinity: [], requiredAntiAffinity: [], preferredAffinity: [], preferredAntiAffinity: [], usesNamespaceLabels: false, error };
  }
}

export class PodInfo {
  readonly pod: Pod;
  /** metadata.uid, or namespace/name for objects without one (tests) */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** spec.priority (0 when unset) */
  readonly priority: number;
  /** the pod has podAffinity or podAntiAffinity */
  readonly hasAffinity: boolean;
  /** the pod has required podAntiAffinity terms */
  readonly hasRequiredAntiAffinity: boolean;
  /** metadata.deletionTimestamp is set */
  readonly terminating: boolean;
  /** the owner reference with `controller: true`, if any */
  readonly controllerRef: { readonly kind: string; readonly uid: string } | undefined;
  private requestsMemo: Resources | undefined;
  private nonZeroMemo: Resources | undefined;
  private hostPortsMemo: readonly HostPort[] | undefined;
  private termsMemo: AffinityTerms | undefined;
  private signatureMemo: string | undefined;

  constructor(pod: Pod) {
    const meta = pod.metadata ?? {};
    this.pod = pod;
    this.namespace = meta.namespace ?? '';
    this.name = meta.name ?? '';
    this.key = meta.uid ?? `${this.namespace}/${this.name}`;
    this.labels = meta.labels ?? NO_LABELS;
    this.priority = pod.spec?.priority ?? 0;
    const a = pod.spec?.affinity;
    this.hasAffinity = a?.podAffinity != null || a?.podAntiAffinity != null;
    this.hasRequiredAntiAffinity = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
    this.terminating = meta.deletionTimestamp != null;
    const ref = meta.ownerReferences?.find((o) => o.controller === true);
    this.controllerRef = ref ? { kind: ref.kind, uid: ref.uid } : undefined;
  }

  /** What the pod needs of a node (init-container max rule and overhead included). */
  get requests(): Resources {
    return (this.requestsMemo ??= podRequests(this.pod));
  }

  /** Requests with 100m cpu / 200Mi memory for containers that ask for none (scoring view). */
  get nonZeroRequests(): Resources {
    return (this.nonZeroMemo ??= podRequests(this.pod, true));
  }

  get hostPorts(): readonly HostPort[] {
    if (this.hostPortsMemo) return this.hostPortsMemo;
    const out: HostPort[] = [];
    const spec = this.pod.spec;
    const containers = [...(spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(spec?.containers ?? [])];
    for (const c of containers) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort) continue;
        out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
    return (this.hostPortsMemo = out);
  }

  /** namespace and labels: pods with equal signatures are selected by exactly the same terms */
  get signature(): string {
    if (this.signatureMemo !== undefined) return this.signatureMemo;
    const labels = Object.keys(this.labels)
      .sort()
      .map((k) => `${k}=${this.labels[k]}`)
      .join(',');
    return (this.signatureMemo = `${this.namespace}\u0000${labels}`);
  }

  get affinityTerms(): AffinityTerms {
    return (this.termsMemo ??= parseAffinityTerms(this.pod));
  }
}

const infos = new WeakMap<Pod, PodInfo>();

/** The PodInfo of a pod object, created once per object. */
export function podInfoOf(pod: Pod): PodInfo {
  let info = infos.get(pod);
  if (!info) {
    info = new PodInfo(pod);
    infos.set(pod, info);
  }
  return info;
}

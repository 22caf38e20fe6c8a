// All registries of the cluster, built from the strategies over one store, plus the checks
// that cross resources (namespace existence) and start-up bootstrap (system namespaces, the
// `kubernetes` Service).
import { kubeDnsClusterIP } from './resources/service-allocator.js';
import { ForbiddenError, NotFoundError, isApiError } from '../api/errors.js';
import { isObject, type KubeObject } from '../api/object.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { Store } from '../storage/store.js';
import { GenericRegistry, type RegistryDeps, type WriteObserver } from './generic-registry.js';
import { listPrefix } from './keys.js';
import { decode } from './codec.js';
import type { RegistryConfig, Strategy, StrategyContext } from './strategy.js';
import { configMapStrategy } from './resources/configmap.js';
import { cronJobStrategy } from './resources/cronjob.js';
import { deploymentStrategy } from './resources/deployment.js';
import { endpointsStrategy } from './resources/endpoints.js';
import { endpointSliceStrategy } from './resources/endpointslice.js';
import { eventStrategy } from './resources/event.js';
import { eventsV1Strategy } from './resources/events-v1.js';
import { jobStrategy } from './resources/job.js';
import { leaseStrategy } from './resources/lease.js';
import { namespaceStrategy } from './resources/namespace.js';
import { nodeStrategy } from './resources/node.js';
import { podStrategy } from './resources/pod.js';
import { podDisruptionBudgetStrategy } from './resources/poddisruptionbudget.js';
import { priorityClassStrategy, SYSTEM_PRIORITY_CLASSES } from './resources/priorityclass.js';
import { admitPodPriority, admitPriorityClass, admitPriorityClassDelete, type PriorityClassSource } from './priority-admission.js';
import { replicaSetStrategy } from './resources/replicaset.js';
import { secretStrategy } from './resources/secret.js';
import { ServiceAllocator } from './resources/service-allocator.js';
import { serviceStrategy } from './resources/service.js';
import { serviceAccountStrategy } from './resources/serviceaccount.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

export interface RegistrySetOptions {
  readonly store: Store;
  readonly config: RegistryConfig;
  readonly now?: () => Date;
  readonly onWrite?: WriteObserver;
}

export class RegistrySet {
  private readonly byPath = new Map<string, GenericRegistry>();
  /** the PriorityClasses as the admission reads them (priorityClasses()), and their list, kept until one changes */
  private classSource: PriorityClassSource | undefined;
  private classList: Promise<PriorityClass[]> | undefined;
  readonly allocator: ServiceAllocator;

  private constructor(private readonly opts: RegistrySetOptions) {
    const now = opts.now ?? (() => new Date());
    const context = (): StrategyContext => ({ now: now(), config: opts.config });
    this.allocator = new ServiceAllocator(opts.config);
    const strategies: Strategy[] = [
      namespaceStrategy,
      podStrategy,
      serviceStrategy(opts.config, this.allocator),
      endpointsStrategy,
      nodeStrategy,
      configMapStrategy,
      secretStrategy,
      serviceAccountStrategy,
      eventStrategy,
      deploymentStrategy,
      replicaSetStrategy,
      jobStrategy,
      cronJobStrategy,
      endpointSliceStrategy,
      leaseStrategy,
      eventsV1Strategy,
      podDisruptionBudgetStrategy,
      priorityClassStrategy,
    ];
    // admission that reads other objects (the Priority plugin), per resource
    const admission = new Map<Strategy, Pick<RegistryDeps, 'admitCreate' | 'admitUpdate' | 'admitDelete'>>([
      [podStrategy, { admitCreate: (obj) => admitPodPriority(obj, this.priorityClasses()) }],
      [
        priorityClassStrategy,
        {
          admitCreate: (obj) => admitPriorityClass(obj, this.priorityClasses()),
          admitUpdate: (obj, old) => admitPriorityClass(obj, this.priorityClasses(), old),
          admitDelete: admitPriorityClassDelete,
        },
      ],
    ]);
    for (const strategy of strategies) {
      const reg = new GenericRegistry({
        store: opts.store,
        strategy,
        context,
        checkNamespace: (ns, forCreate) => this.checkNamespace(ns, forCreate),
        onWrite: opts.onWrite,
        ...admission.get(strategy),
      });
      this.byPath.set(pathKey(strategy.info.group, strategy.info.version, strategy.info.plural), reg);
    }
  }

  /** Builds the registries and restores allocator state from the stored Services. */
  static async open(opts: RegistrySetOptions): Promise<RegistrySet> {
    const set = new RegistrySet(opts);
    const services = set.mustGet('', 'v1', 'services');
    const { kvs } = await opts.store.list(listPrefix(services.storageInfo));
    set.allocator.restore(kvs.map((kv) => decode(kv)));
    return set;
  }

  get(group: string, version: string, plural: string): GenericRegistry | undefined {
    return this.byPath.get(pathKey(group, version, plural));
  }

  mustGet(group: string, version: string, plural: string): GenericRegistry {
    const r = this.get(group, version, plural);
    if (!r) throw new Error(`no registry for ${group}/${version}/${plural}`);
    return r;
  }

  all(): GenericRegistry[] {
    return [...this.byPath.values()];
  }

  /**
   * The stored PriorityClasses, as the Priority admission reads them. Every pod create without a
   * class looks for the global default, so the list is kept until a PriorityClass changes (a
   * store watch drops it, in the same step as the write lands): a list after writes merges the
   * new keys into the sorted list of every key the store has (O(all keys)), which per pod create
   * made bare pod creates 45% slower.
   */
  private priorityClasses(): PriorityClassSource {
    return (this.classSource ??= this.watchPriorityClasses());
  }

  /** Made once, on the first admission that reads PriorityClasses (the registries exist by then). */
  private watchPriorityClasses(): PriorityClassSource {
    const reg = this.mustGet('scheduling.k8s.io', 'v1', 'priorityclasses');
    this.opts.store.watch(listPrefix(reg.storageInfo), this.opts.store.currentRevision(), () => {
      this.classList = undefined;
    });
    return {
      get: async (name) => {
        try {
          return (await reg.get(undefined, name)).object as unknown as PriorityClass;
        } catch (e) {
          if (isApiError(e) && e.reason === 'NotFound') return undefined;
          throw e;
        }
      },
      list: () =>
        (this.classList ??= reg.list(undefined, {}).then(
          (r) => r.items.map((e) => e.object as unknown as PriorityClass),
          (e: unknown) => {
            this.classList = undefined; // a failed list is not kept
            throw e;
          },
        )),
    };
  }

  /** Creates what every cluster has from the start; idempotent. */
  async bootstrap(): Promise<void> {
    const namespaces = this.mustGet('', 'v1', 'namespaces');
    for (const name of SYSTEM_NAMESPACES) {
      await ignoreExists(namespaces.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'skiff-bootstrap' }));
    }
    // Kubernetes' built-in PriorityClasses (system-node-critical, system-cluster-critical)
    const priorityClasses = this.mustGet('scheduling.k8s.io', 'v1', 'priorityclasses');
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      await ignoreExists(priorityClasses.create(undefined, structuredClone(pc) as unknown as KubeObject, { fieldManager: 'skiff-bootstrap' }));
    }
    // The `kubernetes` Service: the API's ClusterIP (first address of the service CIDR).
    const services = this.mustGet('', 'v1', 'services');
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: firstServiceIP(this.opts.config.serviceCIDR), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], sessionAffinity: 'None' },
    };
    await createIfMissing(services, svc);
    // The cluster DNS Service (tenth address, as Kubernetes' kube-dns/CoreDNS convention). It has no
    // selector: each node's DNS server publishes itself in an EndpointSlice of its own.
    await createIfMissing(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/cluster-service': 'true' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: kubeDnsClusterIP(this.opts.config.serviceCIDR),
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
        sessionAffinity: 'None',
      },
    });
  }

  private async checkNamespace(ns: string, forCreate: boolean): Promise<void> {
    const namespaces = this.mustGet('', 'v1', 'namespaces');
    let obj: KubeObject;
    try {
      obj = (await namespaces.get(undefined, ns)).object;
    } catch (e) {
      if (isApiError(e) && e.reason === 'NotFound') throw new NotFoundError({ resource: 'namespaces', group: '', name: ns });
      throw e;
    }
    const phase = isObject(obj.status) ? obj.status.phase : undefined;
    if (forCreate && (obj.metadata?.deletionTimestamp || phase === 'Terminating')) {
      throw new ForbiddenError(`unable to create new content in namespace ${ns} because it is being terminated`, {
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

async function createIfMissing(services: GenericRegistry, svc: KubeObject): Promise<void> {
  const ns = svc.metadata?.namespace ?? 'default';
  try {
    await services.get(ns, svc.metadata?.name ?? '');
  } catch (e) {
    if (!(isApiError(e) && e.reason === 'NotFound')) throw e;
    await ignoreExists(services.create(ns, svc, { fieldManager: 'skiff-bootstrap' }));
  }
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(isApiError(e) && e.reason === 'AlreadyExists')) throw e;
  }
}

/** 10.43.0.0/16 → 10.43.0.1 */
export function firstServiceIP(cidr: string): string {
  const [ip] = cidr.split('/');
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0) + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

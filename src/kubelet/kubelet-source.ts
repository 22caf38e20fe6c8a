// Where a kubelet learns about its pods and its own Node. A standalone kubelet watches just what it
// needs (pods with fieldSelector spec.nodeName=<node>, its Node by metadata.name); a process running
// a thousand simulated kubelets shares ONE pods informer and ONE nodes informer between them, indexed
// by node name, instead of two thousand watches. Both are this one class over two informers.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
import type { Client } from '../client/client.js';
import { resourceInfo } from '../client/client.js';
import type { Clock } from '../client/clock.js';
import type { IndexFunc } from '../client/indexer.js';
import { Informer } from '../client/informer.js';

export type PodObject = Pod & KubeObject;
export type NodeObject = Node & KubeObject;

const PODS = resourceInfo('', 'v1', 'pods');
const NODES = resourceInfo('', 'v1', 'nodes');

/** Index of the pods informer: spec.nodeName (bound pods only). */
export const POD_NODE_NAME_INDEX = 'kubelet.skiff.io/spec.nodeName';

export const podNodeNameIndex: IndexFunc<PodObject> = (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []);

/** What a kubelet is told. Calls are synchronous, in event order, and must be quick. */
export interface KubeletSourceHandlers {
  /** a pod bound to the node appeared or changed (also on resync) */
  onPod(pod: Pod): void;
  /** a pod left the API (its last known state) */
  onPodRemoved(pod: Pod): void;
  /** the node's own Node object changed; undefined: it was deleted */
  onNode(node: Node | undefined): void;
}

export interface KubeletSource {
  /**
   * Routes events about `nodeName` to `handlers` (one subscriber per node), first replaying what
   * the caches already hold for it (onNode, then onPod per pod). Returns the unsubscribe function.
   */
  subscribe(nodeName: string, handlers: KubeletSourceHandlers): () => void;
  /** Cached pods bound to the node (shared objects: never mutate). */
  pods(nodeName: string): Pod[];
  /** The cached Node (shared object). */
  node(nodeName: string): Node | undefined;
  /** Resolves true once both caches have listed; false if stopped first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
}

export class InformerKubeletSource implements KubeletSource {
  private readonly subscribers = new Map<string, KubeletSourceHandlers>();

  /**
   * `pods` must carry the POD_NODE_NAME_INDEX index (give `podNodeNameIndex` when creating it).
   * The informers are started and stopped by their owner.
   */
  constructor(
    private readonly podInformer: Informer<PodObject>,
    private readonly nodeInformer: Informer<NodeObject>,
  ) {
    podInformer.addEventHandler({
      onAdd: (p) => this.pod(p),
      onUpdate: (old, p) => {
        if (old.metadata?.uid !== p.metadata?.uid || old.spec?.nodeName !== p.spec?.nodeName) this.removed(old);
        this.pod(p);
      },
      onDelete: (p) => this.removed(p),
    });
    nodeInformer.addEventHandler({
      onAdd: (n) => this.subscribers.get(n.metadata?.name ?? '')?.onNode(n),
      onUpdate: (_old, n) => this.subscribers.get(n.metadata?.name ?? '')?.onNode(n),
      onDelete: (n) => this.subscribers.get(n.metadata?.name ?? '')?.onNode(undefined),
    });
  }

  /** Informers for one node only (field selectors), owned by the caller (start/stop them). */
  static forNode(opts: { readonly client: Client; readonly nodeName: string; readonly clock?: Clock; readonly log?: (line: string) => void }): {
    source: InformerKubeletSource;
    informers: [Informer<PodObject>, Informer<NodeObject>];
  } {
    const pods = new Informer<PodObject>({
      client: opts.client,
      resource: PODS,
      fieldSelector: `spec.nodeName=${opts.nodeName}`,
      indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndex },
      clock: opts.clock,
      log: opts.log,
    });
    const nodes = new Informer<NodeObject>({ client: opts.client, resource: NODES, fieldSelector: `metadata.name=${opts.nodeName}`, clock: opts.clock, log: opts.log });
    return { source: new InformerKubeletSource(pods, nodes), informers: [pods, nodes] };
  }

  subscribe(nodeName: string, handlers: KubeletSourceHandlers): () => void {
    if (this.subscribers.has(nodeName)) throw new Error(`kubelet source: node ${nodeName} already has a kubelet`);
    this.subscribers.set(nodeName, handlers);
    const node = this.node(nodeName);
    if (node) handlers.onNode(node);
    for (const p of this.pods(nodeName)) handlers.onPod(p);
    return () => {
      if (this.subscribers.get(nodeName) === handlers) this.subscribers.delete(nodeName);
    };
  }

  pods(nodeName: string): Pod[] {
    return this.podInformer.indexer.byIndex(POD_NODE_NAME_INDEX, nodeName);
  }

  node(nodeName: string): Node | undefined {
    return this.nodeInformer.indexer.getByName(undefined, nodeName);
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const [a, b] = await Promise.all([this.podInformer.waitForSync(signal), this.nodeInformer.waitForSync(signal)]);
    return a && b;
  }

  private pod(p: PodObject): void {
    const node = p.spec?.nodeName;
    if (node) this.subscribers.get(node)?.onPod(p);
  }

  private removed(p: PodObject): void {
    const node = p.spec?.nodeName;
    if (node) this.subscribers.get(node)?.onPodRemoved(p);
  }
}

// The node IPAM controller ("nodeipam"): gives every Node a pod CIDR from the cluster CIDR, as
// Kubernetes' range allocator does. Wiring only: node events queue the node's name; once the
// node cache has synced, the subnets nodes already have are marked used before any allocation.
// reconcile.ts does the work.
import { errorMessage, runWorker } from '../work-loop.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller.js';
import { CidrSet } from './cidr-set.js';
import { nodePodCidrs } from './desired-node-cidr.js';
import { NODES, NodeIpamReconciler, type NodeObject } from './reconcile.js';

export const NODE_IPAM_CONTROLLER_NAME = 'nodeipam';
/** k3s' default cluster CIDR. */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
/** Kubernetes' --node-cidr-mask-size default for IPv4. */
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
/** Event source component, as Kubernetes' range allocator reports it. */
export const IPAM_EVENT_COMPONENT = 'cidrAllocator';

export interface NodeIpamOptions {
  /** default DEFAULT_CLUSTER_CIDR */
  readonly clusterCIDR?: string;
  /** prefix length of each node's pod CIDR; default DEFAULT_NODE_CIDR_MASK_SIZE */
  readonly nodeCIDRMaskSize?: number;
}

/** The factory for a node IPAM controller with these options. Throws Error at once on an invalid CIDR or mask size. */
export function createNodeIpamController(opts: NodeIpamOptions = {}): ControllerFactory {
  const clusterCIDR = opts.clusterCIDR ?? DEFAULT_CLUSTER_CIDR;
  const maskSize = opts.nodeCIDRMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE;
  new CidrSet(clusterCIDR, maskSize); // validates the options before anything starts
  return (deps: ControllerDeps): Controller => ({
    name: NODE_IPAM_CONTROLLER_NAME,
    start(signal: AbortSignal): void {
      const log = (line: string) => deps.log(`${NODE_IPAM_CONTROLLER_NAME}: ${line}`);
      const nodes = deps.informers.forResource<NodeObject>(NODES);
      const queue = new WorkQueue({ clock: deps.clock });
      const reconciler = new NodeIpamReconciler({
        client: deps.client,
        nodes: nodes.lister,
        cidrs: new CidrSet(clusterCIDR, maskSize),
        recorder: deps.recorder(IPAM_EVENT_COMPONENT),
        enqueue: (name) => queue.add(name),
        log,
      });
      const remove = nodes.addEventHandler({
        onAdd: (n) => queue.add(n.metadata?.name ?? ''),
        onUpdate: (old, n) => {
          if (old === n || nodePodCidrs(old).join() !== nodePodCidrs(n).join() || nodePodCidrs(n).length === 0) queue.add(n.metadata?.name ?? '');
        },
        onDelete: (n) => queue.add(n.metadata?.name ?? ''),
      });
      signal.addEventListener(
        'abort',
        () => {
          queue.shutDown();
          remove();
        },
        { once: true },
      );

      void (async () => {
        if (!(await nodes.waitForSync(signal)) || signal.aborted) return;
        reconciler.restore();
        log(`allocating /${maskSize} pod CIDRs from ${clusterCIDR}`);
        // One worker: allocations happen in order, as Kubernetes' range allocator does them.
        await runWorker(queue, (key) => reconciler.reconcile(key), (key, e, retries) => log(`node ${key}: ${errorMessage(e)} (retry ${retries + 1})`));
      })();
    },
  });
}

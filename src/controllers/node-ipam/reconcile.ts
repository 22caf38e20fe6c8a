// One step of the node IPAM controller for one node name: a node without a pod CIDR gets the
// next free subnet of the cluster CIDR; a node with one keeps it marked used; a deleted node's
// subnet is freed (and nodes waiting for room are queued again). Idempotent: a subnet picked for a
// node is remembered until the node shows it, so a retry or a stale cache never hands the same
// node a second subnet. Throws (the caller requeues with backoff) when the write fails or the
// cluster CIDR is full (after a CIDRNotAvailable event on the node).
import type { Node } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import { resourceInfo } from '../../client/client.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Lister } from '../../client/lister.js';
import type { CidrSet } from './cidr-set.js';
import { nodePodCidrs, podCidrPatch } from './desired-node-cidr.js';

export const NODES = resourceInfo('', 'v1', 'nodes');
export const CIDR_NOT_AVAILABLE = 'CIDRNotAvailable';

export type NodeObject = Node & KubeObject;

export interface NodeIpamReconcilerDeps {
  readonly client: Client;
  readonly nodes: Lister<NodeObject>;
  readonly cidrs: CidrSet;
  readonly recorder: EventRecorder;
  /** queues a node name (nodes waiting for a subnet, when one is freed) */
  readonly enqueue: (name: string) => void;
  readonly log: (line: string) => void;
}

export class NodeIpamReconciler {
  /** node name → the subnet this controller holds for it (assigned, or picked and being written) */
  private readonly held = new Map<string, string>();

  constructor(private readonly deps: NodeIpamReconcilerDeps) {}

  /** Marks the subnets of the nodes in the cache used. Call once, after the cache synced and before any reconcile. */
  restore(): void {
    for (const node of this.deps.nodes.list()) this.adopt(node);
  }

  async reconcile(name: string): Promise<void> {
    const { client, nodes, cidrs, recorder } = this.deps;
    const node = nodes.get(undefined, name);
    if (!node) {
      const cidr = this.held.get(name);
      if (cidr !== undefined) {
        this.held.delete(name);
        cidrs.release(cidr);
        this.deps.log(`released podCIDR ${cidr} of deleted node ${name}`);
        for (const waiting of nodes.list()) if (nodePodCidrs(waiting).length === 0) this.deps.enqueue(waiting.metadata?.name ?? '');
      }
      return;
    }
    if (nodePodCidrs(node).length) {
      this.adopt(node);
      return;
    }
    let cidr = this.held.get(name);
    if (cidr === undefined) {
      cidr = cidrs.allocateNext();
      if (cidr === undefined) {
        recorder.event(node, 'Normal', CIDR_NOT_AVAILABLE, `Node ${name} status is now: ${CIDR_NOT_AVAILABLE}`);
        throw new Error(`no podCIDR left in ${cidrs.size} subnets of the cluster CIDR for node ${name}`);
      }
      this.held.set(name, cidr);
    }
    try {
      await client.patch(NODES, undefined, name, podCidrPatch(node, cidr), 'merge');
      this.deps.log(`assigned podCIDR ${cidr} to node ${name}`);
    } catch (e) {
      if (isNotFound(e)) {
        this.held.delete(name);
        cidrs.release(cidr);
        return;
      }
      throw e;
    }
  }

  /** Records the subnet a node shows as used (and as this node's). */
  private adopt(node: Node): void {
    const name = node.metadata?.name ?? '';
    const cidr = nodePodCidrs(node)[0]!;
    const before = this.held.get(name);
    if (before === cidr) return;
    if (!this.deps.cidrs.contains(cidr)) {
      this.deps.log(`node ${name} has podCIDR ${cidr} outside the cluster CIDR; not tracked`);
      return;
    }
    // A subnet picked for this node but never written (someone else set another) goes back.
    if (before !== undefined) this.deps.cidrs.release(before);
    this.deps.cidrs.occupy(cidr);
    this.held.set(name, cidr);
  }
}

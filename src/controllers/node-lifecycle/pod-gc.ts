// A small pod garbage collector ("podgc"), as Kubernetes' PodGC controller, run as a periodic pass:
// - orphans: pods bound to a node that no longer exists — once the node has been missing from
//   the cache for the quarantine time and a GET confirms it is gone — are marked Failed with the
//   DisruptionTarget condition and force-deleted (nobody else would ever finish them);
// - terminating pods that were never scheduled are force-deleted;
// - terminating pods on a node that is not Ready and carries the out-of-service taint are
//   force-deleted;
// - when more than terminatedPodThreshold finished pods exist, the oldest go.
// Each pass is idempotent; failures are logged and the next pass tries again.
import { rfc3339 } from '../../api/time.js';
import { isNotFound } from '../../api/errors.js';
import { deepCopy } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { TimerHandle } from '../../client/clock.js';
import type { Lister } from '../../client/lister.js';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller.js';
import { readyStatus } from './node-health.js';
import { NODES, PODS, type NodeObject, type PodObject } from './reconcile.js';
import { TAINT_OUT_OF_SERVICE, hasTaint } from './taints.js';

export const POD_GC_CONTROLLER_NAME = 'podgc';
/** Kubernetes' gcCheckPeriod. */
export const DEFAULT_GC_PERIOD_MS = 20_000;
/** How long a node must be missing before its pods count as orphans (Kubernetes' quarantineTime). */
export const DEFAULT_QUARANTINE_MS = 40_000;
/** Kubernetes' --terminated-pod-gc-threshold default; 0 disables. */
export const DEFAULT_TERMINATED_POD_THRESHOLD = 12_500;

export interface PodGcOptions {
  readonly gcPeriodMs?: number;
  readonly quarantineMs?: number;
  readonly terminatedPodThreshold?: number;
}

export interface PodGcDeps {
  readonly client: Client;
  readonly pods: Lister<PodObject>;
  readonly nodes: Lister<NodeObject>;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export class PodGc {
  /** node name → when this collector first saw pods bound to it while it was missing */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly deps: PodGcDeps,
    private readonly opts: Required<PodGcOptions>,
  ) {}

  /** One pass. Never throws: each failure is logged, the next pass retries. */
  async pass(): Promise<void> {
    const { pods, nodes } = this.deps;
    const now = this.deps.now();
    const all = pods.list();

    const threshold = this.opts.terminatedPodThreshold;
    if (threshold > 0) {
      const finished = all.filter((p) => isTerminal(p) && !p.metadata?.deletionTimestamp);
      if (finished.length > threshold) {
        finished.sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
        for (const p of finished.slice(0, finished.length - threshold)) await this.forceDelete(p, 'too many finished pods');
      }
    }

    const orphansByNode = new Map<string, PodObject[]>();
    for (const p of all) {
      const nodeName = p.spec?.nodeName;
      if (!nodeName) {
        if (p.metadata?.deletionTimestamp) await this.forceDelete(p, 'terminating and never scheduled');
        continue;
      }
      const node = nodes.get(undefined, nodeName);
      if (!node) {
        orphansByNode.set(nodeName, [...(orphansByNode.get(nodeName) ?? []), p]);
      } else if (p.metadata?.deletionTimestamp && hasTaint(node.spec?.taints, TAINT_OUT_OF_SERVICE, 'NoExecute') && readyStatus(node) !== 'True') {
        await this.forceDelete(p, `terminating on out-of-service node ${nodeName}`);
      }
    }
    for (const name of this.missingSince.keys()) if (!orphansByNode.has(name)) this.missingSince.delete(name);
    for (const [nodeName, orphans] of orphansByNode) {
      const since = this.missingSince.get(nodeName) ?? now;
      this.missingSince.set(nodeName, since);
      if (now - since < this.opts.quarantineMs) continue;
      if (await this.nodeExists(nodeName)) {
        this.missingSince.delete(nodeName);
        continue;
      }
      for (const p of orphans) await this.forceDelete(p, `node ${nodeName} no longer exists`, 'PodGC: node no longer exists', now);
    }
  }

  private async nodeExists(name: string): Promise<boolean> {
    try {
      await this.deps.client.get(NODES, undefined, name);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      this.deps.log(`could not check node ${name}: ${e instanceof Error ? e.message : String(e)}`);
      return true;
    }
  }

  /** Marks a pod that has not finished Failed (with a DisruptionTarget condition when `condition` is given), then deletes it with grace period 0. */
  private async forceDelete(pod: PodObject, why: string, condition?: string, now = this.deps.now()): Promise<void> {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const { client } = this.deps;
    try {
      if (!isTerminal(pod)) {
        const status = deepCopy(pod.status);
        const conditions = (status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
        if (condition) conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: condition, lastTransitionTime: rfc3339(now) });
        const copy: PodObject = { ...deepCopy(pod), status: { ...status, phase: 'Failed', conditions } };
        await client.updateStatus(PODS, copy).catch((e: unknown) => {
          if (!isNotFound(e)) this.deps.log(`could not mark pod ${key} Failed: ${e instanceof Error ? e.message : String(e)}`);
        });
      }
      await client.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
      this.deps.log(`deleted pod ${key}: ${why}`);
    } catch (e) {
      if (!isNotFound(e)) this.deps.log(`could not delete pod ${key} (${why}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function isTerminal(p: PodObject): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** The factory for a pod GC controller with these options. */
export function createPodGcController(opts: PodGcOptions = {}): ControllerFactory {
  const settings: Required<PodGcOptions> = {
    gcPeriodMs: opts.gcPeriodMs ?? DEFAULT_GC_PERIOD_MS,
    quarantineMs: opts.quarantineMs ?? DEFAULT_QUARANTINE_MS,
    terminatedPodThreshold: opts.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_THRESHOLD,
  };
  return (deps: ControllerDeps): Controller => ({
    name: POD_GC_CONTROLLER_NAME,
    start(signal: AbortSignal): void {
      const log = (line: string) => deps.log(`${POD_GC_CONTROLLER_NAME}: ${line}`);
      const pods = deps.informers.forResource<PodObject>(PODS);
      const nodes = deps.informers.forResource<NodeObject>(NODES);
      const gc = new PodGc({ client: deps.client, pods: pods.lister, nodes: nodes.lister, now: () => deps.clock.now(), log }, settings);
      let timer: TimerHandle | undefined;
      signal.addEventListener('abort', () => timer?.cancel(), { once: true });
      const loop = async () => {
        if (signal.aborted) return;
        try {
          await gc.pass();
        } catch (e) {
          log(`pass failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        }
        if (!signal.aborted) timer = deps.clock.setTimeout(() => void loop(), settings.gcPeriodMs);
      };
      void (async () => {
        const synced = await Promise.all([pods.waitForSync(signal), nodes.waitForSync(signal)]);
        if (synced.every(Boolean)) await loop();
      })();
    },
  });
}

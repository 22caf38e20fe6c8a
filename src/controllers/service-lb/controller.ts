// The built-in load balancer controller ("servicelb"): every LoadBalancer Service (without a
// loadBalancerClass) gets status.loadBalancer.ingress — the Ready nodes' InternalIPs, or one
// address from `--lb-pool` — and loses it when it stops being a LoadBalancer. The service proxy
// on each node then serves those addresses on the service port. Allocation failures are Warning
// events (`AllocationFailed`) on the Service; `EnsuredLoadBalancer` marks a new assignment.
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { isApiError } from '../../api/errors.js';
import { objectKey, type KubeObject } from '../../api/object.js';
import { resourceInfo } from '../../client/client.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { errorMessage, runWorker } from '../work-loop.js';
import { currentIngress, isLoadBalancer, nodeIngressIPs, parsePool, poolAddress, type Pool } from './ingress.js';

export const SERVICE_LB_CONTROLLER_NAME = 'servicelb';
const SERVICES = resourceInfo('', 'v1', 'services');
const NODES = resourceInfo('', 'v1', 'nodes');

export interface ServiceLBSettings {
  /** `--lb-pool`: allocate from this CIDR instead of using the node addresses */
  readonly pool?: string;
}

export function createServiceLBController(settings: ServiceLBSettings = {}): (deps: ControllerDeps) => Controller {
  const pool: Pool | undefined = settings.pool ? parsePool(settings.pool) : undefined;
  return (deps) => ({
    name: SERVICE_LB_CONTROLLER_NAME,
    start(signal: AbortSignal): void {
      const log = (line: string) => deps.log(`${SERVICE_LB_CONTROLLER_NAME}: ${line}`);
      const recorder = deps.recorder('service-lb-controller');
      const services = deps.informers.forResource(SERVICES);
      const nodes = deps.informers.forResource(NODES);
      const queue = new WorkQueue({ clock: deps.clock });
      const enqueue = (o: KubeObject) => queue.add(objectKey(o));
      const enqueueAllLB = () => {
        for (const s of services.lister.list() as Service[]) if (isLoadBalancer(s) || currentIngress(s).length) enqueue(s as KubeObject);
      };
      const removers = [
        services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) }),
        // without a pool the node addresses are the ingress: node changes move every LoadBalancer
        // (node updates come with every status report: only a change of the node's ingress address counts)
        ...(pool
          ? []
          : [
              nodes.addEventHandler({
                onAdd: enqueueAllLB,
                onUpdate: (o, n) => {
                  if (nodeIngressIPs([o as Node]).join() !== nodeIngressIPs([n as Node]).join()) enqueueAllLB();
                },
                onDelete: enqueueAllLB,
              }),
            ]),
      ];
      signal.addEventListener(
        'abort',
        () => {
          queue.shutDown();
          for (const r of removers) r();
        },
        { once: true },
      );

      const takenBy = (except: string): Set<string> => {
        const taken = new Set<string>();
        for (const s of services.lister.list() as Service[]) {
          if (objectKey(s as KubeObject) === except || !isLoadBalancer(s)) continue;
          for (const ip of currentIngress(s)) taken.add(ip);
        }
        return taken;
      };

      const reconcile = async (key: string): Promise<void> => {
        const [ns, name] = key.split('/');
        const svc = services.lister.get(ns, name) as Service | undefined;
        if (!svc || svc.metadata?.deletionTimestamp) return;
        let want: string[];
        if (!isLoadBalancer(svc)) {
          if (svc.spec?.loadBalancerClass) return; // another implementation's Service
          want = [];
        } else if (pool) {
          const ip = poolAddress(svc, pool, takenBy(key));
          if (typeof ip !== 'string') {
            recorder.event(svc as KubeObject, 'Warning', 'AllocationFailed', `Failed to allocate IP for ${key}: ${ip.error}`);
            return;
          }
          want = [ip];
        } else {
          want = nodeIngressIPs(nodes.lister.list() as Node[]);
        }
        const have = currentIngress(svc);
        if (have.length === want.length && have.every((ip, i) => ip === want[i])) return;
        const updated: Service = { ...svc, status: { ...svc.status, loadBalancer: want.length ? { ingress: want.map((ip) => ({ ip, ipMode: 'VIP' })) } : {} } };
        try {
          await deps.client.updateStatus(SERVICES, updated as KubeObject);
        } catch (e) {
          if (isApiError(e) && (e.reason === 'NotFound' || e.reason === 'Conflict')) {
            if (e.reason === 'Conflict') queue.add(key);
            return;
          }
          throw e;
        }
        if (want.length) recorder.event(svc as KubeObject, 'Normal', 'EnsuredLoadBalancer', `Ensured load balancer: ${want.join(', ')}`);
      };

      void (async () => {
        const synced = (await services.waitForSync(signal)) && (await nodes.waitForSync(signal));
        if (!synced || signal.aborted) return;
        await runWorker(queue, reconcile, (key, e, retries) => log(`service ${key}: ${errorMessage(e)} (retry ${retries + 1})`));
      })();
    },
  });
}

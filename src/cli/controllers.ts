// The controllers `skiff server` runs in its controller manager, in one list.
import type { ControllerFactory } from '../controllers/controller.js';
import { createCronJobController } from '../controllers/cronjob/controller.js';
import { createDeploymentController } from '../controllers/deployment/controller.js';
import { createDisruptionController } from '../controllers/disruption/controller.js';
import { createEndpointsController } from '../controllers/endpoints/controller.js';
import { createEndpointSliceController } from '../controllers/endpointslice/controller.js';
import { createGarbageCollector } from '../controllers/garbage-collector/controller.js';
import { createJobController } from '../controllers/job/controller.js';
import { createNamespaceController } from '../controllers/namespace/controller.js';
import { createNodeIpamController } from '../controllers/node-ipam/controller.js';
import { createNodeLifecycleController } from '../controllers/node-lifecycle/controller.js';
import { createPodGcController } from '../controllers/node-lifecycle/pod-gc.js';
import { createReplicaSetController } from '../controllers/replicaset/controller.js';
import { createServiceAccountController } from '../controllers/serviceaccount/controller.js';
import { createServiceLBController } from '../controllers/service-lb/controller.js';

export interface ControllerSettings {
  readonly clusterCIDR: string;
  readonly nodeCIDRMaskSize: number;
  readonly nodeMonitorGracePeriodMs: number;
  /** `--lb-pool` ('' = LoadBalancers get the node addresses) */
  readonly lbPool?: string;
}

export function defaultControllers(s: ControllerSettings): ControllerFactory[] {
  return [
    createReplicaSetController,
    createDeploymentController,
    (deps) => createJobController(deps),
    (deps) => createCronJobController(deps),
    (deps) => createEndpointsController(deps),
    (deps) => createEndpointSliceController(deps),
    (deps) => createGarbageCollector(deps),
    (deps) => createNamespaceController(deps),
    createNodeIpamController({ clusterCIDR: s.clusterCIDR, nodeCIDRMaskSize: s.nodeCIDRMaskSize }),
    createNodeLifecycleController({ nodeMonitorGracePeriodMs: s.nodeMonitorGracePeriodMs }),
    createPodGcController(),
    createServiceAccountController,
    createServiceLBController({ pool: s.lbPool || undefined }),
    createDisruptionController,
  ];
}

// Builders of Deployments and ReplicaSets for this folder's table-driven tests. Not for production code.
import type { Deployment, ReplicaSet } from './objects.js';

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** RFC 3339 time `s` seconds after T0. */
export function at(s: number): string {
  return new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export interface DeploymentOpts {
  replicas?: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  recreate?: boolean;
  image?: string;
  generation?: number;
  status?: Deployment['status'];
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  annotations?: Record<string, string>;
}

export function deployment(o: DeploymentOpts = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: o.generation ?? 1, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: o.recreate
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.maxSurge ?? '25%', maxUnavailable: o.maxUnavailable ?? '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: o.image ?? 'nginx:1' }] } },
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

export interface ReplicaSetOpts {
  replicas: number;
  available?: number;
  actual?: number;
  ready?: number;
  created?: number;
  revision?: number;
  desired?: number;
  max?: number;
  image?: string;
  generation?: number;
  observedGeneration?: number;
}

export function replicaSet(name: string, o: ReplicaSetOpts): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (o.revision !== undefined) annotations['deployment.kubernetes.io/revision'] = String(o.revision);
  if (o.desired !== undefined) annotations['deployment.kubernetes.io/desired-replicas'] = String(o.desired);
  if (o.max !== undefined) annotations['deployment.kubernetes.io/max-replicas'] = String(o.max);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: `${name}-uid`, creationTimestamp: at(o.created ?? 0), generation: o.generation ?? 1, annotations },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': name } },
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image: o.image ?? name }] } },
    },
    status: {
      replicas: o.actual ?? o.replicas,
      readyReplicas: o.ready ?? o.available ?? o.replicas,
      availableReplicas: o.available ?? o.replicas,
      observedGeneration: o.observedGeneration ?? o.generation ?? 1,
    },
  };
}

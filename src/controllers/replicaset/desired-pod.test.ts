import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { podFromTemplate } from './desired-pod.js';
import type { ReplicaSet } from './objects.js';

test('podFromTemplate: template labels, annotations, finalizers and spec, generateName and the controller reference', () => {
  const rs: ReplicaSet = {
    metadata: { name: 'web-7d4b9c8f5', namespace: 'prod', uid: 'rs-uid', labels: { ignored: 'yes' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': '7d4b9c8f5' }, annotations: { note: 'n' }, finalizers: ['f'] },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  };
  const pod = podFromTemplate(rs);
  assert.deepEqual(pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-7d4b9c8f5-',
      namespace: 'prod',
      labels: { app: 'web', 'pod-template-hash': '7d4b9c8f5' },
      annotations: { note: 'n' },
      finalizers: ['f'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c8f5', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  });
  pod.spec!.containers[0]!.image = 'changed';
  assert.equal(rs.spec?.template?.spec?.containers[0]?.image, 'nginx', 'the template is not shared');
});

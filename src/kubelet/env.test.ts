import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { RuntimeError } from '../runtime/runtime.js';
import type { EnvContext } from './env.js';
import { expandCommand, resolveEnv } from './env.js';
import { StaticPodObjects } from './pod-objects.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const objects = new StaticPodObjects({
  configMaps: [
    { metadata: { namespace: 'team', name: 'cfg' }, data: { LEVEL: 'debug', 'bad key': 'x', '1st': 'y', url: 'http://$(HOST)' } },
    { metadata: { namespace: 'other', name: 'cfg' }, data: { LEVEL: 'wrong namespace' } },
  ],
  secrets: [{ metadata: { namespace: 'team', name: 'creds' }, data: { PASSWORD: b64('s3cret'), token: b64('t') } }],
  services: [
    { metadata: { namespace: 'default', name: 'kubernetes' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    { metadata: { namespace: 'team', name: 'web' }, spec: { clusterIP: '10.43.0.5', ports: [{ port: 80, protocol: 'TCP' }] } },
  ],
});

function pod(container: Container, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { namespace: 'team', name: 'p', uid: 'uid-1', labels: { app: 'web' }, annotations: { note: 'hi' } },
    spec: { nodeName: 'node-1', serviceAccountName: 'sa', containers: [container], ...extra },
  };
}

function ctx(warnings: string[] = [], serviceEnv = false): EnvContext {
  return { objects, hostIP: '198.18.0.10', podIPs: ['10.42.0.7'], allocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '10Gi' }, serviceEnv, warn: (r, m) => warnings.push(`${r}: ${m}`) };
}

const asObject = (l: { name: string; value: string }[]) => Object.fromEntries(l.map((e) => [e.name, e.value]));

test('env: values with $(VAR), valueFrom of every kind, envFrom with prefix; env overrides envFrom', async () => {
  const warnings: string[] = [];
  const c: Container = {
    name: 'app',
    resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m' } },
    envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'creds' } }, { configMapRef: { name: 'nope', optional: true } }],
    env: [
      { name: 'HOST', value: 'db' },
      { name: 'URL', value: 'http://$(HOST):$(PORT)/$$(HOST)' },
      { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
      { name: 'OPT', valueFrom: { secretKeyRef: { name: 'creds', key: 'missing', optional: true } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'HOST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CPU_LIMIT_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'DISK_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } },
      { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
    ],
  };
  const env = asObject(await resolveEnv(pod(c), c, ctx(warnings)));
  assert.deepEqual(env, {
    LEVEL: 'debug',
    url: 'http://$(HOST)',
    S_PASSWORD: 's3cret',
    S_token: 't',
    HOST: 'db',
    URL: 'http://db:$(PORT)/$(HOST)',
    PW: 's3cret',
    NAME: 'p',
    NS: 'team',
    UID: 'uid-1',
    APP: 'web',
    NOTE: 'hi',
    NODE: 'node-1',
    SA: 'sa',
    HOST_IP: '198.18.0.10',
    HOST_IPS: '198.18.0.10',
    POD_IP: '10.42.0.7',
    POD_IPS: '10.42.0.7',
    CPU_LIMIT: '1',
    CPU_LIMIT_M: '250',
    CPU_REQ_M: '100',
    MEM_MI: '64',
    DISK_LIMIT: '10',
    MEM_REQ: '67108864',
  });
  assert.deepEqual(warnings, ['InvalidEnvironmentVariableNames: Keys [1st, bad key] from the EnvFrom configMap team/cfg were skipped since they are considered invalid environment variable names.']);
});

test('env: limits not set are the node allocatable', async () => {
  const c: Container = { name: 'app', env: [{ name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } }, { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }] };
  assert.deepEqual(asObject(await resolveEnv(pod(c), c, ctx())), { MEM: '4096', CPU: '2' });
});

test('env: missing non-optional ConfigMap, Secret or key → CreateContainerConfigError with Kubernetes message', async () => {
  const cases: [Container, string][] = [
    [{ name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }] }, 'configmap "x" not found'],
    [{ name: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'x', key: 'k' } } }] }, 'secret "x" not found'],
    [{ name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, "couldn't find key k in ConfigMap team/cfg"],
    [{ name: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, "couldn't find key k in Secret team/creds"],
    [{ name: 'a', envFrom: [{ configMapRef: { name: 'gone' } }] }, 'configmap "gone" not found'],
    [{ name: 'a', envFrom: [{ secretRef: { name: 'gone' } }] }, 'secret "gone" not found'],
  ];
  for (const [c, message] of cases) {
    await assert.rejects(resolveEnv(pod(c), c, ctx()), (e: unknown) => e instanceof RuntimeError && e.reason === 'CreateContainerConfigError' && e.message === message, message);
  }
  const optional: Container = { name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k', optional: true } } }, { name: 'Y', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } }] };
  assert.deepEqual(await resolveEnv(pod(optional), optional, ctx()), []);
});

test('env: service variables (own namespace + kubernetes), usable in $(VAR), not overriding declared ones; enableServiceLinks false keeps only kubernetes', async () => {
  const c: Container = { name: 'app', env: [{ name: 'WEB', value: '$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)' }, { name: 'WEB_SERVICE_PORT', value: '8080' }] };
  const env = asObject(await resolveEnv(pod(c), c, ctx([], true)));
  assert.equal(env.WEB, '10.43.0.5:80');
  assert.equal(env.WEB_SERVICE_PORT, '8080');
  assert.equal(env.KUBERNETES_SERVICE_HOST, '10.43.0.1');
  assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
  assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
  assert.equal(env.KUBERNETES_PORT_443_TCP_ADDR, '10.43.0.1');
  assert.equal(env.WEB_PORT, 'tcp://10.43.0.5:80');
  const noLinks = asObject(await resolveEnv(pod(c, { enableServiceLinks: false }), c, ctx([], true)));
  assert.equal(noLinks.WEB_SERVICE_HOST, undefined);
  assert.equal(noLinks.WEB, '$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)');
  assert.equal(noLinks.KUBERNETES_SERVICE_HOST, '10.43.0.1');
  const off = asObject(await resolveEnv(pod(c), c, ctx([], false)));
  assert.equal(off.KUBERNETES_SERVICE_HOST, undefined, 'serviceEnv off (simulated nodes): none');
});

test('command and args: $(VAR) expanded with the env', () => {
  assert.deepEqual(expandCommand(['echo', '$(A)', '$(B)', '$$(A)'], [{ name: 'A', value: '1' }]), ['echo', '1', '$(B)', '$(A)']);
  assert.equal(expandCommand(undefined, []), undefined);
});

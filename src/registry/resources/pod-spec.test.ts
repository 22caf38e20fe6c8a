import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import { isObject } from '../../api/object.js';
import type { JsonObject } from './pod-spec.js';
import { defaultPodSpec, imageTag, jsonEqual, validatePodSpec, validatePodSpecUpdate, validatePodTemplateSpec } from './pod-spec.js';

const LABEL_RULE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** A minimal valid spec, defaulted as the registry would (template mode unless `pod`). */
function spec(overrides: JsonObject = {}, pod = false): JsonObject {
  const s: JsonObject = { containers: [{ name: 'web', image: 'nginx:1.25' }], ...overrides };
  defaultPodSpec(s, { pod });
  return s;
}

const messages = (s: unknown, pod = false): string[] => validatePodSpec(s, 'spec', { pod }).map(formatFieldError);

test('defaultPodSpec fills PodSpec and container defaults as Kubernetes does', () => {
  const s: JsonObject = {
    containers: [
      {
        name: 'web',
        image: 'nginx',
        ports: [{ containerPort: 80 }],
        livenessProbe: { httpGet: { port: 80 } },
        readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 },
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      },
    ],
    volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }, { name: 'sec', secret: { secretName: 's' } }, { name: 'h', hostPath: { path: '/x' } }],
  };
  defaultPodSpec(s);
  assert.deepEqual(s, {
    containers: [
      {
        name: 'web',
        image: 'nginx',
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        resources: {},
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        livenessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        readinessProbe: { grpc: { port: 9000, service: '' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }],
      },
    ],
    volumes: [
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'h', hostPath: { path: '/x', type: '' } },
    ],
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler',
  });
  // Idempotent.
  const again = structuredClone(s);
  defaultPodSpec(again);
  assert.deepEqual(again, s);
});

test('defaultPodSpec for a pod adds SetDefaults_Pod: requests from limits, enableServiceLinks, host ports', () => {
  const s: JsonObject = {
    hostNetwork: true,
    serviceAccount: 'builder',
    containers: [{ name: 'a', image: 'x:1', ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } }],
  };
  defaultPodSpec(s, { pod: true });
  const c = (s.containers as JsonObject[])[0]!;
  assert.deepEqual(c.resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
  assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }]);
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.serviceAccountName, 'builder');
  assert.equal(s.serviceAccount, 'builder');

  const template = spec({ containers: [{ name: 'a', image: 'x:1', resources: { limits: { cpu: '1' } } }] });
  assert.deepEqual((template.containers as JsonObject[])[0]!.resources, { limits: { cpu: '1' } });
  assert.equal(template.enableServiceLinks, undefined);
});

test('imagePullPolicy follows the image tag', () => {
  const cases: [string, string][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
    ['Nginx', 'IfNotPresent'], // unparseable: no tag known
    ['', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) {
    const s: JsonObject = { containers: [{ name: 'c', image }] };
    defaultPodSpec(s);
    assert.equal((s.containers as JsonObject[])[0]!.imagePullPolicy, want, image);
  }
  assert.equal(imageTag('localhost:5000/a'), 'latest');
});

test('validatePodSpec accepts a defaulted spec', () => {
  assert.deepEqual(messages(spec()), []);
  assert.deepEqual(
    messages(
      spec({
        containers: [
          {
            name: 'web',
            image: 'nginx:1.25',
            ports: [{ name: 'http', containerPort: 80 }],
            env: [{ name: 'A', value: 'b' }, { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
            envFrom: [{ configMapRef: { name: 'cfg' } }],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
            livenessProbe: { tcpSocket: { port: 'http' } },
            readinessProbe: { exec: { command: ['true'] } },
          },
        ],
        initContainers: [{ name: 'init', image: 'busybox' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'pvc' } }],
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, { operator: 'Exists' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
      }),
    ),
    [],
  );
});

test('validatePodSpec reports what Kubernetes reports, worded as Kubernetes words it', () => {
  const container = (extra: JsonObject): JsonObject => ({ name: 'web', image: 'nginx:1.25', ...extra });
  const cases: [string, JsonObject, string[]][] = [
    ['no containers', { containers: [] }, ['spec.containers: Required value']],
    ['no image', { containers: [{ name: 'web' }] }, ['spec.containers[0].image: Required value']],
    ['no name', { containers: [{ image: 'x' }] }, ['spec.containers[0].name: Required value']],
    ['bad name', { containers: [container({ name: 'Web' })] }, [`spec.containers[0].name: Invalid value: "Web": ${LABEL_RULE}`]],
    ['duplicate names', { containers: [container({}), container({})] }, ['spec.containers[1].name: Duplicate value: "web"']],
    ['init name clash', { initContainers: [container({})] }, ['spec.initContainers[0].name: Duplicate value: "web"']],
    [
      'restartPolicy',
      { restartPolicy: 'Sometimes' },
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'dnsPolicy',
      { dnsPolicy: 'Google' },
      ['spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
    ],
    [
      'imagePullPolicy',
      { containers: [container({ imagePullPolicy: 'Sometimes' })] },
      ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
    ],
    [
      'port number',
      { containers: [container({ ports: [{ containerPort: 70000 }] })] },
      ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ],
    ['port missing', { containers: [container({ ports: [{ name: 'http' }] })] }, ['spec.containers[0].ports[0].containerPort: Required value']],
    [
      'port names',
      { containers: [container({ ports: [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] })] },
      ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
    ],
    [
      'protocol',
      { containers: [container({ ports: [{ containerPort: 80, protocol: 'HTTP' }] })] },
      ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    [
      'host ports',
      { containers: [container({ ports: [{ containerPort: 80, hostPort: 8080 }] }), { name: 'b', image: 'b', ports: [{ containerPort: 81, hostPort: 8080 }] }] },
      ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
    ],
    [
      'env name',
      { containers: [container({ env: [{ name: 'A=B', value: 'x' }] })] },
      [
        'spec.containers[0].env[0].name: Invalid value: "A=B": environment variable name: a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
      ],
    ],
    [
      'env valueFrom',
      { containers: [container({ env: [{ name: 'A', valueFrom: {} }] })] },
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'],
    ],
    [
      'env fieldPath',
      { containers: [container({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }] })] },
      [
        'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ],
    ],
    ['volume mount', { containers: [container({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })] }, ['spec.containers[0].volumeMounts[0].name: Not found: "data"']],
    [
      'mount paths',
      {
        volumes: [{ name: 'a', emptyDir: {} }],
        containers: [container({ volumeMounts: [{ name: 'a', mountPath: '/d' }, { name: 'a', mountPath: '/d' }] })],
      },
      ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique'],
    ],
    [
      'volume names',
      { volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }] },
      ['spec.volumes[1].name: Duplicate value: "data"'],
    ],
    [
      'volume sources',
      { volumes: [{ name: 'data', emptyDir: {}, hostPath: { path: '/x' } }] },
      ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
    ],
    ['configMap volume', { volumes: [{ name: 'c', configMap: {} }] }, ['spec.volumes[0].configMap.name: Required value']],
    [
      'defaultMode',
      { volumes: [{ name: 's', secret: { secretName: 's', defaultMode: 1000 } }] },
      ['spec.volumes[0].secret.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive'],
    ],
    [
      'requests above limits',
      { containers: [container({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] },
      ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [
      'bad quantity',
      { containers: [container({ resources: { limits: { cpu: 'lots' } } })] },
      [
        "spec.containers[0].resources.limits[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ],
    ],
    [
      'negative quantity',
      { containers: [container({ resources: { requests: { memory: '-1Gi' } } })] },
      ['spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0'],
    ],
    [
      'unknown resource',
      { containers: [container({ resources: { limits: { gpu: '1' } } })] },
      ['spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'],
    ],
    [
      'extended resource',
      { containers: [container({ resources: { requests: { 'example.com/gpu': '1' } } })] },
      ['spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources'],
    ],
    ['probe handler', { containers: [container({ livenessProbe: { periodSeconds: 5 } })] }, ['spec.containers[0].livenessProbe: Required value: must specify a handler type']],
    [
      'two handlers',
      { containers: [container({ readinessProbe: { exec: { command: ['true'] }, httpGet: { port: 80 } } })] },
      ['spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type'],
    ],
    [
      'liveness successThreshold',
      { containers: [container({ livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } })] },
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
    [
      'init probes',
      { initContainers: [{ name: 'init', image: 'x', readinessProbe: { exec: { command: ['true'] } } }] },
      ['spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always'],
    ],
    [
      'toleration operator',
      { tolerations: [{ key: 'a', operator: 'Maybe' }] },
      ['spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"'],
    ],
    [
      'toleration effect',
      { tolerations: [{ key: 'a', operator: 'Exists', effect: 'Never' }] },
      ['spec.tolerations[0].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
    ],
    [
      'toleration without key',
      { tolerations: [{ value: 'x' }] },
      ['spec.tolerations[0].operator: Invalid value: "": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
    ],
    [
      'activeDeadlineSeconds',
      { activeDeadlineSeconds: 0 },
      ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
    ],
    [
      'nodeName',
      { nodeName: 'Node_1' },
      [
        "spec.nodeName: Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    ['dnsConfig', { dnsPolicy: 'None' }, ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']],
    [
      'runAsUser',
      { securityContext: { runAsUser: -1 } },
      ['spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive'],
    ],
  ];
  for (const [name, overrides, want] of cases) assert.deepEqual(messages(spec(overrides)), want, name);
});

test('validatePodSpec checks host ports of hostNetwork pods', () => {
  const s = spec({ hostNetwork: true, containers: [{ name: 'a', image: 'a', ports: [{ containerPort: 80, hostPort: 81 }] }] });
  assert.deepEqual(messages(s), ['spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true']);
});

test('validatePodTemplateSpec reports template labels at <field>.labels and forbids ephemeral containers', () => {
  const template = { metadata: { labels: { 'a b': 'x' } }, spec: spec({ ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] }) };
  const got = validatePodTemplateSpec(template, 'spec.template').map(formatFieldError);
  assert.ok(got.some((m) => m.startsWith('spec.template.labels: Invalid value: "a b": name part must consist of')), got.join('\n'));
  assert.ok(got.includes('spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template'), got.join('\n'));
  assert.deepEqual(validatePodTemplateSpec(undefined, 'spec.template').map(formatFieldError), ['spec.template: Required value']);
});

const FORBIDDEN_PREFIX =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

test('validatePodSpecUpdate allows only what Kubernetes allows', () => {
  const old = spec({ containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'a', operator: 'Exists' }] }, true);
  const update = (change: (s: JsonObject) => void): string[] => {
    const next = structuredClone(old);
    change(next);
    return validatePodSpecUpdate(next, old).map(formatFieldError);
  };
  const container = (s: JsonObject): JsonObject => (s.containers as JsonObject[])[0]!;

  assert.deepEqual(update(() => undefined), []);
  assert.deepEqual(update((s) => (container(s).image = 'nginx:1.26')), []);
  assert.deepEqual(update((s) => (s.activeDeadlineSeconds = 60)), []);
  assert.deepEqual(update((s) => (s.tolerations as JsonObject[]).push({ key: 'b', operator: 'Exists' })), []);

  const ports = update((s) => ((container(s).ports as JsonObject[])[0]!.containerPort = 81));
  assert.equal(ports.length, 1);
  assert.ok(ports[0]!.startsWith(`${FORBIDDEN_PREFIX}\n`), ports[0]);
  assert.ok(ports[0]!.includes('spec.containers[0].ports[0].containerPort'), ports[0]);

  assert.deepEqual(
    update((s) => (s.containers as JsonObject[]).push({ name: 'b', image: 'b' })),
    ['spec.containers: Forbidden: pod updates may not add or remove containers'],
  );
  assert.deepEqual(update((s) => (s.tolerations = [])), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
  assert.deepEqual(update((s) => (container(s).image = '')), ['spec.containers[0].image: Required value']);

  const withDeadline = structuredClone(old);
  withDeadline.activeDeadlineSeconds = 60;
  const longer = structuredClone(withDeadline);
  longer.activeDeadlineSeconds = 120;
  assert.deepEqual(validatePodSpecUpdate(longer, withDeadline).map(formatFieldError), [
    'spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value',
  ]);
});

test('jsonEqual treats absent, null, [] and {} alike, and compares the rest deeply', () => {
  assert.ok(jsonEqual(undefined, []));
  assert.ok(jsonEqual({ a: [] }, {}));
  assert.ok(jsonEqual({ a: { b: [1, 2] } }, { a: { b: [1, 2] } }));
  assert.ok(!jsonEqual({ a: [1] }, { a: [2] }));
  assert.ok(!jsonEqual('1', 1));
});

/** Every path of a JSON value, with the value's parent and key, so each can be replaced. */
function* paths(v: unknown, parent?: JsonObject | unknown[], key?: string | number): Generator<[JsonObject | unknown[], string | number]> {
  if (parent !== undefined && key !== undefined) yield [parent, key];
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* paths(v[i], v, i);
  else if (isObject(v)) for (const k of Object.keys(v)) yield* paths(v[k], v, k);
}

const GARBAGE: readonly unknown[] = [null, 'abc', -1, 1.5, true, [], {}, [1, 'x'], { x: 1 }];

test('garbage shapes never throw: each field replaced by each wrong type yields FieldErrors', () => {
  const base: JsonObject = spec(
    {
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ name: 'http', containerPort: 80, hostPort: 80 }],
          env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }],
          envFrom: [{ secretRef: { name: 's' } }],
          resources: { requests: { cpu: '1' }, limits: { cpu: '2', memory: '1Gi' } },
          volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 'x' }],
          livenessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'X', value: 'y' }] } },
          lifecycle: { preStop: { sleep: { seconds: 5 } } },
          securityContext: { runAsUser: 1, capabilities: { add: ['NET_ADMIN'] } },
        },
      ],
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh'] }],
      volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'c', items: [{ key: 'k', path: 'p' }] } }] } }],
      tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 5 }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] } } },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } } }],
      dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }] },
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }],
      securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }], supplementalGroups: [1] },
    },
    true,
  );
  assert.deepEqual(messages(base, true), []);
  let checked = 0;
  const count = [...paths(base)].length;
  for (let i = 0; i < count; i++) {
    for (const g of GARBAGE) {
      const copy = structuredClone(base);
      // paths() yields in a stable order, so the i-th path of the copy is the i-th of base.
      const [parent, key] = [...paths(copy)][i]!;
      (parent as Record<string | number, unknown>)[key] = structuredClone(g);
      assert.doesNotThrow(() => {
        defaultPodSpec(copy, { pod: true });
        validatePodSpec(copy, 'spec', { pod: true });
        validatePodSpecUpdate(copy, base);
      }, `${String(key)} = ${JSON.stringify(g)}`);
      checked++;
    }
  }
  assert.ok(checked > 500, `only ${checked} mutations`);
  for (const whole of GARBAGE) {
    assert.doesNotThrow(() => defaultPodSpec(whole));
    assert.ok(messages(whole).length > 0, JSON.stringify(whole));
  }
  assert.deepEqual(messages(spec({ containers: {} })), ['spec.containers: Invalid value: {}: must be an array']);
  assert.deepEqual(messages(spec({ terminationGracePeriodSeconds: 'abc' })), ['spec.terminationGracePeriodSeconds: Invalid value: "abc": must be an integer']);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaLookup } from '../api/openapi/definitions.js';
import type { SchemaNode } from '../api/openapi/schema-lookup.js';
import {
  checkFields,
  fieldValidationWarnings,
  findDuplicateFields,
  findDuplicateYamlFields,
  hasNoDuplicateFields,
  parseFieldValidation,
  pruneUnknownFields,
  strictDecodingMessage,
} from './field-validation.js';
import { cannotBeHandledMessage } from './decode-types.js';

function kind(group: string, version: string, k: string): SchemaNode {
  const node = schemaLookup.forKind(group, version, k);
  assert.ok(node, k);
  return node;
}

const deployment = (): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', 'anything.example.com/goes': 'x' }, annotations: { a: 'b' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '500m', memory: 128 } } },
          { name: 'side', image: 'busybox', env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
        ],
      },
    },
  },
  status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
});

describe('checkFields', () => {
  it('accepts a valid object', () => {
    assert.deepEqual(checkFields(deployment(), kind('apps', 'v1', 'Deployment')).unknown, []);
  });

  it('reports unknown fields with Kubernetes paths, in document order', () => {
    const d = deployment();
    const spec = d['spec'] as Record<string, unknown>;
    spec['replicasx'] = 3;
    const tpl = (spec['template'] as { spec: { containers: Record<string, unknown>[] } }).spec;
    (tpl.containers[1] as Record<string, unknown>)['imagex'] = 'foo';
    ((tpl.containers[0] as { ports: Record<string, unknown>[] }).ports[0] as Record<string, unknown>)['hostPortx'] = 1;
    (d['metadata'] as Record<string, unknown>)['labelz'] = {};
    d['extra'] = true;
    assert.deepEqual(checkFields(d, kind('apps', 'v1', 'Deployment')).unknown, [
      'metadata.labelz',
      'spec.template.spec.containers[0].ports[0].hostPortx',
      'spec.template.spec.containers[1].imagex',
      'spec.replicasx',
      'extra',
    ]);
  });

  it('accepts anything in free-form fields', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'any-key': 'v', other: 'w' }, binaryData: { b: 'AAA=' } };
    assert.deepEqual(checkFields(cm, kind('', 'v1', 'ConfigMap')).unknown, []);
    const pod = {
      metadata: { name: 'p', managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:whatever': {} } } }] },
      spec: { containers: [{ name: 'c' }], nodeSelector: { 'kubernetes.io/os': 'linux' } },
    };
    assert.deepEqual(checkFields(pod, kind('', 'v1', 'Pod')).unknown, []);
  });

  it('always knows apiVersion, kind and metadata at the top', () => {
    const bare: SchemaNode = { type: 'object', property: () => undefined, propertyNames: () => [] };
    assert.deepEqual(checkFields({ apiVersion: 'v1', kind: 'X', metadata: {}, spec: {} }, bare).unknown, ['spec']);
  });

  it('does not descend into values of the wrong JSON type', () => {
    const d = { spec: { template: 'not-an-object', replicas: { nested: 1 } } };
    assert.deepEqual(checkFields(d, kind('apps', 'v1', 'Deployment')).unknown, []);
  });

  it('prefixes paths for a subtree and works on a hand-made schema', () => {
    const leaf: SchemaNode = { type: 'string' };
    const item: SchemaNode = { type: 'object', property: (n) => (n === 'a' ? leaf : undefined), propertyNames: () => ['a'] };
    const list: SchemaNode = { type: 'array', items: item };
    const map: SchemaNode = { type: 'map', items: item };
    const root: SchemaNode = { type: 'object', property: (n) => (n === 'list' ? list : n === 'map' ? map : undefined), propertyNames: () => ['list', 'map'] };
    const obj = { list: [{ a: 'x' }, { a: 'y', b: 1 }], map: { k: { c: 2 } } };
    assert.deepEqual(checkFields(obj, root, { path: 'spec' }).unknown, ['spec.list[1].b', 'spec.map.k.c']);
  });
});

describe('checkFields: JSON types, as Go decoding judges them', () => {
  const pod = (container: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...extra },
    spec: { containers: [{ name: 'c', image: 'busybox', ...container }] },
  });
  const podError = (o: unknown) => checkFields(o, kind('', 'v1', 'Pod')).typeError;

  it('finds nothing wrong in a valid object (IntOrString and Quantity take numbers; null fits anything)', () => {
    assert.equal(checkFields(deployment(), kind('apps', 'v1', 'Deployment')).typeError, undefined);
    assert.equal(podError(pod({ command: null, args: ['a'], resources: { limits: { cpu: 1 } }, readinessProbe: { httpGet: { port: 'http' } } })), undefined);
  });

  it("names the value's kind, the innermost struct, the path without indices and the Go type", () => {
    assert.equal(podError(pod({ command: [true] })), 'json: cannot unmarshal bool into Go struct field Container.spec.containers.command of type string');
    assert.equal(podError(pod({ command: 'sh' })), 'json: cannot unmarshal string into Go struct field Container.spec.containers.command of type []string');
    assert.equal(podError(pod({ readinessProbe: { exec: { command: [1] } } })), 'json: cannot unmarshal number into Go struct field ExecAction.spec.containers.readinessProbe.exec.command of type string');
    assert.equal(podError(pod({}, { labels: { a: 1 } })), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
    assert.equal(podError(pod({ ports: [{ containerPort: 1.5 }] })), 'json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32');
    assert.equal(podError(pod({ ports: [{ containerPort: 2 ** 31 }] })), `json: cannot unmarshal number ${2 ** 31} into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`);
    assert.equal(podError({ spec: { terminationGracePeriodSeconds: 1e300 } }), 'json: cannot unmarshal number 1e+300 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64');
    assert.equal(podError(pod({ readinessProbe: { httpGet: { port: 1.5 } } })), 'json: cannot unmarshal number 1.5 into Go struct field HTTPGetAction.spec.containers.readinessProbe.httpGet.port of type intstr.IntOrString');
    assert.equal(podError(pod({ resources: { requests: { cpu: 0.5 } } })), undefined, 'a Quantity may be any number');
    assert.equal(podError(pod({ securityContext: { privileged: 'yes' } })), 'json: cannot unmarshal string into Go struct field SecurityContext.spec.containers.securityContext.privileged of type bool');
    assert.equal(podError(pod({ resources: { limits: { cpu: true } } })), 'json: cannot unmarshal bool into Go struct field ResourceRequirements.spec.containers.resources.limits of type resource.Quantity');
    assert.equal(podError({ spec: { containers: { name: 'c' } } }), 'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container');
    assert.equal(podError({ spec: 'x' }), 'json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec');
    const d = deployment();
    (d['spec'] as Record<string, unknown>)['replicas'] = '2';
    assert.equal(checkFields(d, kind('apps', 'v1', 'Deployment')).typeError, 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
  });

  it('reports the first mismatch in document order and still lists unknown fields', () => {
    const r = checkFields(pod({ imagex: 1, command: [true], args: [false] }), kind('', 'v1', 'Pod'));
    assert.deepEqual(r.unknown, ['spec.containers[0].imagex']);
    assert.equal(r.typeError, 'json: cannot unmarshal bool into Go struct field Container.spec.containers.command of type string');
  });

  it('words the BadRequest message as Kubernetes does', () => {
    assert.equal(cannotBeHandledMessage('Deployment', 'v1', 'json: x'), 'Deployment in version "v1" cannot be handled as a Deployment: json: x');
  });
});

describe('pruneUnknownFields', () => {
  it('drops unknown fields and keeps the rest', () => {
    const d = deployment();
    const spec = d['spec'] as Record<string, unknown>;
    spec['replicasx'] = 3;
    const c0 = (spec['template'] as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0] as Record<string, unknown>;
    c0['imagex'] = 'x';
    const dropped = pruneUnknownFields(d, kind('apps', 'v1', 'Deployment'));
    assert.deepEqual(dropped, ['spec.template.spec.containers[0].imagex', 'spec.replicasx']);
    assert.deepEqual(d, deployment());
    assert.deepEqual(pruneUnknownFields(d, kind('apps', 'v1', 'Deployment')), []);
  });

  it('drops an own __proto__ key without touching the prototype', () => {
    const obj = JSON.parse('{"metadata":{"name":"x"},"__proto__":{"polluted":true}}') as Record<string, unknown>;
    assert.deepEqual(pruneUnknownFields(obj, kind('', 'v1', 'ConfigMap')), ['__proto__']);
    assert.equal(Object.hasOwn(obj, '__proto__'), false);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('findDuplicateFields', () => {
  it('finds duplicate keys at any depth, each once, in document order', () => {
    const raw = `{
      "metadata": {"name": "a", "labels": {"x": "1"}, "name": "b", "name": "c"},
      "spec": {"containers": [{"name": "c1"}, {"name": "c2", "image": "i", "image": "j"}], "replicas": 1},
      "spec": {}
    }`;
    assert.deepEqual(findDuplicateFields(raw), ['metadata.name', 'spec.containers[1].image', 'spec']);
  });

  it('is not fooled by strings, escapes and same keys in different objects', () => {
    assert.deepEqual(findDuplicateFields('{"a": "}{\\"a\\":1,", "b": {"a": 1}, "c": [{"a": 1}, {"a": 2}]}'), []);
    assert.deepEqual(findDuplicateFields('{"a\\u0062": 1, "ab": 2}'), ['ab']);
    assert.deepEqual(findDuplicateFields('{"x": [[], {}, [1, {"k": 1, "k": 2}]], "y": null, "y": true}'), ['x[2][1].k', 'y']);
    assert.deepEqual(findDuplicateFields('  [ ]  '), []);
    assert.deepEqual(findDuplicateFields('"just a string"'), []);
  });

  it('returns what it found before a syntax error', () => {
    assert.deepEqual(findDuplicateFields('{"a": 1, "a": 2, "b": '), ['a']);
    assert.deepEqual(findDuplicateFields('{"a": "unterminated'), []);
    assert.deepEqual(findDuplicateFields(''), []);
  });

  it('survives deep nesting', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    assert.deepEqual(findDuplicateFields(deep), []);
  });
});

describe('findDuplicateYamlFields', () => {
  it('finds duplicate keys in YAML', () => {
    const raw = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: a', '  name: b', 'spec:', '  template:', '    spec:', '      containers:', '      - name: c', '        image: x', '        image: y'].join('\n');
    assert.deepEqual(findDuplicateYamlFields(raw), ['metadata.name', 'spec.template.spec.containers[0].image']);
    assert.deepEqual(findDuplicateYamlFields('a: 1\nb: {c: 1, d: 2}\n'), []);
    assert.deepEqual(findDuplicateYamlFields('a: [unclosed'), []);
  });
});

describe('messages', () => {
  it('words errors and warnings as Kubernetes does', () => {
    assert.equal(
      strictDecodingMessage(['spec.replicasx'], ['metadata.name']),
      'strict decoding error: unknown field "spec.replicasx", duplicate field "metadata.name"',
    );
    assert.deepEqual(fieldValidationWarnings(['spec.replicasx', 'spec.x'], ['metadata.name']), [
      'unknown field "spec.replicasx"',
      'unknown field "spec.x"',
      'duplicate field "metadata.name"',
    ]);
  });

  it('parses the fieldValidation directive', () => {
    assert.equal(parseFieldValidation(undefined), 'Warn');
    assert.equal(parseFieldValidation(''), 'Warn');
    assert.equal(parseFieldValidation('Strict'), 'Strict');
    assert.equal(parseFieldValidation('Ignore'), 'Ignore');
    assert.equal(parseFieldValidation('strict'), undefined);
  });
});

it('hasNoDuplicateFields agrees with findDuplicateFields', () => {
  const cases = [
    '{"a":1,"b":{"c":"x\\":y","d":[{"e":1},{"e":2}]}}',
    '{"a":1,"a":2}',
    '{"a":{"b":1,"b":1}}',
    '{"a":[{"k":"v","k":"w"}]}',
    '{ "a" : "b:\\"c\\":" , "c" : [ "d" , { } ] }',
    '{"":1,"x":{"":2}}',
    '[{"a":1},{"a":1}]',
    '{"a"\n\t:1,"b" \r\n: {"a":1,"b":"a:"}}',
    '{"a"\n\t:1,"b" \r\n: {"a":1,"a":"a:"}}',
    '{"s":"\\\\","t":"\\\\\\"","s":3}',
  ];
  for (const text of cases) {
    assert.equal(hasNoDuplicateFields(text, JSON.parse(text)), findDuplicateFields(text).length === 0, text);
  }
});

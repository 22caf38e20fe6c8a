import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { secretStrategy as strategy } from './secret.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(fields: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default', annotations, creationTimestamp: '2024-05-01T11:00:00Z' }, ...fields };
}

function written(fields: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  const obj = secret(fields, annotations);
  strategy.prepareForCreate(obj, ctx);
  strategy.defaults(obj, ctx);
  return obj;
}

describe('secret defaults', () => {
  it('type Opaque; stringData folded into data and dropped', () => {
    const obj = written({ data: { a: b64('old'), keep: b64('k') }, stringData: { a: 'new', pw: 'sécret' } });
    assert.equal(obj.type, 'Opaque');
    assert.equal(obj.stringData, undefined);
    assert.deepEqual(obj.data, { a: b64('new'), keep: b64('k'), pw: b64('sécret') });
    assert.deepEqual(strategy.validate(obj, ctx), []);
  });

  it('malformed stringData is left for validation', () => {
    const obj = written({ stringData: { a: 1 } });
    assert.deepEqual(strategy.validate(obj, ctx).map(formatFieldError), ['stringData[a]: Invalid value: 1: must be a string']);
  });
});

describe('secret validation', () => {
  const cases: { name: string; fields: Record<string, unknown>; annotations?: Record<string, string>; want: string[] }[] = [
    { name: 'bad base64', fields: { data: { a: 'x!' } }, want: ['data[a]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 1'] },
    {
      name: 'bad key',
      fields: { data: { 'a b': b64('x') } },
      want: [`data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`],
    },
    { name: 'too big', fields: { stringData: { a: 'x'.repeat(1024 * 1024 + 1) } }, want: ['data: Too long: must have at most 1048576 bytes'] },
    { name: 'tls needs cert and key', fields: { type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } }, want: ['data[tls.key]: Required value'] },
    { name: 'tls complete', fields: { type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } }, want: [] },
    { name: 'service account token needs the annotation', fields: { type: 'kubernetes.io/service-account-token' }, want: ['metadata.annotations[kubernetes.io/service-account.name]: Required value'] },
    { name: 'service account token', fields: { type: 'kubernetes.io/service-account-token' }, annotations: { 'kubernetes.io/service-account.name': 'default' }, want: [] },
    { name: 'dockerconfigjson must be JSON', fields: { type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } }, want: [] },
    { name: 'dockerconfigjson missing', fields: { type: 'kubernetes.io/dockerconfigjson' }, want: ['data[.dockerconfigjson]: Required value'] },
    { name: 'dockercfg not JSON', fields: { type: 'kubernetes.io/dockercfg', stringData: { '.dockercfg': 'nope' } }, want: [`data[.dockercfg]: Invalid value: "<secret contents redacted>": Unexpected token 'o', "nope" is not valid JSON`] },
    { name: 'basic auth needs one of username/password', fields: { type: 'kubernetes.io/basic-auth' }, want: ['data[username]: Required value', 'data[password]: Required value'] },
    { name: 'basic auth with an empty password', fields: { type: 'kubernetes.io/basic-auth', data: { password: '' } }, want: [] },
    { name: 'ssh key must be non-empty', fields: { type: 'kubernetes.io/ssh-auth', data: { 'ssh-privatekey': '' } }, want: ['data[ssh-privatekey]: Required value'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = strategy.validate(written(c.fields, c.annotations), ctx).map(formatFieldError);
      // Node's JSON.parse wording differs between versions; compare only the stable prefix there.
      if (c.name === 'dockercfg not JSON') assert.match(got[0] ?? '', /^data\[\.dockercfg\]: Invalid value: "<secret contents redacted>": /);
      else assert.deepEqual(got, c.want);
    });
  }
});

describe('secret updates', () => {
  it('type is immutable', () => {
    const old = written({ data: {} });
    const obj = written({ type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } });
    assert.deepEqual(strategy.validateUpdate(obj, old, ctx).map(formatFieldError), ['type: Invalid value: "kubernetes.io/tls": field is immutable']);
  });

  it('immutable secrets keep their data, even through stringData', () => {
    const old = written({ immutable: true, stringData: { a: '1' } });
    assert.deepEqual(strategy.validateUpdate(written({ immutable: true, stringData: { a: '1' } }), old, ctx), []);
    assert.deepEqual(strategy.validateUpdate(written({ immutable: true, stringData: { a: '2' } }), old, ctx).map(formatFieldError), [
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('secret table and selectors', () => {
  it('NAME, TYPE, DATA, AGE', () => {
    assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(strategy.table.cells(written({ stringData: { a: '1', b: '2' } }), ctx.now), ['s', 'Opaque', 2, '60m']);
  });

  it('type selector', () => {
    assert.equal(strategy.fieldSelectors.type!(written({ type: 'kubernetes.io/tls' })), 'kubernetes.io/tls');
  });
});

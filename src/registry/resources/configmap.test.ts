import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/field-errors.js';
import type { KubeObject } from '../../api/object.js';
import type { StrategyContext } from '../strategy.js';
import { configMapStrategy as strategy, decodeBase64, isConfigMapKey } from './configmap.js';

const ctx: StrategyContext = {
  now: new Date('2024-05-01T12:00:00Z'),
  config: { serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', nodePortRange: [30000, 32767], defaultTolerationSeconds: 300 },
};

function cm(fields: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', creationTimestamp: '2024-05-01T11:55:00Z' }, ...fields };
}

const KEY_ERR = `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`;

describe('configmap validation', () => {
  const cases: { name: string; fields: Record<string, unknown>; want: string[] }[] = [
    { name: 'valid', fields: { data: { 'app.properties': 'a=1', KEY_2: 'x' }, binaryData: { 'logo.png': 'iVBORw0KGgo=' } }, want: [] },
    { name: 'empty', fields: {}, want: [] },
    { name: 'bad key', fields: { data: { 'a/b': 'x' } }, want: [`data[a/b]: Invalid value: "a/b": ${KEY_ERR}`] },
    { name: 'dot-dot key', fields: { data: { '..x': 'x' } }, want: [`data[..x]: Invalid value: "..x": must not start with '..'`] },
    {
      name: 'overlap',
      fields: { data: { k: 'x' }, binaryData: { k: 'eA==' } },
      want: ['data[k]: Invalid value: "k": duplicate of key present in binaryData', 'binaryData[k]: Invalid value: "k": duplicate of key present in data'],
    },
    { name: 'bad base64', fields: { binaryData: { k: 'not base64!' } }, want: ['binaryData[k]: Invalid value: "<binary data>": illegal base64 data at input byte 3'] },
    { name: 'too big', fields: { data: { a: 'x'.repeat(600 * 1024), b: 'y'.repeat(600 * 1024) } }, want: ['data: Too long: must have at most 1048576 bytes'] },
    { name: 'value of wrong type', fields: { data: { a: 1 } }, want: ['data[a]: Invalid value: 1: must be a string'] },
    { name: 'data of wrong type', fields: { data: ['a'] }, want: ['data: Invalid value: ["a"]: must be a map of string keys to string values'] },
    { name: 'immutable type', fields: { immutable: 'yes' }, want: ['immutable: Invalid value: "yes": must be a boolean'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(strategy.validate(cm(c.fields), ctx).map(formatFieldError), c.want));

  it('immutable configmaps keep their data', () => {
    const old = cm({ immutable: true, data: { a: '1' } });
    assert.deepEqual(strategy.validateUpdate(cm({ immutable: true, data: { a: '1' } }), old, ctx), []);
    assert.deepEqual(strategy.validateUpdate(cm({ immutable: true, data: { a: '2' }, binaryData: { b: 'eA==' } }), old, ctx).map(formatFieldError), [
      'data: Forbidden: field is immutable when `immutable` is set',
      'binaryData: Forbidden: field is immutable when `immutable` is set',
    ]);
    assert.deepEqual(strategy.validateUpdate(cm({ data: { a: '1' } }), old, ctx).map(formatFieldError), ['immutable: Forbidden: field is immutable when `immutable` is set']);
    assert.deepEqual(strategy.validateUpdate(cm({ immutable: true, data: { a: '2' } }), cm({ data: { a: '1' } }), ctx), []);
  });
});

describe('configmap helpers and table', () => {
  it('isConfigMapKey', () => {
    assert.deepEqual(isConfigMapKey('good-key_1.txt'), []);
    assert.deepEqual(isConfigMapKey('.'), ["must not be '.'"]);
    assert.deepEqual(isConfigMapKey('x'.repeat(254)), ['must be no more than 253 characters']);
  });

  it('decodeBase64', () => {
    assert.deepEqual(decodeBase64('aGVsbG8='), { bytes: Buffer.from('hello') });
    assert.deepEqual(decodeBase64('aGVs\nbG8='), { bytes: Buffer.from('hello') });
    assert.deepEqual(decodeBase64('aGVsbG8'), { error: 'illegal base64 data at input byte 4' });
    assert.deepEqual(decodeBase64('aG=sbG8='), { error: 'illegal base64 data at input byte 2' });
  });

  it('NAME, DATA, AGE', () => {
    assert.deepEqual(strategy.table.columns.map((c) => c.name), ['Name', 'Data', 'Age']);
    assert.deepEqual(strategy.table.cells(cm({ data: { a: '1', b: '2' }, binaryData: { c: 'eA==' } }), ctx.now), ['cfg', 3, '5m']);
    assert.deepEqual(strategy.table.cells(cm({}), ctx.now), ['cfg', 0, '5m']);
  });
});

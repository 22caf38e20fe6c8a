// Kubeconfig reading: the current context or a named one, inline and file credentials, and
// errors that name the file and what is missing.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

const config = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    { name: 'one', cluster: { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': b64('CA-ONE') } },
    { name: 'two', cluster: { server: 'https://10.0.0.2:6443', 'certificate-authority': 'ca.crt', 'tls-server-name': 'kubernetes' } },
    { name: 'three', cluster: { server: 'https://10.0.0.3', 'insecure-skip-tls-verify': true } },
  ],
  users: [
    { name: 'admin', user: { token: 'tok-1' } },
    { name: 'node', user: { 'client-certificate': 'node.crt', 'client-key-data': b64('KEY') } },
    { name: 'file', user: { tokenFile: 'token' } },
  ],
  contexts: [
    { name: 'a', context: { cluster: 'one', user: 'admin', namespace: 'prod' } },
    { name: 'b', context: { cluster: 'two', user: 'node' } },
    { name: 'c', context: { cluster: 'three', user: 'file' } },
    { name: 'broken', context: { cluster: 'missing', user: 'admin' } },
  ],
  'current-context': 'a',
};

test('the current context: server, inline CA, token, namespace', () => {
  const c = parseKubeconfig(stringify(config), join(dir, 'config'));
  assert.deepEqual(c, { server: 'https://127.0.0.1:6443', caPem: 'CA-ONE', token: 'tok-1', certPem: undefined, keyPem: undefined, insecureSkipTLSVerify: false, tlsServerName: undefined, namespace: 'prod' });
});

test('a named context with files relative to the kubeconfig, token files and insecure clusters', () => {
  writeFileSync(join(dir, 'ca.crt'), 'CA-TWO');
  writeFileSync(join(dir, 'node.crt'), 'CERT');
  writeFileSync(join(dir, 'token'), 'tok-file\n');
  const path = join(dir, 'config');
  writeFileSync(path, stringify(config));
  const b = loadKubeconfig(path, { context: 'b' });
  assert.deepEqual([b.server, b.caPem, b.certPem, b.keyPem, b.token, b.tlsServerName, b.namespace], ['https://10.0.0.2:6443', 'CA-TWO', 'CERT', 'KEY', undefined, 'kubernetes', 'default']);
  const c = loadKubeconfig(path, { context: 'c' });
  assert.deepEqual([c.token, c.insecureSkipTLSVerify], ['tok-file', true]);
});

test('errors name the file and what is missing', () => {
  const p = '/x/config';
  assert.throws(() => parseKubeconfig(stringify(config), p, { context: 'nope' }), /kubeconfig \/x\/config: context "nope" not found/);
  assert.throws(() => parseKubeconfig(stringify(config), p, { context: 'broken' }), /cluster "missing" not found/);
  assert.throws(() => parseKubeconfig(stringify({ ...config, 'current-context': undefined }), p), /current-context is not set/);
  assert.throws(() => parseKubeconfig('- a\n- b\n', p), /expected a mapping/);
  assert.throws(() => parseKubeconfig('a: [', p), /not valid YAML/);
  assert.throws(() => loadKubeconfig(join(dir, 'absent')), /kubeconfig .*absent: ENOENT/);
});

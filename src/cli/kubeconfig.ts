// The admin kubeconfig written when the API is ready: HTTPS URL with the real port, the cluster
// CA, and the admin bearer token. Written atomically so a reader never sees half a file.
import { stringify } from 'yaml';
import { writeFileAtomic } from '../apiserver/atomic-file.js';

export interface KubeconfigInput {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly name?: string;
}

export function kubeconfigYaml(k: KubeconfigInput): string {
  const name = k.name ?? 'skiff';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: k.server, 'certificate-authority-data': Buffer.from(k.caPem).toString('base64') } }],
    users: [{ name: `${name}-admin`, user: { token: k.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, k: KubeconfigInput): void {
  writeFileAtomic(path, kubeconfigYaml(k), 0o600);
}

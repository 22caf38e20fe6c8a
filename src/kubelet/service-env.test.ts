import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { serviceEnvVars, servicesForPod } from './service-env.js';

const svc = (ns: string, name: string, clusterIP: string, ports: { port: number; name?: string; protocol?: string }[]): Service => ({
  metadata: { namespace: ns, name },
  spec: { clusterIP, ports: ports.map((p) => ({ ...p, protocol: p.protocol as 'TCP' | undefined })) },
});

test('service env vars: host, first port, named ports and docker-link variables', () => {
  const env = serviceEnvVars([svc('default', 'my-db', '10.43.0.9', [{ port: 5432, name: 'pg' }, { port: 53, name: 'dns-udp', protocol: 'UDP' }])]);
  assert.deepEqual(Object.fromEntries(env), {
    MY_DB_SERVICE_HOST: '10.43.0.9',
    MY_DB_SERVICE_PORT: '5432',
    MY_DB_SERVICE_PORT_PG: '5432',
    MY_DB_SERVICE_PORT_DNS_UDP: '53',
    MY_DB_PORT: 'tcp://10.43.0.9:5432',
    MY_DB_PORT_5432_TCP: 'tcp://10.43.0.9:5432',
    MY_DB_PORT_5432_TCP_PROTO: 'tcp',
    MY_DB_PORT_5432_TCP_PORT: '5432',
    MY_DB_PORT_5432_TCP_ADDR: '10.43.0.9',
    MY_DB_PORT_53_UDP: 'udp://10.43.0.9:53',
    MY_DB_PORT_53_UDP_PROTO: 'udp',
    MY_DB_PORT_53_UDP_PORT: '53',
    MY_DB_PORT_53_UDP_ADDR: '10.43.0.9',
  });
});

test('which services: kubernetes from default always, own namespace only with links, headless skipped', () => {
  const kube = svc('default', 'kubernetes', '10.43.0.1', [{ port: 443, name: 'https' }]);
  const other = svc('default', 'other', '10.43.0.2', [{ port: 80 }]);
  const web = svc('team', 'web', '10.43.0.3', [{ port: 80 }]);
  const headless = svc('team', 'headless', 'None', [{ port: 80 }]);
  const names = (l: Service[]) => l.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`);
  assert.deepEqual(names(servicesForPod(true, [web, headless], [kube, other])), ['default/kubernetes', 'team/web']);
  assert.deepEqual(names(servicesForPod(false, [web], [kube, other])), ['default/kubernetes']);
  const own = svc('team', 'kubernetes', '10.43.0.7', [{ port: 1 }]);
  assert.deepEqual(names(servicesForPod(true, [own], [kube])), ['team/kubernetes'], "the namespace's own service wins");
});

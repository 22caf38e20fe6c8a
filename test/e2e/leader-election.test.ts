// Two controller managers and two schedulers on one cluster: exactly one of each acts at a
// time, and the other takes over when the leader stops. "Acts" is measured by the writes each
// candidate's own client makes (everything but its Lease): the one that does not lead writes
// nothing, one that stopped writes nothing more, and while a third party holds the Lease (the
// running leader deposed) neither writes.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/object.js';
import { resourceInfo, type Client } from '../../src/client/client.js';
import { parseServerFlags } from '../../src/cli/flags.js';
import { startServer } from '../../src/cli/server.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { createReplicaSetController } from '../../src/controllers/replicaset/controller.js';
import { SchedulerRunner } from '../../src/scheduler/scheduler-runner.js';

const FAST = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PODS = resourceInfo('', 'v1', 'pods');
const NODES = resourceInfo('', 'v1', 'nodes');
const REPLICASETS = resourceInfo('apps', 'v1', 'replicasets');
const LEASES = resourceInfo('coordination.k8s.io', 'v1', 'leases');
const NS = 'default';

interface Candidate {
  isLeader(): boolean;
  start(signal: AbortSignal): void;
  stop(): Promise<void>;
}

/** A client that records every write it makes, except to Leases: "create pods", "bind", ... */
function countingClient(inner: Client): { client: Client; writes: string[] } {
  const writes: string[] = [];
  const WRITES = new Set(['create', 'createWithoutResult', 'update', 'updateStatus', 'patch', 'delete', 'deleteCollection', 'bind', 'updateScale']);
  const client = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !WRITES.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        const info = args[0] as { plural?: string } | string;
        const resource = typeof info === 'object' && info ? info.plural : undefined;
        if (resource !== 'leases') writes.push(resource ? `${prop} ${resource}` : prop);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client, writes };
}

async function exactlyOneLeads(a: Candidate, b: Candidate, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let sawLeader = false;
  while (Date.now() < deadline) {
    assert.ok(!(a.isLeader() && b.isLeader()), 'both lead at once');
    sawLeader ||= a.isLeader() || b.isLeader();
    await sleep(20);
  }
  assert.ok(sawLeader, 'nobody became leader');
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A schedulable Node: created (NodeTaint admission taints it not-ready), untainted, then Ready. */
async function readyNode(client: Client, name: string): Promise<void> {
  await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } } as KubeObject);
  await client.patch(NODES, undefined, name, { spec: { taints: null } }, 'merge');
  const capacity = { cpu: '8', memory: '16Gi', pods: '110' };
  const status = { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] };
  await client.patch(NODES, undefined, name, { status }, 'merge', { subresource: 'status' });
}

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }) as KubeObject;

async function boundPods(client: Client): Promise<number> {
  const list = await client.list<KubeObject & { spec?: { nodeName?: string } }>(PODS, NS);
  return list.items.filter((p) => p.spec?.nodeName).length;
}

describe('leader election on one store', () => {
  for (const kind of ['controller manager', 'scheduler'] as const) {
    it(`two ${kind}s never act at once, and the second takes over`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'skiff-leader-'));
      const server = await startServer(parseServerFlags(['--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--cluster-cidr', '198.18.0.0/17', '--service-cidr', '198.18.128.0/17', '--storage', 'memory', '--disable-controllers', '--disable-agent']));
      const admin = server.inProcessClient();
      const make = (id: string): Candidate & { writes: string[] } => {
        const { client, writes } = countingClient(server.inProcessClient());
        const c =
          kind === 'scheduler'
            ? new SchedulerRunner({ client, identity: id, ...FAST })
            : new ControllerManager({ client, controllers: [createReplicaSetController], identity: id, ...FAST });
        return Object.assign(c, { writes });
      };
      const a = make('a');
      const b = make('b');
      const ctl = new AbortController();
      try {
        a.start(ctl.signal);
        b.start(ctl.signal);
        await exactlyOneLeads(a, b, 3000);
        const [leader, other] = a.isLeader() ? [a, b] : [b, a];

        // The leader acts; the other writes nothing.
        if (kind === 'scheduler') {
          await readyNode(admin, 'n1');
          for (let i = 0; i < 5; i++) await admin.create(PODS, pod(`p${i}`));
          await until('5 pods bound', async () => (await boundPods(admin)) === 5);
          assert.equal(leader.writes.filter((w) => w === 'bind').length, 5, leader.writes.join(', '));
        } else {
          const labels = { app: 'le' };
          const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'le', namespace: NS }, spec: { replicas: 3, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
          await admin.create(REPLICASETS, rs as unknown as KubeObject);
          await until('3 pods created', async () => (await admin.list(PODS, NS)).items.length === 3);
          assert.equal(leader.writes.filter((w) => w === 'create pods').length, 3, leader.writes.join(', '));
        }
        await sleep(300); // time for a wrongly acting non-leader's writes to show
        assert.deepEqual(other.writes, [], 'the candidate that does not lead wrote');

        // The leader stops; the other takes over, and only it acts from then on.
        await leader.stop();
        const leaderWritesAtStop = leader.writes.length;
        await until('the other candidate to take over', async () => other.isLeader(), 5000);
        if (kind === 'scheduler') {
          for (let i = 5; i < 8; i++) await admin.create(PODS, pod(`p${i}`));
          await until('8 pods bound', async () => (await boundPods(admin)) === 8);
          assert.equal(other.writes.filter((w) => w === 'bind').length, 3, other.writes.join(', '));
        } else {
          await admin.patch(REPLICASETS, NS, 'le', { spec: { replicas: 5 } }, 'merge');
          await until('5 pods', async () => (await admin.list(PODS, NS)).items.length === 5);
          assert.equal(other.writes.filter((w) => w === 'create pods').length, 2, other.writes.join(', '));
        }
        await sleep(300);
        assert.equal(leader.writes.length, leaderWritesAtStop, `the stopped leader wrote on: ${leader.writes.slice(leaderWritesAtStop).join(', ')}`);

        // A third party takes the Lease from the running leader: it steps down on its own, and
        // while neither candidate leads, neither writes — the work waits for the next leader.
        const leaseName = kind === 'scheduler' ? 'kube-scheduler' : 'kube-controller-manager';
        const lease = await admin.get<KubeObject & { spec: Record<string, unknown> }>(LEASES, 'kube-system', leaseName);
        await admin.update(LEASES, { ...lease, spec: { ...lease.spec, holderIdentity: 'thief', renewTime: new Date().toISOString().replace('Z', '000Z'), leaseDurationSeconds: 2 } });
        await until('the running leader to step down', async () => !other.isLeader(), 5000);
        const quiet = [a.writes.length, b.writes.length];
        if (kind === 'scheduler') for (let i = 8; i < 10; i++) await admin.create(PODS, pod(`p${i}`));
        else await admin.patch(REPLICASETS, NS, 'le', { spec: { replicas: 7 } }, 'merge');
        const deadline = Date.now() + 10_000;
        while (!a.isLeader() && !b.isLeader() && Date.now() < deadline) {
          assert.deepEqual([a.writes.length, b.writes.length], quiet, 'a candidate wrote while the Lease was someone else\'s');
          await sleep(20);
        }
        assert.ok(a.isLeader() || b.isLeader(), 'nobody took the Lease back after it expired');
        if (kind === 'scheduler') await until('10 pods bound', async () => (await boundPods(admin)) === 10);
        else await until('7 pods', async () => (await admin.list(PODS, NS)).items.length === 7);
      } finally {
        ctl.abort();
        await a.stop();
        await b.stop();
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

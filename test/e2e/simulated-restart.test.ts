// Simulated containers outlive a graceful restart of the server, as runc containers outlive it on
// a real node: the same container IDs, start times and pod IPs afterwards, no container started
// again (no new Started Event). After a crash (SIGKILL) they start again, as after a node reboot.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kubectlOk, startSkiff, waitUntil, type Skiff } from './harness.js';

interface PodList {
  items: { metadata: { name: string }; status: { podIP?: string; containerStatuses?: { containerID?: string; restartCount: number; state: { running?: { startedAt: string } } }[] } }[];
}

describe('simulated nodes across server restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-simrestart-'));
  const args = ['--simulated-nodes', '2'];
  let s: Skiff | undefined;
  after(async () => {
    await s?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** name → container ID, start, restarts, pod IP */
  const containers = async (server: Skiff): Promise<Map<string, string>> => {
    const pods = JSON.parse(await kubectlOk(server, ['get', 'pods', '-l', 'app=web', '-o', 'json'])) as PodList;
    return new Map(pods.items.map((p) => {
      const c = p.status.containerStatuses?.[0];
      return [p.metadata.name, `${c?.containerID} ${c?.state.running?.startedAt} ${c?.restartCount} ${p.status.podIP}`];
    }));
  };
  const server = (): Skiff => s!;
  const started = async (server: Skiff) => (await kubectlOk(server, ['get', 'events', '--field-selector', 'reason=Started', '-o', 'name'])).trim().split('\n').filter(Boolean).length;

  it('a graceful restart keeps every simulated container; a crash starts them again', async () => {
    s = await startSkiff({ dataDir, args });
    await kubectlOk(s, ['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=30s']);
    await kubectlOk(s, ['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=4']);
    await kubectlOk(s, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const before = await containers(s);
    const startedBefore = await started(s);
    assert.equal(before.size, 4);
    assert.equal(startedBefore, 4);

    assert.equal(await s.stop(), 0);
    const restarted = Date.now();
    s = await startSkiff({ dataDir, args });
    // the kubelets run again (each renewed its Lease) and have had time to sync every pod: a
    // container they did not find would have been started again by now (the crash below shows
    // how fast they do it)
    await waitUntil('both kubelets renewed their Lease after the restart', async () => {
      const leases = JSON.parse(await kubectlOk(server(), ['get', 'leases', '-n', 'kube-node-lease', '-o', 'json'])) as { items: { spec: { renewTime?: string } }[] };
      return leases.items.length === 2 && leases.items.every((l) => Date.parse(l.spec.renewTime ?? '') >= Math.floor(restarted / 1000) * 1000);
    });
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(await containers(s), before, 'the same containers, started when they were, with their IPs');
    assert.equal(await started(s), startedBefore, 'no container was started again');

    await s.stop('SIGKILL');
    s = await startSkiff({ dataDir, args });
    let after: Map<string, string> = new Map();
    const deadline = Date.now() + 60_000;
    // the kubelets start the containers again: new IDs, once each pod is Running again
    while (Date.now() < deadline) {
      after = await containers(s);
      if ([...after].every(([name, c]) => c.split(' ')[0] !== before.get(name)?.split(' ')[0] && !c.startsWith('undefined'))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    for (const [name, c] of after) assert.notEqual(c.split(' ')[0], before.get(name)?.split(' ')[0], `${name}: a new container after the crash`);
  });
});

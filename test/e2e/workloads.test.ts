// Issue 3's proof: the scheduler, the controllers and the kubelet core acting on simulated
// nodes, driven with the real kubectl against a real `skiff server --simulated-nodes 3`.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { kubectl, kubectlOk, manifest, startSkiff, type Skiff } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('workloads on simulated nodes', () => {
  let s: Skiff;
  before(async () => {
    s = await startSkiff({ args: ['--storage', 'memory', '--simulated-nodes', '3', '--node-monitor-grace-period', '4s', '--default-toleration-seconds', '4'] });
    const r = await kubectl(s, ['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=30s']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await s?.destroy();
  });

  const ok = (...args: string[]) => kubectlOk(s, args);
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '-o', 'json')) as T;
  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(250);
    }
    assert.fail(`timed out waiting for ${what}\n${await clusterState()}`);
  }
  /** What a failing wait saw: nodes, pods, recent events and the server's last log lines. */
  async function clusterState(): Promise<string> {
    const show = async (...args: string[]) => (await kubectl(s, args)).stdout;
    return [
      await show('get', 'nodes', '-o', 'custom-columns=NAME:.metadata.name,TAINTS:.spec.taints,READY:.status.conditions[?(@.type=="Ready")].status'),
      await show('get', 'pods', '-A', '-o', 'wide'),
      await show('get', 'events', '-A', '--sort-by=.lastTimestamp'),
      s.output().split('\n').slice(-60).join('\n'),
    ].join('\n');
  }
  type PodList = { items: { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } }[] };

  it('a Deployment becomes available, rolls with set image without dropping below replicas - maxUnavailable, and undo gives revision 3', async () => {
    await ok('create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=4');
    await ok('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.equal(await ok('get', 'deploy', 'web', '-o', 'jsonpath={.status.readyReplicas}/{.status.replicas}'), '4/4');

    let lowest = 4;
    let done = false;
    const watcher = (async () => {
      while (!done) {
        const d = await json<{ status: { availableReplicas?: number } }>('get', 'deploy', 'web');
        lowest = Math.min(lowest, d.status.availableReplicas ?? 0);
        await sleep(50);
      }
    })();
    await ok('set', 'image', 'deployment/web', 'busybox=busybox:1.37');
    await ok('rollout', 'status', 'deployment/web', '--timeout=60s');
    done = true;
    await watcher;
    assert.ok(lowest >= 3, `available replicas fell to ${lowest} (maxUnavailable 25% of 4 = 1)`);

    assert.match(await ok('rollout', 'undo', 'deployment/web'), /rolled back/);
    await ok('rollout', 'status', 'deployment/web', '--timeout=60s');
    const d = await json<{ metadata: { annotations: Record<string, string> }; spec: { template: { spec: { containers: { image: string }[] } } } }>('get', 'deploy', 'web');
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:1.36');
    assert.match(await ok('rollout', 'history', 'deployment/web'), /^3\s/m);
  });

  it('scaling to 30 spreads pods evenly over the 3 nodes', async () => {
    await ok('scale', 'deployment/web', '--replicas=30');
    await ok('rollout', 'status', 'deployment/web', '--timeout=60s');
    const pods = await json<PodList>('get', 'pods', '-l', 'app=web');
    const perNode = new Map<string, number>();
    for (const p of pods.items) if (!p.metadata.deletionTimestamp) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
    assert.deepEqual([...perNode.values()].sort(), [10, 10, 10], JSON.stringify([...perNode]));
  });

  it('kubectl logs and exec on a simulated pod say it is simulated, without dialling the node\'s made-up address', async () => {
    const [p] = (await json<PodList>('get', 'pods', '-l', 'app=web')).items;
    const logs = await kubectl(s, ['logs', p.metadata.name]);
    assert.notEqual(logs.code, 0);
    assert.match(logs.stderr, new RegExp(`pod ${p.metadata.name} runs on the simulated node "${p.spec.nodeName}", which has no kubelet server: simulated containers have no logs`));
    const exec = await kubectl(s, ['exec', p.metadata.name, '--', 'true']);
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, /simulated containers have no exec/);
  });

  it('a pod that fits no node stays Pending with the Unschedulable reason and Kubernetes\' message', async () => {
    await ok('run', 'huge', '--image=busybox', '--overrides={"spec":{"containers":[{"name":"huge","image":"busybox","resources":{"requests":{"cpu":"100"}}}]}}');
    await until('FailedScheduling', async () => {
      const p = await json<PodList['items'][number]>('get', 'pod', 'huge');
      const c = p.status.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c.reason === 'Unschedulable' && c.message === '0/3 nodes are available: 3 Insufficient cpu.';
    });
    assert.equal(await ok('get', 'pod', 'huge', '-o', 'jsonpath={.status.phase}'), 'Pending');
    assert.match(await ok('get', 'events', '--field-selector', 'involvedObject.name=huge'), /FailedScheduling.*0\/3 nodes are available: 3 Insufficient cpu\./);
    await ok('delete', 'pod', 'huge');
  });

  it('PriorityClasses: kubectl create priorityclass; a pod takes its class\'s priority or the global default\'s; an unknown class is refused', async () => {
    assert.match(await ok('get', 'priorityclasses'), /system-node-critical\s+2000001000\s+false/);
    await ok('create', 'priorityclass', 'e2e-high', '--value=1000');
    await ok('create', 'priorityclass', 'e2e-default', '--value=7', '--global-default=true');
    try {
      const second = await kubectl(s, ['create', 'priorityclass', 'e2e-other', '--value=8', '--global-default=true']);
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, /PriorityClass e2e-default is already marked as default\. Only one default can exist/);
      const system = await kubectl(s, ['delete', 'priorityclass', 'system-node-critical']);
      assert.notEqual(system.code, 0);
      assert.match(system.stderr, /this is a system priority class and cannot be deleted/);
      const patched = await kubectl(s, ['patch', 'priorityclass', 'e2e-high', '-p', '{"globalDefault":true}']);
      assert.notEqual(patched.code, 0, 'nor may an update make a second default');
      assert.match(patched.stderr, /PriorityClass e2e-default is already marked as default/);
      await ok('run', 'prio-high', '--image=busybox', '--overrides={"spec":{"priorityClassName":"e2e-high"}}');
      await ok('run', 'prio-default', '--image=busybox');
      const spec = async (name: string) => JSON.parse(await ok('get', 'pod', name, '-o', 'jsonpath={.spec}')) as { priority?: number; priorityClassName?: string; preemptionPolicy?: string };
      assert.deepEqual(await spec('prio-high'), { ...(await spec('prio-high')), priority: 1000, priorityClassName: 'e2e-high', preemptionPolicy: 'PreemptLowerPriority' });
      assert.deepEqual(await spec('prio-default'), { ...(await spec('prio-default')), priority: 7, priorityClassName: 'e2e-default' });
      const unknown = await kubectl(s, ['run', 'prio-unknown', '--image=busybox', '--overrides={"spec":{"priorityClassName":"nope"}}']);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /Error from server \(Forbidden\): pods "prio-unknown" is forbidden: no PriorityClass with name nope was found/);
      await ok('delete', 'pod', 'prio-high', 'prio-default', '--wait=false');
    } finally {
      await kubectl(s, ['delete', 'priorityclass', 'e2e-high', 'e2e-default', '--ignore-not-found']);
    }
  });

  it('Jobs complete (completions 5, parallelism 2) or fail at backoffLimit', async () => {
    const f = manifest(
      s,
      'jobs.yaml',
      `apiVersion: batch/v1
kind: Job
metadata: {name: five}
spec:
  completions: 5
  parallelism: 2
  template:
    metadata:
      annotations: {skiff.io/simulate-exit-code: "0", skiff.io/simulate-run-seconds: "1"}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: failing}
spec:
  backoffLimit: 1
  template:
    metadata:
      annotations: {skiff.io/simulate-exit-code: "1", skiff.io/simulate-run-seconds: "1"}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`,
    );
    await ok('apply', '-f', f);
    await ok('wait', '--for=condition=Complete', 'job/five', '--timeout=60s');
    assert.equal(await ok('get', 'job', 'five', '-o', 'jsonpath={.status.succeeded}'), '5');
    await ok('wait', '--for=condition=Failed', 'job/failing', '--timeout=90s');
    const j = await json<{ status: { conditions: { type: string; reason: string }[] } }>('get', 'job', 'failing');
    assert.ok(j.status.conditions.some((c) => c.type === 'Failed' && c.reason === 'BackoffLimitExceeded'));
  });

  it('a CronJob creates Jobs on its schedule', async () => {
    await ok('create', 'cronjob', 'tick', '--image=busybox', '--schedule=* * * * *');
    await until('a Job of the CronJob', async () => (await ok('get', 'jobs', '-o', 'name')).includes('job.batch/tick-'), 75_000);
    const cj = await json<{ status: { lastScheduleTime?: string } }>('get', 'cronjob', 'tick');
    assert.ok(cj.status.lastScheduleTime);
    await ok('delete', 'cronjob', 'tick');
  });

  it('a 2-replica Deployment reaches 2/2 Ready; rollout pause holds a new template, resume rolls it, restart replaces every pod; describe shows the events', async () => {
    await ok('create', 'deployment', 'pair', '--image=busybox:1.36', '--replicas=2');
    await ok('rollout', 'status', 'deployment/pair', '--timeout=60s');
    assert.match(await ok('get', 'deployment', 'pair'), /^pair\s+2\/2\s+2\s+2\s/m);
    type Rs = { items: { metadata: { name: string; annotations: Record<string, string> }; spec: { template: { spec: { containers: { image: string }[] } } } }[] };
    const revision = () => ok('get', 'deploy', 'pair', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}');
    type PairPods = { items: { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string; containers: { image: string }[] }; status: { phase?: string } }[] };
    const livePods = async () => (await json<PairPods>('get', 'pods', '-l', 'app=pair')).items.filter((p) => !p.metadata.deletionTimestamp);

    await ok('rollout', 'pause', 'deployment/pair');
    assert.equal(await ok('get', 'deploy', 'pair', '-o', 'jsonpath={.spec.paused}'), 'true');
    await ok('set', 'image', 'deployment/pair', 'busybox=busybox:1.37');
    await sleep(1500); // a paused Deployment must not roll in this time
    assert.equal(await revision(), '1');
    assert.equal((await json<Rs>('get', 'rs', '-l', 'app=pair')).items.length, 1, 'a paused Deployment made a new ReplicaSet');
    assert.deepEqual((await livePods()).map((p) => p.spec.containers[0].image), ['busybox:1.36', 'busybox:1.36']);

    await ok('rollout', 'resume', 'deployment/pair');
    await ok('rollout', 'status', 'deployment/pair', '--timeout=60s');
    assert.equal(await revision(), '2');
    await until('2 pods of busybox:1.37 only', async () => {
      const pods = await livePods();
      return pods.length === 2 && pods.every((p) => p.spec.containers[0].image === 'busybox:1.37');
    });

    const before = new Set((await livePods()).map((p) => p.metadata.name));
    assert.match(await ok('rollout', 'restart', 'deployment/pair'), /restarted/);
    await ok('rollout', 'status', 'deployment/pair', '--timeout=60s');
    assert.equal(await revision(), '3');
    const rsList = await json<Rs>('get', 'rs', '-l', 'app=pair');
    const newest = rsList.items.find((r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '3');
    assert.ok(newest, 'no ReplicaSet of revision 3');
    await until('every pod replaced', async () => {
      const pods = await livePods();
      return pods.length === 2 && pods.every((p) => !before.has(p.metadata.name) && p.status.phase === 'Running');
    });
    assert.match(await ok('rollout', 'history', 'deployment/pair'), /^3\s/m);

    // Where users look: the scheduler's and the kubelet's events on the pod, the controller's on the Deployment.
    const [one] = await livePods();
    const described = await ok('describe', 'pod', one.metadata.name);
    assert.match(described, new RegExp(`Normal\\s+Scheduled\\s+.*default-scheduler\\s+Successfully assigned default/${one.metadata.name} to ${one.spec.nodeName}`));
    assert.match(described, /Normal\s+Started\s+/);
    assert.match(await ok('describe', 'deployment', 'pair'), /Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set pair-/);
    await ok('delete', 'deployment', 'pair');
  });

  it('kubectl drain waits for a PodDisruptionBudget: refused while it allows no disruption, done once it allows one at a time', async () => {
    await ok('create', 'deployment', 'guarded', '--image=busybox', '--replicas=4');
    await ok('rollout', 'status', 'deployment/guarded', '--timeout=60s');
    await ok('create', 'pdb', 'guarded', '--selector=app=guarded', '--min-available=4');
    type Pdb = { metadata: { generation: number }; status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number } };
    await until('the budget computed', async () => {
      const p = await json<Pdb>('get', 'pdb', 'guarded');
      return p.status?.observedGeneration === p.metadata.generation && p.status.currentHealthy === 4;
    });
    const computed = (await json<Pdb>('get', 'pdb', 'guarded')).status!;
    assert.deepEqual([computed.disruptionsAllowed, computed.desiredHealthy, computed.expectedPods], [0, 4, 4]);
    assert.match(await ok('get', 'pdb', 'guarded'), /^guarded\s+4\s+N\/A\s+0\s/m);

    const node = (await json<PodList>('get', 'pods', '-l', 'app=guarded')).items[0].spec.nodeName!;
    try {
      await drainUnderBudget(node);
    } finally {
      await kubectl(s, ['uncordon', node]); // the next tests need all three nodes, also after a failure here
    }
    await ok('delete', 'deployment', 'guarded');
    await ok('delete', 'pdb', 'guarded');
  });

  async function drainUnderBudget(node: string): Promise<void> {
    const refused = await kubectl(s, ['drain', node, '--ignore-daemonsets', '--timeout=7s']);
    assert.notEqual(refused.code, 0, 'drain went through a budget that allows no disruption');
    assert.match(refused.stderr + refused.stdout, /Cannot evict pod as it would violate the pod's disruption budget\./);
    const live = (await json<PodList>('get', 'pods', '-l', 'app=guarded')).items.filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(live.length, 4);
    assert.ok(live.some((p) => p.spec.nodeName === node), 'a guarded pod left the node');

    await ok('patch', 'pdb', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":3}}');
    await ok('drain', node, '--ignore-daemonsets', '--timeout=90s');
    await ok('rollout', 'status', 'deployment/guarded', '--timeout=60s');
    const after = (await json<PodList>('get', 'pods', '-l', 'app=guarded')).items.filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(after.length, 4);
    assert.ok(after.every((p) => p.spec.nodeName !== node), 'a guarded pod is still on the drained node');
  }

  it('a downed node\'s pods move to the other nodes after grace + toleration, and the taint goes when it is back', async () => {
    await ok('create', 'deployment', 'mover', '--image=busybox', '--replicas=6');
    await ok('rollout', 'status', 'deployment/mover', '--timeout=60s');
    const before = await json<PodList>('get', 'pods', '-l', 'app=mover');
    const victim = before.items[0].spec.nodeName!;
    const onVictim = before.items.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata.name);
    await ok('annotate', 'node', victim, 'skiff.io/simulate-down=true');
    // The healthy nodes renew their Leases well within the 4 s grace: none of them may look dead meanwhile.
    const flapped = new Set<string>();
    await until(
      `pods to leave ${victim}`,
      async () => {
        const nodes = await json<{ items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[] }>('get', 'nodes');
        for (const n of nodes.items) {
          if (n.metadata.name !== victim && n.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') flapped.add(n.metadata.name);
        }
        const now = await json<PodList>('get', 'pods', '-l', 'app=mover');
        const live = now.items.filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
        return live.length === 6 && live.every((p) => p.spec.nodeName !== victim);
      },
      60_000,
    );
    assert.match(await ok('get', 'node', victim, '-o', 'jsonpath={.spec.taints}'), /node\.kubernetes\.io\/unreachable/);
    assert.deepEqual([...flapped], [], 'healthy nodes looked dead while the victim was down');
    assert.match(await ok('get', 'events', '--field-selector', `involvedObject.name=${onVictim[0]}`), /TaintManagerEviction/);
    await ok('annotate', 'node', victim, 'skiff.io/simulate-down-');
    await until('the unreachable taint to go', async () => !(await ok('get', 'node', victim, '-o', 'jsonpath={.spec.taints}')).includes('unreachable'));
  });

  it('deleting a Deployment deletes its ReplicaSets and pods; --cascade=orphan leaves them', async () => {
    await ok('delete', 'deployment', 'mover');
    await until('mover pods and ReplicaSets gone', async () => (await ok('get', 'rs,pods', '-l', 'app=mover', '-o', 'name')).trim() === '');
    await ok('create', 'deployment', 'orphan', '--image=busybox', '--replicas=2');
    await ok('rollout', 'status', 'deployment/orphan', '--timeout=60s');
    await ok('delete', 'deployment', 'orphan', '--cascade=orphan');
    await sleep(1500);
    const left = (await ok('get', 'rs,pods', '-l', 'app=orphan', '-o', 'name')).trim().split('\n');
    assert.equal(left.length, 3, left.join(' '));
    const rs = await json<{ items: { metadata: { ownerReferences?: unknown[] } }[] }>('get', 'rs', '-l', 'app=orphan');
    assert.equal(rs.items[0].metadata.ownerReferences, undefined);

    // Foreground: kubectl waits for the Deployment to go, which it does only after its dependents.
    await ok('create', 'deployment', 'fg', '--image=busybox', '--replicas=2');
    await ok('rollout', 'status', 'deployment/fg', '--timeout=60s');
    await ok('delete', 'deployment', 'fg', '--cascade=foreground', '--timeout=60s');
    assert.equal((await ok('get', 'rs,pods', '-l', 'app=fg', '-o', 'name')).trim(), '', 'dependents left after the foreground deletion of their owner');
  });

  it('deleting a namespace empties it, then removes it', async () => {
    await ok('create', 'namespace', 'scratch');
    await until('the default ServiceAccount', async () => (await kubectl(s, ['-n', 'scratch', 'get', 'serviceaccount', 'default'])).code === 0);
    await ok('-n', 'scratch', 'create', 'deployment', 'x', '--image=busybox', '--replicas=2');
    await ok('-n', 'scratch', 'create', 'configmap', 'y');
    await ok('-n', 'scratch', 'rollout', 'status', 'deployment/x', '--timeout=60s');
    await ok('delete', 'namespace', 'scratch', '--timeout=60s');
    const r = await kubectl(s, ['get', 'namespace', 'scratch']);
    assert.match(r.stderr, /NotFound/);
  });
});

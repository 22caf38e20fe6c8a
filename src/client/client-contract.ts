// The contract every Client implementation passes (HTTP, in-process, and the FakeClient used in
// unit tests): CRUD, compare-and-swap, status/scale/binding subresources, selectors, consistent
// pagination, watches from a resourceVersion, 410 Gone once history is compacted.
//
// Usage, in a *.test.ts file:  clientContract('http', async () => ({ client, compact, close }));
// The suite creates ConfigMaps, Services, Pods and a ReplicaSet with unique names in one existing
// namespace and deletes them afterwards. It is safe against a server running controllers and a
// scheduler: its pods name a scheduler that does not exist and are bound to a node that does not.
// It uses real time only to wait (at most WAIT_MS) for watch events that should already be on the way.
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { isAlreadyExists, isApiError, isConflict, isGone, isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { Client, ListResult, WatchEvent, WatchOptions } from './client.js';
import { resourceInfo } from './client.js';

export interface ContractTarget {
  readonly client: Client;
  /** an existing namespace the suite may write to; default "default" */
  readonly namespace?: string;
  /** Compacts the store's history up to its current revision; without it the 410 test is skipped. */
  readonly compact?: () => Promise<void>;
  /** called once after the suite */
  readonly close?: () => Promise<void>;
}

/** How long the suite waits for a watch event that must arrive. */
export const WAIT_MS = 10_000;

const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');
const SERVICES = resourceInfo('', 'v1', 'services');
const PODS = resourceInfo('', 'v1', 'pods');
const REPLICASETS = resourceInfo('apps', 'v1', 'replicasets');
const NAMESPACES = resourceInfo('', 'v1', 'namespaces');

const NO_SCHEDULER = 'skiff-contract-no-scheduler';

export function clientContract(name: string, makeClient: () => Promise<ContractTarget> | ContractTarget): void {
  describe(`Client contract: ${name}`, () => {
    let client: Client;
    let ns: string;
    let target: ContractTarget;
    const run = `c${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const runLabel = { 'skiff.io/contract-run': run };
    let seq = 0;
    const unique = (base: string) => `${base}-${run}-${++seq}`;

    const configMap = (n: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: n, namespace: ns, labels: { ...runLabel, ...labels } },
      data,
    });
    const podSpec = () => ({ schedulerName: NO_SCHEDULER, containers: [{ name: 'c', image: 'registry.invalid/contract:1' }] });

    before(async () => {
      target = await makeClient();
      client = target.client;
      ns = target.namespace ?? 'default';
    });

    after(async () => {
      const sel = { labelSelector: `skiff.io/contract-run=${run}` };
      for (const info of [CONFIGMAPS, SERVICES, REPLICASETS]) {
        await client.deleteCollection(info, ns, { ...sel, propagationPolicy: 'Background' }).catch(() => undefined);
      }
      await client.deleteCollection(PODS, ns, { ...sel, gracePeriodSeconds: 0 }).catch(() => undefined);
      await target.close?.();
    });

    test('create, get, update and delete round-trip an object', async () => {
      const n = unique('crud');
      const created = await client.create(CONFIGMAPS, configMap(n, { a: '1' }));
      assert.equal(created.metadata?.name, n);
      assert.equal(created.metadata?.namespace, ns);
      assert.ok(created.metadata?.uid, 'uid is set');
      assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
      assert.equal(created.kind, 'ConfigMap');

      const got = await client.get(CONFIGMAPS, ns, n);
      assert.deepEqual(got.data, { a: '1' });
      assert.equal(got.metadata?.resourceVersion, created.metadata?.resourceVersion);

      const updated = await client.update(CONFIGMAPS, { ...got, data: { a: '2' } });
      assert.deepEqual(updated.data, { a: '2' });
      assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);
      assert.ok(Number(updated.metadata?.resourceVersion) > Number(got.metadata?.resourceVersion), 'resourceVersion grows');

      await client.delete(CONFIGMAPS, ns, n);
      await assert.rejects(client.get(CONFIGMAPS, ns, n), (e: unknown) => isNotFound(e));
    });

    test('generateName gives a fresh name', async () => {
      const obj = configMap('');
      delete obj.metadata!.name;
      obj.metadata!.generateName = `gen-${run}-`;
      const created = await client.create(CONFIGMAPS, obj);
      assert.ok(created.metadata?.name?.startsWith(`gen-${run}-`));
      assert.ok((created.metadata?.name?.length ?? 0) > `gen-${run}-`.length);
    });

    test('errors are ApiErrors with the Kubernetes reason and code', async () => {
      const n = unique('errors');
      await client.create(CONFIGMAPS, configMap(n));
      await assert.rejects(client.create(CONFIGMAPS, configMap(n)), (e: unknown) => {
        assert.ok(isAlreadyExists(e), String(e));
        assert.ok(isApiError(e) && e.code === 409);
        assert.match((e as Error).message, new RegExp(`configmaps "${n}" already exists`));
        return true;
      });
      await assert.rejects(client.get(CONFIGMAPS, ns, `${n}-missing`), (e: unknown) => {
        assert.ok(isNotFound(e), String(e));
        assert.ok(isApiError(e) && e.code === 404);
        assert.match((e as Error).message, new RegExp(`configmaps "${n}-missing" not found`));
        return true;
      });
      await assert.rejects(client.delete(CONFIGMAPS, ns, `${n}-missing`), (e: unknown) => isNotFound(e));
    });

    test('a namespaced resource addressed without a namespace is a TypeError before any request', async () => {
      await assert.rejects(client.get(CONFIGMAPS, undefined, 'x'), TypeError);
      await assert.rejects(client.create(CONFIGMAPS, { metadata: { name: 'x' } }), TypeError);
      await assert.rejects(client.delete(CONFIGMAPS, '', 'x'), TypeError);
    });

    test('cluster-scoped resources ignore the namespace argument', async () => {
      const got = await client.get(NAMESPACES, 'ignored', ns);
      assert.equal(got.metadata?.name, ns);
    });

    test('update with a stale resourceVersion is Conflict; without one it applies to the latest', async () => {
      const n = unique('cas');
      const v1 = await client.create(CONFIGMAPS, configMap(n, { a: '1' }));
      const v2 = await client.update(CONFIGMAPS, { ...v1, data: { a: '2' } });
      await assert.rejects(client.update(CONFIGMAPS, { ...v1, data: { a: 'stale' } }), (e: unknown) => {
        assert.ok(isConflict(e), String(e));
        assert.ok(isApiError(e) && e.code === 409);
        return true;
      });
      const unconditional = { ...v1, metadata: { ...v1.metadata, resourceVersion: undefined }, data: { a: '3' } };
      const v3 = await client.update(CONFIGMAPS, unconditional);
      assert.deepEqual(v3.data, { a: '3' });
      assert.ok(Number(v3.metadata?.resourceVersion) > Number(v2.metadata?.resourceVersion));
    });

    test('updateStatus changes only status; update leaves status alone', async () => {
      const n = unique('status');
      const svc = await client.create(SERVICES, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: n, namespace: ns, labels: runLabel },
        // another implementation's class: the built-in servicelb controller leaves its status alone
        spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/contract-test', ports: [{ port: 80, protocol: 'TCP' }] },
      });
      const status = { loadBalancer: { ingress: [{ ip: '198.18.0.10' }] } };
      const withStatus = await client.updateStatus(SERVICES, { ...svc, metadata: { ...svc.metadata, labels: { ...runLabel, ignored: 'yes' } }, status });
      const ingressIP = (o: KubeObject) => (o.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress?.[0]?.ip;
      assert.equal(ingressIP(withStatus), '198.18.0.10');
      assert.equal(withStatus.metadata?.labels?.ignored, undefined, 'updateStatus ignores metadata changes');

      const relabelled = await client.update(SERVICES, { ...withStatus, metadata: { ...withStatus.metadata, labels: { ...runLabel, kept: 'yes' } }, status: {} });
      assert.equal(relabelled.metadata?.labels?.kept, 'yes');
      assert.deepEqual(relabelled.status, withStatus.status, 'update ignores status changes');

      await assert.rejects(client.updateStatus(SERVICES, { ...svc, status: {} }), (e: unknown) => isConflict(e));
    });

    test('patch: merge, strategic merge, JSON patch and apply', async () => {
      const n = unique('patch');
      await client.create(CONFIGMAPS, configMap(n, { a: '1', b: '2' }));
      const merged = await client.patch(CONFIGMAPS, ns, n, { data: { b: null, c: '3' } }, 'merge');
      assert.deepEqual(merged.data, { a: '1', c: '3' });
      const strategic = await client.patch(CONFIGMAPS, ns, n, { data: { d: '4' } }, 'strategic');
      assert.deepEqual(strategic.data, { a: '1', c: '3', d: '4' });
      const json = await client.patch(CONFIGMAPS, ns, n, [{ op: 'replace', path: '/data/a', value: 'one' }, { op: 'remove', path: '/data/d' }], 'json');
      assert.deepEqual(json.data, { a: 'one', c: '3' });
      await assert.rejects(
        client.patch(CONFIGMAPS, ns, n, { metadata: { resourceVersion: merged.metadata?.resourceVersion }, data: { e: '5' } }, 'merge'),
        (e: unknown) => isConflict(e),
      );
      await assert.rejects(client.patch(CONFIGMAPS, ns, `${n}-missing`, { data: {} }, 'merge'), (e: unknown) => isNotFound(e));

      const an = unique('apply');
      const applied = await client.patch(CONFIGMAPS, ns, an, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: an, namespace: ns, labels: runLabel }, data: { x: '1' } }, 'apply', {
        fieldManager: 'skiff-contract',
      });
      assert.deepEqual(applied.data, { x: '1' });
      const reapplied = await client.patch(CONFIGMAPS, ns, an, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: an, namespace: ns }, data: { x: '2' } }, 'apply', {
        fieldManager: 'skiff-contract',
      });
      assert.deepEqual(reapplied.data, { x: '2' });
    });

    test('dryRun writes nothing', async () => {
      const n = unique('dry');
      const dry = await client.create(CONFIGMAPS, configMap(n), { dryRun: true });
      assert.equal(dry.metadata?.name, n);
      await assert.rejects(client.get(CONFIGMAPS, ns, n), (e: unknown) => isNotFound(e));
    });

    test('list filters by label and field selectors, in one namespace and across all', async () => {
      const group = unique('sel');
      const names = [1, 2, 3].map((i) => `${group}-${i}`);
      for (const [i, n] of names.entries()) await client.create(CONFIGMAPS, configMap(n, {}, { 'skiff.io/contract-group': group, parity: i % 2 ? 'odd' : 'even' }));
      const all = await client.list(CONFIGMAPS, ns, { labelSelector: `skiff.io/contract-group=${group}` });
      assert.deepEqual(all.items.map((o) => o.metadata?.name).sort(), names);
      assert.match(all.resourceVersion, /^\d+$/);
      const even = await client.list(CONFIGMAPS, ns, { labelSelector: `skiff.io/contract-group=${group},parity=even` });
      assert.deepEqual(even.items.map((o) => o.metadata?.name).sort(), [names[0], names[2]]);
      const byName = await client.list(CONFIGMAPS, ns, { fieldSelector: `metadata.name=${names[1]}` });
      assert.deepEqual(byName.items.map((o) => o.metadata?.name), [names[1]]);
      const everywhere = await client.list(CONFIGMAPS, undefined, { labelSelector: `skiff.io/contract-group=${group}` });
      assert.deepEqual(everywhere.items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort(), names.map((n) => `${ns}/${n}`));
      assert.ok(all.items.every((o) => o.kind === 'ConfigMap' && o.apiVersion === 'v1'), 'items carry apiVersion and kind');
    });

    test('list pages with limit/continue form one consistent snapshot', async () => {
      const group = unique('page');
      const names = [1, 2, 3, 4, 5].map((i) => `${group}-${i}`);
      for (const n of names) await client.create(CONFIGMAPS, configMap(n, {}, { 'skiff.io/contract-group': group }));
      const sel = `skiff.io/contract-group=${group}`;
      const first = await client.list(CONFIGMAPS, ns, { labelSelector: sel, limit: 2 });
      assert.equal(first.items.length, 2);
      assert.ok(first.continue, 'a continue token when more remain');
      // A write between pages must not show up in later pages: they are read at the first page's revision.
      await client.create(CONFIGMAPS, configMap(`${group}-9`, {}, { 'skiff.io/contract-group': group }));
      await client.delete(CONFIGMAPS, ns, names[4]!);
      const seen = [...first.items];
      let token: string | undefined = first.continue;
      let pages = 1;
      while (token) {
        const page: ListResult = await client.list(CONFIGMAPS, ns, { labelSelector: sel, limit: 2, continue: token });
        assert.equal(page.resourceVersion, first.resourceVersion, 'every page has the first page resourceVersion');
        assert.ok(page.items.length <= 2);
        seen.push(...page.items);
        token = page.continue;
        pages++;
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen.map((o) => o.metadata?.name).sort(), names);
    });

    test('watch from a list resourceVersion sees ADDED, MODIFIED and DELETED in order', async () => {
      const group = unique('watch');
      const sel = `skiff.io/contract-group=${group}`;
      const listed = await client.list(CONFIGMAPS, ns, { labelSelector: sel });
      const w = startWatch(client, ns, { resourceVersion: listed.resourceVersion, labelSelector: sel });
      const n = `${group}-a`;
      const created = await client.create(CONFIGMAPS, configMap(n, { v: '1' }, { 'skiff.io/contract-group': group }));
      const updated = await client.update(CONFIGMAPS, { ...created, data: { v: '2' } });
      await client.delete(CONFIGMAPS, ns, n);
      await w.waitFor((evs) => evs.length >= 3);
      w.stop();
      assert.equal(await w.done, undefined);
      assert.deepEqual(
        w.events.map((e) => [e.type, e.object.metadata?.name, e.object.data]),
        [
          ['ADDED', n, { v: '1' }],
          ['MODIFIED', n, { v: '2' }],
          ['DELETED', n, { v: '2' }],
        ],
      );
      assert.equal(w.events[0]!.object.metadata?.resourceVersion, created.metadata?.resourceVersion);
      assert.equal(w.events[1]!.object.metadata?.resourceVersion, updated.metadata?.resourceVersion);
      assert.ok(Number(w.events[2]!.object.metadata?.resourceVersion) > Number(updated.metadata?.resourceVersion));
    });

    test('watch from an older resourceVersion replays the changes after it', async () => {
      const group = unique('replay');
      const n = `${group}-a`;
      const created = await client.create(CONFIGMAPS, configMap(n, { v: '1' }, { 'skiff.io/contract-group': group }));
      await client.update(CONFIGMAPS, { ...created, data: { v: '2' } });
      await client.update(CONFIGMAPS, { ...created, metadata: { ...created.metadata, resourceVersion: undefined }, data: { v: '3' } });
      const w = startWatch(client, ns, { resourceVersion: created.metadata?.resourceVersion, labelSelector: `skiff.io/contract-group=${group}` });
      await w.waitFor((evs) => evs.length >= 2);
      w.stop();
      await w.done;
      assert.deepEqual(
        w.events.map((e) => [e.type, e.object.data]),
        [
          ['MODIFIED', { v: '2' }],
          ['MODIFIED', { v: '3' }],
        ],
      );
    });

    test('watch without a resourceVersion starts with the current state as ADDED', async () => {
      const group = unique('initial');
      const names = [`${group}-a`, `${group}-b`];
      for (const n of names) await client.create(CONFIGMAPS, configMap(n, {}, { 'skiff.io/contract-group': group }));
      const w = startWatch(client, ns, { labelSelector: `skiff.io/contract-group=${group}` });
      await w.waitFor((evs) => evs.length >= 2);
      w.stop();
      await w.done;
      assert.deepEqual(w.events.map((e) => e.type), ['ADDED', 'ADDED']);
      assert.deepEqual(w.events.map((e) => e.object.metadata?.name).sort(), names);
    });

    test('a watch with a label selector sees an object leaving the selection as DELETED', async () => {
      const group = unique('leave');
      const n = `${group}-a`;
      const sel = `skiff.io/contract-group=${group},phase=in`;
      const listed = await client.list(CONFIGMAPS, ns, { labelSelector: sel });
      const w = startWatch(client, ns, { resourceVersion: listed.resourceVersion, labelSelector: sel });
      const created = await client.create(CONFIGMAPS, configMap(n, {}, { 'skiff.io/contract-group': group, phase: 'in' }));
      await client.update(CONFIGMAPS, { ...created, metadata: { ...created.metadata, labels: { ...runLabel, 'skiff.io/contract-group': group, phase: 'out' } } });
      await w.waitFor((evs) => evs.length >= 2);
      w.stop();
      await w.done;
      assert.deepEqual(w.events.map((e) => e.type), ['ADDED', 'DELETED']);
    });

    test('a watch resolves when its signal aborts', async () => {
      const w = startWatch(client, ns, { labelSelector: `skiff.io/contract-group=${unique('abort')}` });
      w.stop();
      assert.equal(await w.done, undefined);
      const aborted = new AbortController();
      aborted.abort();
      assert.equal(await client.watch(CONFIGMAPS, ns, {}, () => assert.fail('no events after abort'), aborted.signal), undefined);
    });

    test('a resourceVersion older than the compacted history is 410 Gone', async (t) => {
      if (!target.compact) return t.skip('no compact hook');
      const n = unique('gone');
      const created = await client.create(CONFIGMAPS, configMap(n, { v: '1' }));
      await client.update(CONFIGMAPS, { ...created, data: { v: '2' } });
      await client.update(CONFIGMAPS, { ...created, metadata: { ...created.metadata, resourceVersion: undefined }, data: { v: '3' } });
      await target.compact();
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), WAIT_MS);
      try {
        await assert.rejects(client.watch(CONFIGMAPS, ns, { resourceVersion: created.metadata?.resourceVersion }, () => undefined, ac.signal), (e: unknown) => {
          assert.ok(isGone(e), `expected 410 Gone, got ${String(e)}`);
          assert.ok(isApiError(e) && e.code === 410);
          return true;
        });
      } finally {
        clearTimeout(timer);
        ac.abort();
      }
    });

    test('delete honours uid and resourceVersion preconditions', async () => {
      const n = unique('precond');
      const created = await client.create(CONFIGMAPS, configMap(n));
      await assert.rejects(client.delete(CONFIGMAPS, ns, n, { preconditions: { uid: 'not-the-uid' } }), (e: unknown) => isConflict(e));
      await assert.rejects(client.delete(CONFIGMAPS, ns, n, { preconditions: { resourceVersion: '1' } }), (e: unknown) => isConflict(e));
      await client.delete(CONFIGMAPS, ns, n, { preconditions: { uid: created.metadata?.uid, resourceVersion: created.metadata?.resourceVersion } });
      await assert.rejects(client.get(CONFIGMAPS, ns, n), (e: unknown) => isNotFound(e));
    });

    test('deleteCollection deletes what the selector selects, and only that', async () => {
      const group = unique('dc');
      await client.create(CONFIGMAPS, configMap(`${group}-a`, {}, { 'skiff.io/contract-group': group, drop: 'yes' }));
      await client.create(CONFIGMAPS, configMap(`${group}-b`, {}, { 'skiff.io/contract-group': group, drop: 'yes' }));
      await client.create(CONFIGMAPS, configMap(`${group}-c`, {}, { 'skiff.io/contract-group': group, drop: 'no' }));
      await client.deleteCollection(CONFIGMAPS, ns, { labelSelector: `skiff.io/contract-group=${group},drop=yes` });
      const left = await client.list(CONFIGMAPS, ns, { labelSelector: `skiff.io/contract-group=${group}` });
      assert.deepEqual(left.items.map((o) => o.metadata?.name), [`${group}-c`]);
    });

    test('bind assigns a pod to a node once', async () => {
      const n = unique('bind');
      await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: ns, labels: runLabel }, spec: podSpec() });
      await client.bind(ns, n, 'contract-node-a');
      const pod = await client.get(PODS, ns, n);
      assert.equal((pod.spec as { nodeName?: string }).nodeName, 'contract-node-a');
      await assert.rejects(client.bind(ns, n, 'contract-node-b'), (e: unknown) => isConflict(e));
      await assert.rejects(client.bind(ns, `${n}-missing`, 'contract-node-a'), (e: unknown) => isNotFound(e));
      await client.delete(PODS, ns, n, { gracePeriodSeconds: 0 });
    });

    test('the scale subresource reads and writes spec.replicas', async () => {
      const n = unique('scale');
      const labels = { ...runLabel, 'skiff.io/contract-rs': n };
      await client.create(REPLICASETS, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: n, namespace: ns, labels },
        spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec() } },
      });
      const s0 = await client.getScale(REPLICASETS, ns, n);
      assert.equal(s0.kind, 'Scale');
      assert.equal(s0.spec.replicas, 0);
      const s1 = await client.updateScale(REPLICASETS, ns, n, 2);
      assert.equal(s1.spec.replicas, 2);
      const rs = await client.get(REPLICASETS, ns, n);
      assert.equal((rs.spec as { replicas?: number }).replicas, 2);
      await assert.rejects(client.updateScale(REPLICASETS, ns, n, 0, { resourceVersion: s0.metadata.resourceVersion }), (e: unknown) => isConflict(e));
      await client.updateScale(REPLICASETS, ns, n, 0);
      await client.delete(REPLICASETS, ns, n, { propagationPolicy: 'Background' });
    });
  });
}

interface RunningWatch {
  readonly events: WatchEvent[];
  readonly done: Promise<void>;
  waitFor(pred: (events: readonly WatchEvent[]) => boolean): Promise<void>;
  stop(): void;
}

function startWatch(client: Client, ns: string, opts: WatchOptions): RunningWatch {
  const events: WatchEvent[] = [];
  const ac = new AbortController();
  let failure: unknown;
  const done = client.watch(CONFIGMAPS, ns, opts, (e) => {
    if (e.type !== 'BOOKMARK') events.push(e);
  }, ac.signal);
  done.catch((e: unknown) => (failure = e));
  return {
    events,
    done,
    stop: () => ac.abort(),
    async waitFor(pred) {
      const deadline = Date.now() + WAIT_MS;
      while (!pred(events)) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) {
          ac.abort();
          assert.fail(`watch: condition not met within ${WAIT_MS}ms; events: ${JSON.stringify(events.map((e) => [e.type, e.object.metadata?.name]))}`);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
}

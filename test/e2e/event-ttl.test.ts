// Events live --event-ttl after their last write, as with kube-apiserver's --event-ttl: a real
// `skiff server --event-ttl 3s` and the real kubectl. An Event written again lives on from then.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { kubectl, kubectlOk, manifest, startSkiff, type Skiff } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function eventYaml(name: string, message: string): string {
  return `apiVersion: v1
kind: Event
metadata:
  name: ${name}
  namespace: default
involvedObject:
  kind: Pod
  name: some-pod
  namespace: default
reason: Testing
message: ${message}
type: Normal
source:
  component: e2e
`;
}

describe('--event-ttl', () => {
  let s: Skiff;
  before(async () => {
    s = await startSkiff({ args: ['--storage', 'memory', '--event-ttl', '3s'] });
  });
  after(async () => {
    await s?.destroy();
  });
  const exists = async (name: string, resource = 'events') => (await kubectl(s, ['get', resource, name, '-o', 'name'])).code === 0;

  it('deletes an Event 3 s after its last write, in both Event APIs; a rewrite keeps it 3 s more', async () => {
    const t0 = Date.now();
    await kubectlOk(s, ['create', '-f', manifest(s, 'ev-a.yaml', eventYaml('ev-a', 'first'))]);
    await kubectlOk(s, ['create', '-f', manifest(s, 'ev-b.yaml', eventYaml('ev-b', 'first'))]);
    assert.ok(await exists('ev-a'));
    assert.ok(await exists('ev-a', 'events.events.k8s.io'));

    await sleep(2_000);
    await kubectlOk(s, ['patch', 'event', 'ev-b', '--type=merge', '-p', '{"message":"again","count":2}']);
    const rewritten = Date.now();

    // ev-a goes between 3 s and 3 s + a sweep (1 s) + slack after it was written
    while (await exists('ev-a')) {
      assert.ok(Date.now() - t0 < 8_000, 'ev-a still there 8 s after it was written');
      await sleep(200);
    }
    assert.ok(Date.now() - t0 >= 2_900, `ev-a went ${Date.now() - t0} ms after it was written, before its 3 s`);
    assert.ok(!(await exists('ev-a', 'events.events.k8s.io')));
    // (with a margin: the rewrite was written a little before `rewritten`)
    assert.ok(Date.now() - rewritten < 2_500 ? await exists('ev-b') : true, 'ev-b lives 3 s from its rewrite');

    while (await exists('ev-b')) {
      assert.ok(Date.now() - rewritten < 8_000, 'ev-b still there 8 s after its rewrite');
      await sleep(200);
    }
    assert.ok(Date.now() - rewritten >= 2_900, `ev-b went ${Date.now() - rewritten} ms after its rewrite`);
  });
});

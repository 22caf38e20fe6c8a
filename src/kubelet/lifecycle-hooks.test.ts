import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../client/fake-clock.js';
import type { Runtime } from '../runtime/runtime.js';
import { runLifecycleHandler } from './lifecycle-hooks.js';

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'c' }] } };
const target = { pod, container: { name: 'c' }, containerId: 'id1', podIP: '127.0.0.1' };

test('httpGet hooks against a real local server: success, and the failure message', async (t) => {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(req.url === '/fail' ? 500 : 200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const signal = new AbortController().signal;
  assert.deepEqual(await runLifecycleHandler({ httpGet: { port, path: '/shutdown' } }, target, {} as Runtime, signal), { ok: true, message: '' });
  assert.deepEqual(await runLifecycleHandler({ httpGet: { port, path: '/fail' } }, target, {} as Runtime, signal), {
    ok: false,
    message: 'HTTP lifecycle hook (/fail) for Container "c" in Pod "p_ns(u1)" failed - error: HTTP probe failed with statuscode: 500',
  });
  assert.deepEqual(paths, ['/shutdown', '/fail']);
});

test('exec hooks go through runtime.exec; sleep hooks wait on the clock and end early on abort', async () => {
  const rt = { exec: async (_id: string, cmd: readonly string[]) => (cmd[0] === 'false' ? 2 : 0) } as unknown as Runtime;
  const signal = new AbortController().signal;
  assert.equal((await runLifecycleHandler({ exec: { command: ['true'] } }, target, rt, signal)).ok, true);
  const r = await runLifecycleHandler({ exec: { command: ['false', 'x'] } }, target, rt, signal);
  assert.equal(r.message, `Exec lifecycle hook ([false x]) for Container "c" in Pod "p_ns(u1)" failed - error: command 'false x' exited with 2: , message: ""`);

  const clock = new FakeClock();
  let done = false;
  const p = runLifecycleHandler({ sleep: { seconds: 5 } }, target, rt, signal, clock).then(() => (done = true));
  await clock.advance(4_999);
  assert.equal(done, false);
  await clock.advance(1);
  await p;
  const ac = new AbortController();
  const q = runLifecycleHandler({ sleep: { seconds: 60 } }, target, rt, ac.signal, clock);
  ac.abort();
  assert.equal((await q).ok, true);
  assert.equal(clock.pending(), 0);
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FakeClock } from '../client/fake-clock.js';
import type { Runtime } from '../runtime/runtime.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { Pleg } from './pleg.js';

/** The simulated runtime without its events, as a runtime the kubelet must poll. */
function polled(rt: SimulatedRuntime): Runtime {
  return new Proxy(rt, {
    get(target, prop) {
      if (prop === 'onContainerEvent') return undefined;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function podWithContainer(rt: SimulatedRuntime, uid: string): Promise<string> {
  const sb = await rt.runPodSandbox({ metadata: { name: uid, namespace: 'default', uid, attempt: 0 }, hostname: uid, labels: {}, annotations: {}, hostNetwork: true });
  return rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: 'busybox', labels: {}, annotations: {} });
}

test('evented runtimes are subscribed to: every change names its pod', async () => {
  const clock = new FakeClock();
  const rt = new SimulatedRuntime({ clock });
  const seen: string[] = [];
  const pleg = new Pleg({ runtime: rt, clock, onPodChanged: (uid) => seen.push(uid), log: () => {} });
  pleg.start();
  const id = await podWithContainer(rt, 'u1');
  await rt.startContainer(id);
  assert.deepEqual(seen, ['u1', 'u1']);
  await pleg.stop();
  assert.equal(clock.pending(), 0);
});

test('other runtimes are relisted every second; changes, appearances and removals are reported once', async () => {
  const clock = new FakeClock();
  const rt = new SimulatedRuntime({ clock });
  const seen: string[] = [];
  const pleg = new Pleg({ runtime: polled(rt), clock, onPodChanged: (uid) => seen.push(uid), log: () => {} });
  pleg.start();
  const a = await podWithContainer(rt, 'a');
  await podWithContainer(rt, 'b');
  await clock.advance(1_000);
  assert.deepEqual(seen.sort(), ['a', 'b']);
  await clock.advance(1_000);
  assert.deepEqual(seen.sort(), ['a', 'b'], 'nothing changed');
  await rt.startContainer(a);
  await clock.advance(1_000);
  await rt.removeContainer(a);
  await clock.advance(1_000);
  assert.deepEqual(seen.sort(), ['a', 'a', 'a', 'b']);
  await pleg.stop();
  await rt.close();
  assert.equal(clock.pending(), 0);
});

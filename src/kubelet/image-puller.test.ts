import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../client/fake-clock.js';
import type { ImageInfo } from '../runtime/runtime.js';
import { RuntimeError } from '../runtime/runtime.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { CrashBackoff } from './crash-backoff.js';
import { ImagePuller, pullPolicyOf } from './image-puller.js';

/** A node that has only the images it pulled, from a registry that knows only `known`. */
class Registry extends SimulatedRuntime {
  readonly present = new Set<string>();
  constructor(private readonly known: readonly string[]) {
    super();
  }
  override async imageStatus(image: string): Promise<ImageInfo | undefined> {
    return this.present.has(image) ? { id: `sha256:${image.length}`, repoTags: [image], repoDigests: [], size: 42 } : undefined;
  }
  override async pullImage(image: string): Promise<string> {
    if (!this.known.includes(image)) throw new RuntimeError('ErrImagePull', `failed to resolve reference "docker.io/library/${image}": not found`);
    this.present.add(image);
    return `sha256:${image.length}`;
  }
}

const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [] } };

function setup(known: string[]) {
  const clock = new FakeClock();
  const runtime = new Registry(known);
  const events: string[] = [];
  const puller = new ImagePuller({ runtime, clock, backoff: new CrashBackoff(), event: (_p, type, reason, message) => events.push(`${type} ${reason}: ${message}`) });
  return { clock, runtime, events, puller };
}

test('pullPolicyOf defaults as Kubernetes: Always for latest or no tag, IfNotPresent otherwise', () => {
  const table: [Container, string][] = [
    [{ name: 'a', image: 'nginx' }, 'Always'],
    [{ name: 'a', image: 'nginx:latest' }, 'Always'],
    [{ name: 'a', image: 'nginx:1.25' }, 'IfNotPresent'],
    [{ name: 'a', image: 'localhost:5000/app' }, 'Always'],
    [{ name: 'a', image: 'localhost:5000/app:v1' }, 'IfNotPresent'],
    [{ name: 'a', image: 'nginx@sha256:abc' }, 'IfNotPresent'],
    [{ name: 'a', image: 'nginx', imagePullPolicy: 'Never' }, 'Never'],
  ];
  for (const [c, want] of table) assert.equal(pullPolicyOf(c), want, c.image);
});

test('IfNotPresent pulls once, then finds the image present; Never refuses a missing image', async () => {
  const { puller, events } = setup(['busybox:1.36']);
  assert.equal(await puller.ensure(pod, { name: 'a', image: 'busybox:1.36' }), 'sha256:12');
  await puller.ensure(pod, { name: 'a', image: 'busybox:1.36' });
  await assert.rejects(puller.ensure(pod, { name: 'a', image: 'other:1', imagePullPolicy: 'Never' }), (e: unknown) => e instanceof RuntimeError && e.reason === 'ErrImageNeverPull');
  assert.deepEqual(events, [
    'Normal Pulling: Pulling image "busybox:1.36"',
    'Normal Pulled: Successfully pulled image "busybox:1.36" in 0.000s (0.000s including waiting). Image size: 42 bytes.',
    'Normal Pulled: Container image "busybox:1.36" already present on machine',
    'Warning ErrImageNeverPull: Container image "other:1" is not present with pull policy of Never',
  ]);
});

test('a failed pull is ErrImagePull, then ImagePullBackOff until the back-off runs out', async () => {
  const { puller, events, clock } = setup([]);
  const reason = async () => puller.ensure(pod, { name: 'a', image: 'nope:1' }).then(() => 'ok', (e: RuntimeError) => e.reason);
  assert.equal(await reason(), 'ErrImagePull');
  assert.equal(await reason(), 'ImagePullBackOff');
  await clock.advance(10_000);
  assert.equal(await reason(), 'ErrImagePull');
  assert.ok(events.includes('Warning Failed: Failed to pull image "nope:1": failed to resolve reference "docker.io/library/nope:1": not found'));
  assert.ok(events.includes('Normal BackOff: Back-off pulling image "nope:1"'));
});

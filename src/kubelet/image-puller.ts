// Makes a container's image present before the container is created, as its imagePullPolicy says
// (Always; IfNotPresent; Never), with the kubelet's events (Pulling, Pulled, Failed, BackOff) and a
// back-off between failed pulls of the same image (ImagePullBackOff). On simulated nodes every
// image is taken as present ("already present on machine") whatever the policy.
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { credentialsFor } from './pull-secrets.js';
import type { Clock } from '../client/clock.js';
import type { Runtime } from '../runtime/runtime.js';
import { RuntimeError } from '../runtime/runtime.js';
import type { CrashBackoff } from './crash-backoff.js';

export type EventSink = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface ImagePullerOptions {
  readonly runtime: Runtime;
  readonly clock: Clock;
  readonly backoff: CrashBackoff;
  readonly event: EventSink;
  /** treat every image as present (simulated nodes) */
  readonly assumePresent?: boolean;
  /** the pod's imagePullSecrets, read when a pull is needed; absent: anonymous pulls */
  readonly pullSecrets?: (pod: Pod) => Promise<Secret[]>;
}

/** The policy Kubernetes defaults to: Always for `:latest` or untagged images, else IfNotPresent. */
export function pullPolicyOf(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  const p = c.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export class ImagePuller {
  constructor(private readonly opts: ImagePullerOptions) {}

  /**
   * Resolves the image id once present. Rejects with a RuntimeError whose reason is the container's
   * waiting reason: ErrImageNeverPull, ImagePullBackOff (still backing off) or ErrImagePull.
   */
  async ensure(pod: Pod, container: Container): Promise<string> {
    const { runtime, event } = this.opts;
    const image = container.image ?? '';
    if (this.opts.assumePresent) {
      event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return (await runtime.imageStatus(image))?.id ?? '';
    }
    const policy = pullPolicyOf(container);
    if (policy !== 'Always') {
      const present = await runtime.imageStatus(image);
      if (present) {
        event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return present.id;
      }
      if (policy === 'Never') {
        const msg = `Container image "${image}" is not present with pull policy of Never`;
        event(pod, 'Warning', 'ErrImageNeverPull', msg);
        throw new RuntimeError('ErrImageNeverPull', msg);
      }
    }
    const uid = pod.metadata?.uid ?? '';
    const key = `image:${image}`;
    const now = this.opts.clock.now();
    if (this.opts.backoff.remainingSinceLast(uid, key, now) > 0) {
      event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      throw new RuntimeError('ImagePullBackOff', `Back-off pulling image "${image}"`);
    }
    event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    try {
      const auth = this.opts.pullSecrets && pod.spec?.imagePullSecrets?.length ? credentialsFor(image, await this.opts.pullSecrets(pod)) : undefined;
      const id = await runtime.pullImage(image, auth ? { auth } : undefined);
      const secs = ((this.opts.clock.now() - now) / 1000).toFixed(3);
      const size = (await runtime.imageStatus(image))?.size ?? 0;
      event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${secs}s (${secs}s including waiting). Image size: ${size} bytes.`);
      this.opts.backoff.reset(uid, key);
      return id;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.opts.backoff.next(uid, key, this.opts.clock.now());
      event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      throw new RuntimeError('ErrImagePull', msg, { cause: e });
    }
  }
}

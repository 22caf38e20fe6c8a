// secret volumes: the Secret's keys (or the listed items) as files (default mode 0644 as
// Kubernetes), written atomically and refreshed on every pod sync. A missing Secret fails the
// mount (`secret "x" not found`) unless `optional`.
import type { SecretProjection, SecretVolumeSource, Volume } from 'kubernetes-types/core/v1.js';
import type { PodObjects } from '../pod-objects.js';
import { secretData } from '../pod-objects.js';
import type { PayloadFile } from './atomic-writer.js';
import { writeAtomically } from './atomic-writer.js';
import { keysToPayload } from './key-to-path.js';
import type { VolumeContext, VolumePlugin } from './volume-plugin.js';

export const SECRET_PLUGIN = 'kubernetes.io~secret';

/** The files of a secret source (volume: `secretName`; projection: `name`), added to `into`. */
export async function secretPayload(
  objects: PodObjects,
  namespace: string,
  name: string,
  source: SecretVolumeSource | SecretProjection,
  defaultMode: number | undefined,
  into?: Map<string, PayloadFile>,
): Promise<Map<string, PayloadFile>> {
  const secret = await objects.secret(namespace, name);
  const optional = source.optional === true;
  if (!secret) {
    if (optional) return into ?? new Map();
    throw new Error(`secret "${name}" not found`);
  }
  return keysToPayload('secret', secretData(secret), source.items, defaultMode, optional, into);
}

export const secretPlugin: VolumePlugin = {
  name: SECRET_PLUGIN,
  readOnly: true,
  canSupport: (v: Volume) => v.secret !== undefined,
  async setUp(ctx: VolumeContext): Promise<string> {
    const src = ctx.volume.secret!;
    await writeAtomically(ctx.dir, await secretPayload(ctx.objects, ctx.pod.metadata?.namespace ?? '', src.secretName ?? '', src, src.defaultMode));
    return ctx.dir;
  },
};

// configMap volumes: the ConfigMap's keys (or the listed items) as files, written atomically so
// updates show up in running containers (re-read on every pod sync). A missing ConfigMap fails
// the mount (`configmap "x" not found`) unless `optional`, which gives an empty directory.
import type { ConfigMapProjection, ConfigMapVolumeSource, Volume } from 'kubernetes-types/core/v1.js';
import type { PodObjects } from '../pod-objects.js';
import { configMapData } from '../pod-objects.js';
import type { PayloadFile } from './atomic-writer.js';
import { writeAtomically } from './atomic-writer.js';
import { keysToPayload } from './key-to-path.js';
import type { VolumeContext, VolumePlugin } from './volume-plugin.js';

export const CONFIG_MAP_PLUGIN = 'kubernetes.io~configmap';

/** The files of a configMap source (volume or projection), added to `into`. */
export async function configMapPayload(
  objects: PodObjects,
  namespace: string,
  source: ConfigMapVolumeSource | ConfigMapProjection,
  defaultMode: number | undefined,
  into?: Map<string, PayloadFile>,
): Promise<Map<string, PayloadFile>> {
  const name = source.name ?? '';
  const cm = await objects.configMap(namespace, name);
  const optional = source.optional === true;
  if (!cm) {
    if (optional) return into ?? new Map();
    throw new Error(`configmap "${name}" not found`);
  }
  return keysToPayload('configmap', configMapData(cm), source.items, defaultMode, optional, into);
}

export const configMapPlugin: VolumePlugin = {
  name: CONFIG_MAP_PLUGIN,
  readOnly: true,
  canSupport: (v: Volume) => v.configMap !== undefined,
  async setUp(ctx: VolumeContext): Promise<string> {
    const src = ctx.volume.configMap!;
    await writeAtomically(ctx.dir, await configMapPayload(ctx.objects, ctx.pod.metadata?.namespace ?? '', src, src.defaultMode));
    return ctx.dir;
  },
};

// downwardAPI volumes: pod fields (metadata.name/namespace/uid, metadata.labels and
// metadata.annotations as sorted `k="v"` lines, or one label/annotation) and container resources
// (resourceFieldRef with divisor) as files, written atomically so label and annotation changes
// show up (refreshed on every pod sync).
import type { DownwardAPIVolumeFile, Volume } from 'kubernetes-types/core/v1.js';
import { containerResourceValue, podFieldValue } from '../field-ref.js';
import type { PayloadFile } from './atomic-writer.js';
import { writeAtomically } from './atomic-writer.js';
import type { VolumeContext, VolumePlugin } from './volume-plugin.js';
import { fileMode } from './volume-plugin.js';

export const DOWNWARD_API_PLUGIN = 'kubernetes.io~downward-api';

/** The files of downwardAPI items, added to `into`. */
export function downwardAPIPayload(ctx: VolumeContext, items: readonly DownwardAPIVolumeFile[] | undefined, defaultMode: number | undefined, into: Map<string, PayloadFile> = new Map()): Map<string, PayloadFile> {
  const spec = ctx.pod.spec;
  for (const item of items ?? []) {
    let value: string;
    if (item.fieldRef) value = podFieldValue(ctx.pod, item.fieldRef.fieldPath, ctx.fields, true);
    else if (item.resourceFieldRef) {
      const ref = item.resourceFieldRef;
      const c = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].find((x) => x.name === ref.containerName);
      if (!c) throw new Error(`container ${ref.containerName ?? ''} not found in pod`);
      value = containerResourceValue(c, ref.resource, ref.divisor, ctx.allocatable);
    } else continue;
    into.set(item.path, { data: Buffer.from(value, 'utf8'), mode: fileMode(item.mode, defaultMode) });
  }
  return into;
}

export const downwardAPIPlugin: VolumePlugin = {
  name: DOWNWARD_API_PLUGIN,
  readOnly: true,
  canSupport: (v: Volume) => v.downwardAPI !== undefined,
  async setUp(ctx: VolumeContext): Promise<string> {
    const src = ctx.volume.downwardAPI!;
    await writeAtomically(ctx.dir, downwardAPIPayload(ctx, src.items, src.defaultMode));
    return ctx.dir;
  },
};

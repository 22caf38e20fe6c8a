// projected volumes: configMap, secret and downwardAPI sources merged into one directory (each
// source's items, its own modes or the volume's defaultMode), written atomically and refreshed on
// every pod sync. serviceAccountToken sources write nothing yet (skiff issues no bound tokens to
// pods; see README), clusterTrustBundle sources are not supported.
import type { Volume } from 'kubernetes-types/core/v1.js';
import type { PayloadFile } from './atomic-writer.js';
import { writeAtomically } from './atomic-writer.js';
import { configMapPayload } from './config-map.js';
import { downwardAPIPayload } from './downward-api.js';
import { secretPayload } from './secret.js';
import type { VolumeContext, VolumePlugin } from './volume-plugin.js';

export const PROJECTED_PLUGIN = 'kubernetes.io~projected';

export const projectedPlugin: VolumePlugin = {
  name: PROJECTED_PLUGIN,
  readOnly: true,
  canSupport: (v: Volume) => v.projected !== undefined,
  async setUp(ctx: VolumeContext): Promise<string> {
    const src = ctx.volume.projected!;
    const ns = ctx.pod.metadata?.namespace ?? '';
    const payload = new Map<string, PayloadFile>();
    for (const s of src.sources ?? []) {
      if (s.configMap) await configMapPayload(ctx.objects, ns, s.configMap, src.defaultMode, payload);
      else if (s.secret) await secretPayload(ctx.objects, ns, s.secret.name ?? '', s.secret, src.defaultMode, payload);
      else if (s.downwardAPI) downwardAPIPayload(ctx, s.downwardAPI.items, src.defaultMode, payload);
    }
    await writeAtomically(ctx.dir, payload);
    return ctx.dir;
  },
};

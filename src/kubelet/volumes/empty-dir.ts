// emptyDir volumes: a directory of the pod (mode 0777, as Kubernetes), or with medium Memory a
// tmpfs mounted on it (size = sizeLimit when given). Lives as long as the pod on the node; the
// VolumeManager unmounts and removes it with the pod directory.
import { chmod, mkdir } from 'node:fs/promises';
import type { Volume } from 'kubernetes-types/core/v1.js';
import { quantityToNumber } from '../../api/quantity.js';
import { isMountPoint, mountTmpfs } from './mounts.js';
import type { VolumeContext, VolumePlugin } from './volume-plugin.js';

export const EMPTY_DIR_PLUGIN = 'kubernetes.io~empty-dir';

export const emptyDirPlugin: VolumePlugin = {
  name: EMPTY_DIR_PLUGIN,
  canSupport: (v: Volume) => v.emptyDir !== undefined,
  async setUp(ctx: VolumeContext): Promise<string> {
    const src = ctx.volume.emptyDir!;
    await mkdir(ctx.dir, { recursive: true });
    if (src.medium === 'Memory') {
      if (!(await isMountPoint(ctx.dir))) {
        const size = src.sizeLimit !== undefined ? quantityToNumber(src.sizeLimit) : undefined;
        try {
          await mountTmpfs(ctx.dir, size);
        } catch (e) {
          const err = e as { stderr?: string; message?: string };
          throw new Error(`mount failed: ${(err.stderr ?? err.message ?? String(e)).trim()}`);
        }
      }
    } else if (src.medium && src.medium !== '') {
      throw new Error(`emptyDir medium ${JSON.stringify(src.medium)} is not supported (only "" and "Memory")`);
    } else {
      await chmod(ctx.dir, 0o777);
    }
    return ctx.dir;
  },
};

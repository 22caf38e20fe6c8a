// emptyDir volumes: a directory of the pod (mode 0777, as Kubernetes), or with medium Memory a
// tmpfs mounted on it, sized as Kubernetes sizes memory-backed volumes: the smallest of sizeLimit,
// the pod's memory limit (when every container has one) and the node's allocatable memory. Lives
// as long as the pod on the node; the VolumeManager unmounts and removes it with the pod directory.
import { chmod, mkdir } from 'node:fs/promises';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { quantityToNumber } from '../../api/quantity.js';
import { isMountPoint, mountTmpfs } from './mounts.js';
import type { VolumeContext, VolumePlugin } from './volume-plugin.js';

export const EMPTY_DIR_PLUGIN = 'kubernetes.io~empty-dir';

/** Bytes for a memory-backed emptyDir: min(sizeLimit, pod memory limit, allocatable memory); undefined when none is known. */
export function tmpfsSize(pod: Pod, sizeLimit: string | number | undefined, allocatableMemory: string | undefined): number | undefined {
  const candidates: number[] = [];
  if (sizeLimit !== undefined) candidates.push(quantityToNumber(sizeLimit));
  const apps = pod.spec?.containers ?? [];
  if (apps.length && apps.every((c) => c.resources?.limits?.memory !== undefined)) {
    const sum = apps.reduce((n, c) => n + quantityToNumber(c.resources!.limits!.memory), 0);
    const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map((c) => quantityToNumber(c.resources?.limits?.memory ?? 0)));
    candidates.push(Math.max(sum, init));
  }
  if (allocatableMemory !== undefined) candidates.push(quantityToNumber(allocatableMemory));
  const positive = candidates.filter((n) => n > 0);
  return positive.length ? Math.min(...positive) : undefined;
}

export const emptyDirPlugin: VolumePlugin = {
  name: EMPTY_DIR_PLUGIN,
  canSupport: (v: Volume) => v.emptyDir !== undefined,
  async setUp(ctx: VolumeContext): Promise<string> {
    const src = ctx.volume.emptyDir!;
    await mkdir(ctx.dir, { recursive: true });
    if (src.medium === 'Memory') {
      if (!(await isMountPoint(ctx.dir))) {
        const size = tmpfsSize(ctx.pod, src.sizeLimit, ctx.allocatable.memory);
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

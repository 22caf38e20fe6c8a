// hostPath volumes: a path of the node mounted as it is, after Kubernetes' type check:
//   "" (no check), DirectoryOrCreate (made 0755 when missing), Directory, FileOrCreate (an empty
//   0644 file made when missing; its parent must exist), File, Socket, CharDevice, BlockDevice.
// Messages as Kubernetes': `hostPath type check failed: /x is not a directory`.
import { lstat, mkdir, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Volume } from 'kubernetes-types/core/v1.js';
import type { VolumeContext, VolumePlugin } from './volume-plugin.js';

export const HOST_PATH_PLUGIN = 'kubernetes.io~host-path';

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}

/** Checks (and for the *OrCreate types makes) `path` as `type` says; throws with Kubernetes' message. */
export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  const fail = (what: string): never => {
    throw new Error(`hostPath type check failed: ${path} is not ${what}`);
  };
  let st = await statOrUndefined(path);
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('a directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('a directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        try {
          await writeFile(path, '', { mode: 0o644, flag: 'wx' });
        } catch (e) {
          throw new Error(`hostPath type check failed: ${path}: ${e instanceof Error ? e.message : String(e)}`);
        }
        st = await lstat(path);
      }
      if (!st.isFile()) fail('a file');
      return;
    case 'File':
      if (!st?.isFile()) fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('a block device');
      return;
    default:
      throw new Error(`hostPath type check failed: unknown type ${JSON.stringify(type)}`);
  }
}

export const hostPathPlugin: VolumePlugin = {
  name: HOST_PATH_PLUGIN,
  canSupport: (v: Volume) => v.hostPath !== undefined,
  async setUp(ctx: VolumeContext): Promise<string> {
    const src = ctx.volume.hostPath!;
    await checkHostPathType(src.path, src.type);
    return src.path;
  },
};

// Test-only: a one-image image provider whose rootfs is built from the node's static busybox
// (/bin/busybox plus a symlink per applet, an /etc/passwd with root and nobody). Real files, no
// registry.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageProvider, RuntimeImage, RuntimeImageConfig } from '../deps.js';

export const BUSYBOX_BINARY = '/bin/busybox';
export const BUSYBOX_IMAGE_ID = `sha256:${'b'.repeat(64)}`;
export const BUSYBOX_IMAGE_NAME = 'docker.io/library/busybox:latest';

/** Writes a busybox root filesystem into `dir` (which must not exist yet). */
export function buildBusyboxRootfs(dir: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'var/www']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX_BINARY, join(dir, 'bin', 'busybox'));
  const applets = execFileSync(BUSYBOX_BINARY, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) if (!existsSync(join(dir, 'bin', a))) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** An ImageProvider holding just the busybox image at `rootfs` (pull of anything else fails with ErrImagePull). */
export function busyboxImages(rootfs: string, config: RuntimeImageConfig = { cmd: ['sh'], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] }): ImageProvider {
  const image: RuntimeImage = { id: BUSYBOX_IMAGE_ID, repoTags: [BUSYBOX_IMAGE_NAME], repoDigests: [], size: 1, config };
  const matches = (ref: string): boolean => ['busybox', 'busybox:latest', BUSYBOX_IMAGE_NAME, BUSYBOX_IMAGE_ID].includes(ref);
  return {
    resolve: (ref) => (matches(ref) ? image : undefined),
    rootfsPath: (id) => {
      if (id !== BUSYBOX_IMAGE_ID) throw new Error(`unknown image ${id}`);
      return rootfs;
    },
    pull: async (ref) => {
      if (matches(ref)) return image;
      throw Object.assign(new Error(`pull access denied for ${ref}`), { reason: 'ErrImagePull' });
    },
  };
}

// Builds a small image from Debian's static busybox: one layer with /bin/busybox, a symlink per
// applet, /etc/passwd and /etc/group (root, nobody), /tmp (1777), /root and /var/www; Cmd ["sh"].
// Tagged docker.io/library/busybox:<busybox version> and :latest. The archive is reproducible
// (fixed times, sorted entries), so the same busybox always gives the same image id.
// Used by `npm run image:busybox` (scripts/build-busybox-image.mjs) and by tests.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { buildImage, tarBuffer, writeDockerArchive, writeOciArchive, type BuiltImage, type TarFile } from './archive-writer.js';

export const DEFAULT_BUSYBOX = '/bin/busybox';
export const BUSYBOX_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BusyboxImageOptions {
  /** the static busybox binary (default /bin/busybox) */
  readonly busybox?: string;
  readonly architecture?: string;
  /** 'docker' for docker-save archives (uncompressed layer), 'oci' (gzip layer) */
  readonly format?: 'docker' | 'oci';
}

/** "1.35.0", from the first line of `busybox --help`. */
export function busyboxVersion(busybox = DEFAULT_BUSYBOX): string {
  const out = execFileSync(busybox, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = /BusyBox v(\d+(?:\.\d+)*)/.exec(out);
  if (!m) throw new Error(`${busybox} --help: no "BusyBox vX.Y.Z" in its first line`);
  return m[1];
}

/** The uncompressed layer tar. */
export async function busyboxLayer(busybox = DEFAULT_BUSYBOX): Promise<Buffer> {
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox');
  const dirs = new Set(['bin', 'etc', 'root', 'tmp', 'var', 'var/www']);
  for (const a of applets) for (let d = posix.dirname(a); d !== '.'; d = posix.dirname(d)) dirs.add(d);
  const dirModes: Record<string, number> = { root: 0o700, tmp: 0o1777 };
  const files: TarFile[] = [
    ...[...dirs].sort().map((d): TarFile => ({ name: `${d}/`, type: 'directory', mode: dirModes[d] ?? 0o755 })),
    { name: 'bin/busybox', content: readFileSync(busybox), mode: 0o755 },
    { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { name: 'etc/group', content: 'root:x:0:\nnobody:x:65534:\n' },
    ...[...new Set(applets)].sort().map((a): TarFile => ({ name: a, type: 'symlink', linkname: '/bin/busybox' })),
  ];
  return tarBuffer(files);
}

export async function buildBusyboxImage(opts: BusyboxImageOptions = {}): Promise<{ image: BuiltImage; tags: string[] }> {
  const busybox = opts.busybox ?? DEFAULT_BUSYBOX;
  const docker = (opts.format ?? 'docker') === 'docker';
  const image = buildImage({
    layers: [await busyboxLayer(busybox)],
    config: { Env: [BUSYBOX_PATH_ENV], Cmd: ['sh'] },
    architecture: opts.architecture ?? 'amd64',
    mediaTypes: docker ? 'docker' : 'oci',
    gzip: !docker,
  });
  const version = busyboxVersion(busybox);
  return { image, tags: [`docker.io/library/busybox:${version}`, 'docker.io/library/busybox:latest'] };
}

/** Writes the archive to `out`; returns the tags and the image id (config digest). */
export async function writeBusyboxArchive(out: string, opts: BusyboxImageOptions & { gzip?: boolean } = {}): Promise<{ tags: string[]; id: string }> {
  const { image, tags } = await buildBusyboxImage(opts);
  if ((opts.format ?? 'docker') === 'docker') {
    // docker save writes familiar names
    await writeDockerArchive(out, [{ image, tags: tags.map((t) => t.replace(/^docker\.io\/library\//, '')) }], { gzip: opts.gzip });
  } else {
    await writeOciArchive(out, [{ image, tags }], { gzip: opts.gzip });
  }
  return { tags, id: image.config.digest };
}

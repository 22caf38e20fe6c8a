// Writes image archives: `docker save` format (manifest.json + repositories + one directory per
// layer) and OCI image layouts (oci-layout, index.json, blobs/sha256/...), as tar files, gzipped
// on request. Used by the busybox builder and by tests; images come from buildImage().
import { randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { sha256Digest } from './blob-store.js';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_LAYER_GZIP, OCI_MANIFEST, type Descriptor } from './media-types.js';
import { normalizeImageRef } from './reference.js';

export interface TarFile {
  readonly name: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link';
  readonly content?: string | Uint8Array;
  readonly mode?: number;
  readonly linkname?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: Date;
}

const EPOCH = new Date(0);

/** A tar (ustar/pax) holding `files` in the order given. */
export async function tarBuffer(files: readonly TarFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const f of files) {
    const type = f.type ?? 'file';
    const content = f.content === undefined ? (type === 'file' ? Buffer.alloc(0) : undefined) : Buffer.from(f.content);
    const mode = f.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644);
    const header = { name: f.name, type, mode, uid: f.uid ?? 0, gid: f.gid ?? 0, mtime: f.mtime ?? EPOCH, ...(f.linkname !== undefined ? { linkname: f.linkname } : {}) };
    if (content) pack.entry(header, content);
    else pack.entry({ ...header, size: 0 });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

export interface ImageSpec {
  /** uncompressed layer tars, bottom first */
  readonly layers: readonly Buffer[];
  /** the image config's `config` (Cmd, Env, ...) */
  readonly config: Record<string, unknown>;
  readonly architecture?: string;
  readonly os?: string;
  /** 'oci' (default) or 'docker' media types */
  readonly mediaTypes?: 'oci' | 'docker';
  /** gzip the layer blobs (default true) */
  readonly gzip?: boolean;
  readonly created?: string;
}

export interface BuiltBlob {
  readonly digest: string;
  readonly mediaType: string;
  readonly data: Buffer;
}

/** An image as a registry holds it: config, layer blobs and the manifest, all content-addressed. */
export interface BuiltImage {
  readonly config: BuiltBlob;
  readonly layers: readonly (BuiltBlob & { readonly diffId: string })[];
  readonly manifest: BuiltBlob;
  readonly architecture: string;
  readonly os: string;
}

export function buildImage(spec: ImageSpec): BuiltImage {
  const docker = spec.mediaTypes === 'docker';
  const gzip = spec.gzip ?? true;
  const layers = spec.layers.map((tarData) => {
    const data = gzip ? gzipSync(tarData) : tarData;
    const mediaType = docker ? (gzip ? DOCKER_LAYER_GZIP : DOCKER_LAYER) : gzip ? OCI_LAYER_GZIP : OCI_LAYER;
    return { data, digest: sha256Digest(data), diffId: sha256Digest(tarData), mediaType };
  });
  const architecture = spec.architecture ?? 'amd64';
  const os = spec.os ?? 'linux';
  const created = spec.created ?? EPOCH.toISOString();
  const configJson = {
    created,
    architecture,
    os,
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created, created_by: 'skiff archive-writer' })),
  };
  const configData = Buffer.from(JSON.stringify(configJson));
  const config = { data: configData, digest: sha256Digest(configData), mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG };
  const descriptor = (b: BuiltBlob): Descriptor => ({ mediaType: b.mediaType, digest: b.digest, size: b.data.length });
  const manifestJson = { schemaVersion: 2, mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST, config: descriptor(config), layers: layers.map(descriptor) };
  const manifestData = Buffer.from(JSON.stringify(manifestJson));
  return { config, layers, manifest: { data: manifestData, digest: sha256Digest(manifestData), mediaType: manifestJson.mediaType }, architecture, os };
}

export interface ArchiveImage {
  readonly image: BuiltImage;
  /** names as `docker save` writes them ('busybox:latest') or full ('docker.io/library/busybox:latest') */
  readonly tags: readonly string[];
}

export interface WriteArchiveOptions {
  /** gzip the whole archive */
  readonly gzip?: boolean;
}

/** `docker save` format: manifest.json, repositories, <config hex>.json and <layer id>/layer.tar (layers as given). */
export async function writeDockerArchive(out: string, images: readonly ArchiveImage[], opts: WriteArchiveOptions = {}): Promise<void> {
  const files: TarFile[] = [];
  const seen = new Set<string>();
  const manifest: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, tags } of images) {
    const layerPaths: string[] = [];
    for (const l of image.layers) {
      const id = l.digest.slice('sha256:'.length);
      const path = `${id}/layer.tar`;
      layerPaths.push(path);
      if (seen.has(path)) continue;
      seen.add(path);
      files.push({ name: `${id}/`, type: 'directory' }, { name: `${id}/VERSION`, content: '1.0' }, { name: `${id}/json`, content: JSON.stringify({ id }) }, { name: path, content: l.data });
    }
    const configPath = `${image.config.digest.slice('sha256:'.length)}.json`;
    if (!seen.has(configPath)) files.push({ name: configPath, content: image.config.data });
    seen.add(configPath);
    manifest.push({ Config: configPath, RepoTags: tags, Layers: layerPaths });
    const top = layerPaths.at(-1)?.split('/')[0] ?? '';
    for (const t of tags) {
      const r = normalizeImageRef(t);
      const tag = r.tag ?? 'latest';
      const repoName = t.endsWith(`:${tag}`) ? t.slice(0, -tag.length - 1) : r.repo;
      (repositories[repoName] ??= {})[tag] = top;
    }
  }
  files.push({ name: 'manifest.json', content: JSON.stringify(manifest) }, { name: 'repositories', content: JSON.stringify(repositories) });
  await writeTarFile(out, files, opts);
}

/** OCI image layout: one index.json entry per tag, annotated as containerd's export does. */
export async function writeOciArchive(out: string, images: readonly ArchiveImage[], opts: WriteArchiveOptions = {}): Promise<void> {
  const files: TarFile[] = [{ name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) }, { name: 'blobs/', type: 'directory' }, { name: 'blobs/sha256/', type: 'directory' }];
  const seen = new Set<string>();
  const manifests: Descriptor[] = [];
  for (const { image, tags } of images) {
    for (const b of [image.config, ...image.layers, image.manifest]) {
      if (seen.has(b.digest)) continue;
      seen.add(b.digest);
      files.push({ name: `blobs/sha256/${b.digest.slice('sha256:'.length)}`, content: b.data });
    }
    const d = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.data.length };
    if (tags.length === 0) manifests.push(d);
    for (const t of tags) {
      const r = normalizeImageRef(t);
      manifests.push({ ...d, annotations: { [ANNOTATION_CONTAINERD_NAME]: r.name, [ANNOTATION_REF_NAME]: r.tag ?? r.name } });
    }
  }
  files.push({ name: 'index.json', content: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }) });
  await writeTarFile(out, files, opts);
}

async function writeTarFile(out: string, files: readonly TarFile[], opts: WriteArchiveOptions): Promise<void> {
  const data = await tarBuffer(files);
  const tmp = `${out}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const sink = createWriteStream(tmp, { flush: true });
    if (opts.gzip) await pipeline([data], createGzip(), sink);
    else await pipeline([data], sink);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
}

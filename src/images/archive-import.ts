// Reads image archives into the blob store: `docker save` archives (manifest.json, repositories,
// layer tars; also Docker 25+'s OCI-shaped ones) and OCI image layouts (oci-layout, index.json,
// blobs/sha256/...), gzipped or not, with any number of images. One pass over the archive: every
// file becomes a verified blob (files under blobs/sha256/ must hash to their name), then the
// manifests say which blobs make which image. Pure reading: the store registers the result.
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type { BlobStore } from './blob-store.js';
import { ImageError } from './errors.js';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, INDEX_TYPES, type Descriptor, type ImageIndex, type ImageManifest, type OciImageConfig } from './media-types.js';
import { choosePlatform } from './platform.js';
import { normalizeImageRef } from './reference.js';
import { decompressor, fileCompression, forEachTarEntry, readEntry } from './tar-entries.js';

/** An image found in an archive or a registry, its blobs already in the blob store. */
export interface ImageCandidate {
  readonly configDigest: string;
  readonly layers: readonly { readonly digest: string; readonly size: number; readonly diffId: string }[];
  /** every blob the image owns (config, layers, manifests) */
  readonly blobs: readonly string[];
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
}

export interface ArchiveContents {
  readonly images: readonly ImageCandidate[];
  /** blobs this import added to the store (the caller removes those no image references) */
  readonly added: readonly string[];
}

const SMALL_FILES = new Set(['manifest.json', 'repositories', 'index.json', 'oci-layout']);
const OCI_BLOB = /^blobs\/sha256\/([0-9a-f]{64})$/;

export async function readImageArchive(file: string, blobs: BlobStore, signal?: AbortSignal): Promise<ArchiveContents> {
  const small = new Map<string, Buffer>();
  const byName = new Map<string, string>(); // archive path → blob digest
  const links = new Map<string, string>(); // archive path → archive path it links to
  const added: string[] = [];
  const what = `image archive ${file}`;
  const gunzip = decompressor(fileCompression(file), what);
  const source = createReadStream(file);
  try {
    await forEachTarEntry(gunzip ? [source, gunzip] : [source], async (h, content) => {
      signal?.throwIfAborted();
      const name = posix.normalize(h.name).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      if (h.type === 'symlink') links.set(name, posix.normalize(posix.join(posix.dirname(name), h.linkname)));
      else if (h.type === 'link') links.set(name, posix.normalize(h.linkname).replace(/^(\.\/)+/, ''));
      if (h.type !== 'file' && h.type !== 'contiguous-file') return;
      if (SMALL_FILES.has(name)) {
        small.set(name, await readEntry(content));
        return;
      }
      const m = OCI_BLOB.exec(name);
      const existed = m ? blobs.has(`sha256:${m[1]}`) : false;
      const { digest } = existed ? { digest: `sha256:${m?.[1]}` } : await blobs.write(content, m ? `sha256:${m[1]}` : undefined, signal);
      if (!existed) added.push(digest);
      byName.set(name, digest);
    });
  } catch (e) {
    for (const d of added) blobs.remove(d);
    if (e instanceof ImageError && e.reason === 'DigestMismatch') throw new ImageError('DigestMismatch', `${what}: ${e.message}`, { cause: e });
    throw e;
  }
  const blobOf = (path: string): string => {
    let p = posix.normalize(path).replace(/^(\.\/)+/, '');
    for (let i = 0; i < 10 && !byName.has(p) && links.has(p); i++) p = links.get(p) as string;
    const d = byName.get(p);
    if (d === undefined) throw new ImageError('ImageInspectError', `${what}: "${path}" is named by the archive's manifest but not in the archive`);
    return d;
  };
  try {
    let images: ImageCandidate[];
    if (small.has('manifest.json')) images = dockerImages(parseJson(small.get('manifest.json') as Buffer, `${what}: manifest.json`), blobOf, blobs, what);
    else if (small.has('index.json')) images = ociImages(parseJson(small.get('index.json') as Buffer, `${what}: index.json`), blobs, what);
    else throw new ImageError('ImageInspectError', `${what}: neither manifest.json (docker save) nor index.json (OCI layout) found`);
    return { images, added };
  } catch (e) {
    for (const d of added) blobs.remove(d);
    throw e;
  }
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function dockerImages(manifest: unknown, blobOf: (p: string) => string, blobs: BlobStore, what: string): ImageCandidate[] {
  if (!Array.isArray(manifest)) throw new ImageError('ImageInspectError', `${what}: manifest.json must be a JSON array`);
  return manifest.map((raw: unknown, i) => {
    const e = raw as DockerManifestEntry;
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new ImageError('ImageInspectError', `${what}: manifest.json[${i}] needs Config and Layers`);
    const configDigest = blobOf(e.Config);
    const config = parseJson(blobs.read(configDigest), `${what}: ${e.Config}`) as OciImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== e.Layers.length) {
      throw new ImageError('ImageInspectError', `${what}: ${e.Config} lists ${diffIds.length} diff_ids but manifest.json names ${e.Layers.length} layers`);
    }
    const layers = e.Layers.map((p, j) => {
      const digest = blobOf(p);
      return { digest, size: blobs.size(digest), diffId: diffIds[j] };
    });
    const repoTags = (e.RepoTags ?? []).map((t) => normalizeImageRef(t).name);
    return { configDigest, layers, blobs: [configDigest, ...layers.map((l) => l.digest)], repoTags, repoDigests: [] };
  });
}

function ociImages(index: unknown, blobs: BlobStore, what: string): ImageCandidate[] {
  const manifests = (index as ImageIndex)?.manifests;
  if (!Array.isArray(manifests)) throw new ImageError('ImageInspectError', `${what}: index.json has no manifests array`);
  const byDigest = new Map<string, { tags: Set<string>; digests: Set<string>; image: Omit<ImageCandidate, 'repoTags' | 'repoDigests'> }>();
  for (const d of manifests as Descriptor[]) {
    const name = imageName(d);
    const image = imageFromDescriptor(d, blobs, what);
    const entry = byDigest.get(image.configDigest) ?? { tags: new Set<string>(), digests: new Set<string>(), image };
    byDigest.set(image.configDigest, entry);
    if (name !== undefined) {
      const ref = normalizeImageRef(name);
      if (ref.tag !== undefined) entry.tags.add(`${ref.repo}:${ref.tag}`);
      entry.digests.add(`${ref.repo}@${d.digest}`);
    }
  }
  return [...byDigest.values()].map((e) => ({ ...e.image, repoTags: [...e.tags], repoDigests: [...e.digests] }));
}

/** The image name of an index.json entry: containerd's full name, else a ref.name that is a full reference (a bare tag names nothing). */
function imageName(d: Descriptor): string | undefined {
  const a = d.annotations ?? {};
  if (a[ANNOTATION_CONTAINERD_NAME]) return a[ANNOTATION_CONTAINERD_NAME];
  const ref = a[ANNOTATION_REF_NAME];
  if (ref && /[/:]/.test(ref)) return ref;
  return undefined;
}

function imageFromDescriptor(d: Descriptor, blobs: BlobStore, what: string): Omit<ImageCandidate, 'repoTags' | 'repoDigests'> {
  const owned: string[] = [];
  let desc = d;
  for (let depth = 0; INDEX_TYPES.includes(desc.mediaType); depth++) {
    if (depth > 4) throw new ImageError('ImageInspectError', `${what}: image indexes nested too deeply`);
    const idx = readBlobJson(blobs, desc.digest, what) as ImageIndex;
    owned.push(desc.digest);
    const chosen = choosePlatform(idx.manifests.filter((m) => blobs.has(m.digest)));
    if (!chosen) throw new ImageError('ImageInspectError', `${what}: index ${desc.digest} has no linux/amd64 image in the archive`);
    desc = chosen;
  }
  const manifest = readBlobJson(blobs, desc.digest, what) as ImageManifest;
  owned.push(desc.digest);
  return { ...imageFromManifest(manifest, blobs, what), blobs: [...owned, manifest.config.digest, ...manifest.layers.map((l) => l.digest)] };
}

/** Config digest and layers (with diff_ids from the config) of a manifest whose blobs are in the store. */
export function imageFromManifest(manifest: ImageManifest, blobs: BlobStore, what: string): { configDigest: string; layers: ImageCandidate['layers'] } {
  if (!manifest?.config?.digest || !Array.isArray(manifest.layers)) throw new ImageError('ImageInspectError', `${what}: manifest without config or layers`);
  const config = readBlobJson(blobs, manifest.config.digest, what) as OciImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new ImageError('ImageInspectError', `${what}: config lists ${diffIds.length} diff_ids but the manifest has ${manifest.layers.length} layers`);
  }
  for (const l of manifest.layers) {
    if (!blobs.has(l.digest)) throw new ImageError('ImageInspectError', `${what}: layer ${l.digest} is missing`);
  }
  return { configDigest: manifest.config.digest, layers: manifest.layers.map((l, i) => ({ digest: l.digest, size: l.size, diffId: diffIds[i] })) };
}

function readBlobJson(blobs: BlobStore, digest: string, what: string): unknown {
  if (!blobs.has(digest)) throw new ImageError('ImageInspectError', `${what}: blob ${digest} is missing`);
  return parseJson(blobs.read(digest), `${what}: blob ${digest}`);
}

export function parseJson(data: Buffer, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new ImageError('ImageInspectError', `${what}: not valid JSON (${(e as Error).message})`);
  }
}

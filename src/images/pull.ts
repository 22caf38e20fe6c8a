// Pulling an image: resolve the reference to a manifest (choosing linux/amd64 from an index),
// then download the config and the layers into the blob store (verified, skipping blobs already
// there, a few at a time). The result is an ImageCandidate the store registers.
import type { ImageCandidate } from './archive-import.js';
import { imageFromManifest, parseJson } from './archive-import.js';
import type { BlobStore } from './blob-store.js';
import { ImageError } from './errors.js';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, type ImageIndex, type ImageManifest } from './media-types.js';
import { choosePlatform, NODE_PLATFORM } from './platform.js';
import type { ImageRef } from './reference.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';

export type PullOptions = RegistryClientOptions;

const PARALLEL_LAYERS = 3;

export async function pullImage(ref: ImageRef, blobs: BlobStore, opts: PullOptions = {}): Promise<ImageCandidate> {
  const client = new RegistryClient(ref, opts);
  const fail = (msg: string) => new ImageError('ErrImagePull', `failed to pull "${ref.name}": ${msg}`);
  const top = await client.manifest(ref.digest ?? (ref.tag as string));
  const owned = [top.digest];
  blobs.writeBuffer(top.data, top.digest);
  let manifest = top;
  if (INDEX_TYPES.includes(top.mediaType)) {
    const index = parseJson(top.data, `index ${top.digest}`) as ImageIndex;
    const chosen = choosePlatform(index.manifests ?? []);
    if (!chosen) throw fail(`no matching manifest for ${NODE_PLATFORM.os}/${NODE_PLATFORM.architecture} in the manifest list entries`);
    manifest = await client.manifest(chosen.digest);
    blobs.writeBuffer(manifest.data, manifest.digest);
    owned.push(manifest.digest);
  }
  if (!IMAGE_MANIFEST_TYPES.includes(manifest.mediaType)) throw fail(`unsupported manifest media type "${manifest.mediaType}"`);
  const m = parseJson(manifest.data, `manifest ${manifest.digest}`) as ImageManifest;
  if (!m.config?.digest || !Array.isArray(m.layers)) throw fail(`manifest ${manifest.digest} has no config or layers`);
  await client.blob(m.config.digest, blobs);
  const queue = m.layers.map((l) => l.digest);
  const worker = async () => {
    for (let d = queue.shift(); d !== undefined; d = queue.shift()) await client.blob(d, blobs);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_LAYERS, queue.length) }, worker));
  const { configDigest, layers } = imageFromManifest(m, blobs, `image ${ref.name}`);
  return {
    configDigest,
    layers,
    blobs: [...owned, configDigest, ...layers.map((l) => l.digest)],
    repoTags: ref.tag !== undefined ? [`${ref.repo}:${ref.tag}`] : [],
    repoDigests: [`${ref.repo}@${top.digest}`],
  };
}

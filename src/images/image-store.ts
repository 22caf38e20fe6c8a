// The node's image store (DESIGN.md: DATA/agent/image-store, see README.md):
//   blobs/sha256/<hex>   content-addressed blobs (configs, layers, manifests), verified on write
//   rootfs/<id hex>/     the image's root filesystem, unpacked once at import/pull; read-only by
//                        contract (containers get an overlayfs upper layer over it)
//   index.json           images: id, tags, repo digests, config, layers, owned blobs (atomic writes)
// Images are registered only after their blobs are verified and their rootfs is unpacked, so an
// image in the index is always usable. Index changes are serialised (in this process and, through
// index.lock, between processes), and the index is re-read when another process changed it.
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readImageArchive, parseJson, type ImageCandidate } from './archive-import.js';
import { applyLayerFile } from './apply-layer.js';
import { BlobStore, digestHex } from './blob-store.js';
import { ImageError } from './errors.js';
import type { OciImageConfig } from './media-types.js';
import { pullImage, type PullOptions } from './pull.js';
import { normalizeImageRef, type ImageRef } from './reference.js';
import { withFileLock } from './store-lock.js';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

export interface StoredImage {
  /** 'sha256:<hex of the config blob digest>' */
  id: string;
  /** canonical 'docker.io/library/busybox:latest' */
  repoTags: string[];
  /** 'docker.io/library/busybox@sha256:...' */
  repoDigests: string[];
  /** bytes of the layer blobs as stored (compressed when pulled) */
  size: number;
  config: ImageConfig;
}

interface ImageRecord extends StoredImage {
  layers: { digest: string; size: number; diffId: string }[];
  /** every blob the image owns; a blob is deleted when no image owns it */
  blobs: string[];
}

interface IndexFile {
  version: 1;
  images: ImageRecord[];
}

const HEX_PREFIX = /^(?:sha256:)?([0-9a-f]{4,64})$/;

export class ImageStore {
  readonly blobs: BlobStore;
  private images = new Map<string, ImageRecord>();
  private loadedStamp = '';
  private chain: Promise<unknown> = Promise.resolve();
  private readonly unpacking = new Map<string, Promise<void>>();
  private readonly pulling = new Map<string, Promise<StoredImage>>();

  private constructor(readonly dir: string) {
    this.blobs = new BlobStore(join(dir, 'blobs'));
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
  }

  /** Opens (creating) the store in `dir`; removes what interrupted unpacks and downloads of dead processes left. */
  static async open(dir: string): Promise<ImageStore> {
    const store = new ImageStore(dir);
    removeStaleTemporaries(join(dir, 'rootfs'));
    removeStaleTemporaries(join(dir, 'blobs', 'tmp'));
    store.refresh();
    return store;
  }

  list(): StoredImage[] {
    this.refresh();
    return [...this.images.values()].map(publicView);
  }

  /**
   * By canonical or short name ('busybox', 'busybox:1.36', 'reg:5000/x/y@sha256:..'), by id or by
   * a unique id prefix (at least 4 hex digits). Undefined when nothing matches.
   */
  resolve(ref: string): StoredImage | undefined {
    this.refresh();
    const r = this.find(ref);
    return r && publicView(r);
  }

  rootfsPath(id: string): string {
    return join(this.dir, 'rootfs', digestHex(id));
  }

  /** Imports every image of a docker-save or OCI archive (maybe gzipped). Tags move to the imported images. */
  async importArchive(file: string, signal?: AbortSignal): Promise<StoredImage[]> {
    if (!existsSync(file)) throw new ImageError('ImageInspectError', `image archive ${file}: no such file`);
    const { images, added } = await readImageArchive(file, this.blobs, signal);
    try {
      const out: StoredImage[] = [];
      for (const c of images) out.push(await this.register(c, signal));
      return out;
    } finally {
      await this.mutate(() => this.dropUnowned(added));
    }
  }

  /**
   * Pulls `ref` from its registry (see pull.ts) unless the same pull *with the same credentials*
   * is already running, then registers it. A caller never rides on another caller's credentials: a
   * pod without a pull secret must not get a private image because a pod with one pulls it at the
   * same moment. Rejects with ImageError('ErrImagePull' | 'InvalidImageName').
   */
  async pull(ref: string, opts: PullOptions = {}): Promise<StoredImage> {
    const r = normalizeImageRef(ref);
    const key = `${r.name}\0${createHash('sha256').update(JSON.stringify(opts.auth ?? null)).digest('hex')}`;
    const running = this.pulling.get(key);
    if (running) return running;
    const p = (async () => {
      const candidate = await pullImage(r, this.blobs, opts);
      return this.register(candidate, opts.signal);
    })();
    this.pulling.set(key, p);
    try {
      return await p;
    } finally {
      this.pulling.delete(key);
    }
  }

  /**
   * Removes a reference: by name, the tag or digest is removed, and the image goes when it has no
   * tag left; by id, the image goes with all its names. Going means its record, its rootfs and the
   * blobs no other image owns. The store does not know which containers use an image: the runtime
   * must not remove one in use. Resolves what was untagged and the id deleted (if any); rejects
   * with ImageError('ImageNotFound').
   */
  async remove(ref: string): Promise<{ untagged: string[]; deleted?: string }> {
    return this.mutate(() => {
      const image = this.find(ref);
      if (!image) throw new ImageError('ImageNotFound', `image "${ref}" not found`);
      const byId = HEX_PREFIX.test(ref) && !image.repoTags.includes(safeName(ref));
      let untagged: string[];
      if (byId) {
        untagged = [...image.repoTags, ...image.repoDigests];
      } else {
        const r = normalizeImageRef(ref);
        const gone = (name: string) => name === `${r.repo}:${r.tag}` || name === `${r.repo}@${r.digest}`;
        untagged = [...image.repoTags, ...image.repoDigests].filter(gone);
        image.repoTags = image.repoTags.filter((t) => !gone(t));
        image.repoDigests = image.repoDigests.filter((d) => !gone(d));
        if (image.repoTags.length > 0) return { untagged };
        untagged.push(...image.repoDigests);
      }
      this.images.delete(image.id);
      rmSync(this.rootfsPath(image.id), { recursive: true, force: true });
      this.dropUnowned(image.blobs);
      return { untagged, deleted: image.id };
    });
  }

  // --- internals ---

  private find(ref: string): ImageRecord | undefined {
    let r: ImageRef | undefined;
    try {
      r = normalizeImageRef(ref);
    } catch {
      r = undefined;
    }
    if (r) {
      for (const image of this.images.values()) {
        if (r.digest !== undefined ? image.repoDigests.includes(`${r.repo}@${r.digest}`) : image.repoTags.includes(r.name)) return image;
      }
    }
    const hex = HEX_PREFIX.exec(ref)?.[1];
    if (hex === undefined) return undefined;
    const matches = [...this.images.values()].filter((i) => i.id.slice('sha256:'.length).startsWith(hex));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** Unpacks the rootfs (once) and records the image, moving its tags from other images. */
  private async register(c: ImageCandidate, signal?: AbortSignal): Promise<StoredImage> {
    const id = c.configDigest;
    await this.unpack(id, c.layers, signal);
    const config = parseJson(this.blobs.read(id), `image config ${id}`) as OciImageConfig;
    return this.mutate(() => {
      const image: ImageRecord = this.images.get(id) ?? {
        id,
        repoTags: [],
        repoDigests: [],
        size: c.layers.reduce((n, l) => n + l.size, 0),
        config: imageConfigOf(config),
        layers: [...c.layers],
        blobs: [],
      };
      for (const other of this.images.values()) {
        if (other.id !== id) other.repoTags = other.repoTags.filter((t) => !c.repoTags.includes(t));
      }
      image.repoTags = union(image.repoTags, c.repoTags);
      image.repoDigests = union(image.repoDigests, c.repoDigests);
      image.blobs = union(image.blobs, c.blobs);
      this.images.set(id, image);
      return publicView(image);
    });
  }

  private async unpack(id: string, layers: ImageCandidate['layers'], signal?: AbortSignal): Promise<void> {
    const target = this.rootfsPath(id);
    if (existsSync(target)) return;
    const running = this.unpacking.get(id);
    if (running) return running;
    const p = (async () => {
      const tmp = join(this.dir, 'rootfs', `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      mkdirSync(tmp, { mode: 0o755 });
      try {
        for (const l of layers) await applyLayerFile(tmp, this.blobs.path(l.digest), { diffId: l.diffId, signal });
        try {
          renameSync(tmp, target);
        } catch (e) {
          if (!existsSync(target)) throw e; // else another process unpacked it first
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    })();
    this.unpacking.set(id, p);
    try {
      await p;
    } finally {
      this.unpacking.delete(id);
    }
  }

  /** Deletes those of `digests` that no image owns. Call inside mutate(). */
  private dropUnowned(digests: readonly string[]): void {
    const owned = new Set<string>();
    for (const i of this.images.values()) for (const d of i.blobs) owned.add(d);
    for (const d of digests) if (!owned.has(d)) this.blobs.remove(d);
  }

  /** Runs `fn` on the freshest index, serialised in-process and across processes, then saves the index. */
  private mutate<T>(fn: () => T): Promise<T> {
    const run = this.chain.then(() =>
      withFileLock(join(this.dir, 'index.lock'), () => {
        this.refresh();
        const result = fn();
        this.save();
        return result;
      }),
    );
    this.chain = run.catch(() => undefined);
    return run;
  }

  private indexPath(): string {
    return join(this.dir, 'index.json');
  }

  /** Re-reads index.json when it changed on disk since we last read or wrote it. */
  private refresh(): void {
    let stamp = '';
    try {
      const st = statSync(this.indexPath());
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      stamp = 'none';
    }
    if (stamp === this.loadedStamp) return;
    const images = new Map<string, ImageRecord>();
    if (stamp !== 'none') {
      const data = parseJson(readFileSync(this.indexPath()), `image store index ${this.indexPath()}`) as IndexFile;
      for (const i of data.images ?? []) images.set(i.id, i);
    }
    this.images = images;
    this.loadedStamp = stamp;
  }

  private save(): void {
    const data: IndexFile = { version: 1, images: [...this.images.values()] };
    const tmp = `${this.indexPath()}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, JSON.stringify(data, null, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.indexPath());
    const st = statSync(this.indexPath());
    this.loadedStamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
  }
}

/** Removes `.tmp-<pid>-*` and `<pid>-*` entries left by processes that are gone (interrupted unpacks and downloads). */
function removeStaleTemporaries(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/^(?:\.tmp-)?(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function imageConfigOf(c: OciImageConfig): ImageConfig {
  const cc = c.config ?? {};
  const out: ImageConfig = {};
  if (cc.Entrypoint) out.entrypoint = [...cc.Entrypoint];
  if (cc.Cmd) out.cmd = [...cc.Cmd];
  if (cc.Env) out.env = [...cc.Env];
  if (cc.WorkingDir) out.workingDir = cc.WorkingDir;
  if (cc.User) out.user = cc.User;
  return out;
}

/** A copy the caller may keep: the store's records are never handed out. */
function publicView(i: ImageRecord): StoredImage {
  return { id: i.id, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests], size: i.size, config: structuredClone(i.config) };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function safeName(ref: string): string {
  try {
    return normalizeImageRef(ref).name;
  } catch {
    return '';
  }
}

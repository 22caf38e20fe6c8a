// Applies one image layer (a tar, gzip-compressed or not) onto a root filesystem directory, as
// the OCI image spec's "applying changesets" says: entries replace what lower layers made (a
// directory over a directory merges), `.wh.NAME` deletes NAME of lower layers, and
// `.wh..wh..opq` hides every lower-layer entry of its directory. Symlinks, hardlinks, modes,
// mtimes and (as root) uid/gid are kept. Every path is resolved inside the root
// (root-path.ts): an entry that would write outside it is refused and fails the layer.
// Device nodes and FIFOs are skipped (containers get /dev from the runtime).
import { createReadStream, createWriteStream, lstatSync, readdirSync, rmSync } from 'node:fs';
import { chmod, lchown, link, lutimes, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from './blob-store.js';
import { ImageError } from './errors.js';
import { cleanEntryName, resolveDirInRoot } from './root-path.js';
import { decompressor, fileCompression, forEachTarEntry, readEntry, type TarHeader } from './tar-entries.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
const WHITEOUT_META_PREFIX = '.wh..wh.';
/** files up to this size are written in one call; larger ones are streamed */
const SMALL_FILE = 1 << 20;

export interface ApplyLayerOptions {
  /** the layer's diff_id (digest of the uncompressed tar); checked after the last entry */
  readonly diffId?: string;
  /** set owners from the tar headers (default: when running as root) */
  readonly chown?: boolean;
  readonly signal?: AbortSignal;
}

/** Applies the layer blob at `file` onto `root`. Rejects with ImageError; `root` is then partly written. */
export async function applyLayerFile(root: string, file: string, opts: ApplyLayerOptions = {}): Promise<void> {
  const gunzip = decompressor(fileCompression(file), `layer ${file}`);
  const hasher = new HashingStream();
  const source = createReadStream(file);
  await applyLayer(root, gunzip ? [source, gunzip, hasher] : [source, hasher], opts);
  const diffId = hasher.digest();
  if (opts.diffId !== undefined && diffId !== opts.diffId) {
    throw new ImageError('DigestMismatch', `layer ${file}: uncompressed content hashes to ${diffId}, the image config says diff_id ${opts.diffId}`);
  }
}

/** Applies the layer tar that `chain` produces (a source and transforms, see forEachTarEntry) onto `root`. */
export async function applyLayer(root: string, chain: readonly [Readable, ...Transform[]], opts: ApplyLayerOptions = {}): Promise<void> {
  const layer = new LayerWriter(resolve(root), opts.chown ?? process.getuid?.() === 0);
  await forEachTarEntry(chain, async (h, content) => {
    opts.signal?.throwIfAborted();
    await layer.entry(h, content);
  });
  await layer.finish();
}

class LayerWriter {
  /** paths (relative to root) this layer wrote, and their ancestors: never removed by its own whiteouts */
  private readonly written = new Set<string>();
  private readonly ancestors = new Set<string>();
  private readonly dirs = new Map<string, TarHeader>();

  constructor(
    private readonly root: string,
    private readonly chown: boolean,
  ) {}

  async entry(h: TarHeader, content: Readable): Promise<void> {
    const name = cleanEntryName(h.name);
    if (name === '') return; // the root directory itself
    const base = posix.basename(name);
    const parentRel = posix.dirname(name) === '.' ? '' : posix.dirname(name);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '.' || hidden === '..') throw new ImageError('ImageInspectError', `refusing layer entry "${h.name}": a whiteout of "${hidden}" would reach outside the image root`);
      if (base !== OPAQUE && base.startsWith(WHITEOUT_META_PREFIX)) return; // other aufs metadata: nothing to do
      const parent = resolveDirInRoot(this.root, parentRel, false, h.name);
      if (parent === undefined) return;
      if (base === OPAQUE) this.removeLowerChildren(parent);
      else this.removeLower(join(this.root, parent, hidden));
      return;
    }
    const parent = resolveDirInRoot(this.root, parentRel, true, h.name) as string;
    const rel = parent === '' ? base : `${parent}/${base}`;
    const abs = join(this.root, rel);
    this.markWritten(rel);
    const existing = lstatOrUndefined(abs);
    switch (h.type) {
      case 'directory':
        if (existing && !existing.isDirectory()) rmSync(abs, { recursive: true, force: true });
        if (!existing || !existing.isDirectory()) await mkdir(abs, { mode: 0o755 });
        if (this.chown) await lchown(abs, h.uid, h.gid);
        this.dirs.set(abs, h); // modes and times once the layer is done, so a 0555 dir can still be filled
        return;
      case 'file':
      case 'contiguous-file':
        if (existing) rmSync(abs, { recursive: true, force: true });
        // 'wx' = O_CREAT|O_EXCL: never follows a symlink, never reuses an inode another path links to
        if (h.size <= SMALL_FILE) await writeFile(abs, await readEntry(content, SMALL_FILE), { flag: 'wx', mode: 0o600 });
        else await pipeline(content, createWriteStream(abs, { flags: 'wx', mode: 0o600 }));
        await this.owner(abs, h);
        await chmod(abs, h.mode & 0o7777);
        await utimes(abs, h.mtime, h.mtime);
        return;
      case 'symlink':
        if (existing) rmSync(abs, { recursive: true, force: true });
        await symlink(h.linkname, abs);
        await this.owner(abs, h);
        await lutimes(abs, h.mtime, h.mtime);
        return;
      case 'link': {
        const targetName = cleanEntryName(h.linkname);
        const targetParent = resolveDirInRoot(this.root, posix.dirname(targetName) === '.' ? '' : posix.dirname(targetName), false, h.name);
        const target = targetParent === undefined ? undefined : join(this.root, targetParent, posix.basename(targetName));
        const st = target === undefined ? undefined : lstatOrUndefined(target);
        if (!target || !st || st.isDirectory()) {
          throw new ImageError('ImageInspectError', `layer entry "${h.name}": hardlink target "${h.linkname}" is not an existing file in the image`);
        }
        if (target === abs) return;
        if (existing) rmSync(abs, { recursive: true, force: true });
        await link(target, abs);
        return;
      }
      default:
        return; // devices and FIFOs: skipped, see the header comment
    }
  }

  async finish(): Promise<void> {
    // deepest first, so setting a parent's mtime is not undone by touching its children
    const dirs = [...this.dirs].sort((a, b) => b[0].length - a[0].length);
    for (const [abs, h] of dirs) {
      await chmod(abs, h.mode & 0o7777);
      await utimes(abs, h.mtime, h.mtime);
    }
  }

  private async owner(abs: string, h: TarHeader): Promise<void> {
    if (this.chown) await lchown(abs, h.uid, h.gid);
  }

  private markWritten(rel: string): void {
    this.written.add(rel);
    for (let p = posix.dirname(rel); p !== '.' && !this.ancestors.has(p); p = posix.dirname(p)) this.ancestors.add(p);
  }

  /** removes `abs` as far as lower layers made it: what this layer wrote stays */
  private removeLower(abs: string): void {
    const rel = abs.slice(this.root.length + 1);
    const st = lstatOrUndefined(abs);
    if (!st) return;
    if (!this.written.has(rel) && !this.ancestors.has(rel)) {
      rmSync(abs, { recursive: true, force: true });
      return;
    }
    if (st.isDirectory() && this.ancestors.has(rel)) this.removeLowerChildren(rel);
  }

  private removeLowerChildren(dirRel: string): void {
    const dir = join(this.root, dirRel);
    for (const child of readdirSync(dir)) this.removeLower(join(dir, child));
  }
}

function lstatOrUndefined(p: string) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

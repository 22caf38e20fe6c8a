// Air-gapped images, as k3s does: every archive (*.tar, *.tar.gz, *.tgz) in DATA/agent/images/ is
// imported when the node starts. Which archives were imported is remembered by path, size and
// mtime (in the store's imported-archives.json), so a restart does not import them again; a
// changed archive is imported again. The store itself lives in DATA/agent/image-store/.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageStore, StoredImage } from './image-store.js';

export const ARCHIVE_SUFFIXES = ['.tar', '.tar.gz', '.tgz'] as const;

export interface ImportDirResult {
  readonly imported: readonly { readonly file: string; readonly images: readonly StoredImage[] }[];
  /** archives imported before, unchanged since */
  readonly skipped: readonly string[];
  /** archives that failed; the others are imported anyway */
  readonly failed: readonly { readonly file: string; readonly error: Error }[];
}

type Seen = Record<string, { size: number; mtimeMs: number }>;

/** Imports the archives of `dir` not imported before. A missing `dir` imports nothing. */
export async function importImagesFromDir(store: ImageStore, dir: string, signal?: AbortSignal): Promise<ImportDirResult> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => ARCHIVE_SUFFIXES.some((s) => n.endsWith(s))).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { imported: [], skipped: [], failed: [] };
    throw e;
  }
  const seenPath = join(store.dir, 'imported-archives.json');
  let seen: Seen = {};
  try {
    seen = JSON.parse(readFileSync(seenPath, 'utf8')) as Seen;
  } catch {
    seen = {};
  }
  const result = { imported: [] as { file: string; images: StoredImage[] }[], skipped: [] as string[], failed: [] as { file: string; error: Error }[] };
  for (const name of names) {
    const file = join(dir, name);
    const st = statSync(file);
    if (!st.isFile()) continue;
    const prev = seen[file];
    if (prev && prev.size === st.size && prev.mtimeMs === st.mtimeMs) {
      result.skipped.push(file);
      continue;
    }
    try {
      result.imported.push({ file, images: await store.importArchive(file, signal) });
      seen[file] = { size: st.size, mtimeMs: st.mtimeMs };
      writeFileSync(`${seenPath}.tmp`, JSON.stringify(seen, null, 1));
      renameSync(`${seenPath}.tmp`, seenPath);
    } catch (e) {
      signal?.throwIfAborted();
      result.failed.push({ file, error: e instanceof Error ? e : new Error(String(e)) });
    }
  }
  return result;
}

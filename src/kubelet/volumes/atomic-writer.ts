// Writes a volume's files the way Kubernetes' AtomicWriter does, so a running container sees a
// ConfigMap/Secret update all at once and never a half-written set:
//   <dir>/..2025_01_01_00_00_00.123456789/<path>   the payload (a new directory per version)
//   <dir>/..data -> ..2025_01_01_...                 swapped with one rename(2)
//   <dir>/<first path segment> -> ..data/<segment>   the names users see (made once, kept)
// An unchanged payload (same paths, bytes and modes) writes nothing. The previous version's
// directory and user-visible links that no longer name anything are removed after the swap.
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';

export const DATA_DIR_NAME = '..data';
const DATA_TMP_NAME = '..data_tmp';

export interface PayloadFile {
  readonly data: Buffer;
  /** file mode bits (e.g. 0o644) */
  readonly mode: number;
}

/** relative path → content. Paths are validated: relative, no `..` segment, not starting with `..`. */
export type Payload = ReadonlyMap<string, PayloadFile>;

/** Throws an Error (Kubernetes' wording) when a payload path is not acceptable. */
export function validatePayloadPath(p: string): void {
  if (p === '') throw new Error('invalid path: must not be empty');
  if (p.startsWith('/')) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.split('/').includes('..')) throw new Error(`invalid path: must not contain '..': ${p}`);
  if (p.startsWith('..')) throw new Error(`invalid path: must not start with '..': ${p}`);
}

function timestampDirName(now: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const nanos = pad(now.getUTCMilliseconds(), 3) + String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.${nanos}`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether what `..data` points at already holds exactly `payload`. */
async function sameAsCurrent(dir: string, payload: Payload): Promise<boolean> {
  const data = join(dir, DATA_DIR_NAME);
  if (!(await exists(data))) return false;
  const have: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else have.push(r);
    }
  };
  await walk(data, '');
  if (have.length !== payload.size) return false;
  for (const [p, f] of payload) {
    try {
      const full = join(data, p);
      const st = await stat(full);
      if ((st.mode & 0o7777) !== f.mode) return false;
      if (!(await readFile(full)).equals(f.data)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Makes `dir` hold `payload` (creating `dir`). Resolves whether anything was written.
 * Not safe against concurrent writers of the same dir (the kubelet serializes per pod).
 */
export async function writeAtomically(dir: string, payload: Payload, now = new Date()): Promise<boolean> {
  for (const p of payload.keys()) validatePayloadPath(p);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (await sameAsCurrent(dir, payload)) return false;

  const oldTarget = (await exists(join(dir, DATA_DIR_NAME))) ? await readlink(join(dir, DATA_DIR_NAME)) : undefined;
  const tsName = timestampDirName(now);
  const tsDir = join(dir, tsName);
  await mkdir(tsDir, { mode: 0o755 });
  for (const [p, f] of payload) {
    const full = join(tsDir, normalize(p));
    await mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, f.data, { mode: f.mode });
    await chmod(full, f.mode); // the umask must not change it
  }
  const tmp = join(dir, DATA_TMP_NAME);
  await rm(tmp, { force: true });
  await symlink(tsName, tmp);
  await rename(tmp, join(dir, DATA_DIR_NAME));

  // User-visible names: one link per first path segment.
  const wanted = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of wanted) {
    const link = join(dir, name);
    if (!(await exists(link))) await symlink(join(DATA_DIR_NAME, name), link);
  }
  for (const e of await readdir(dir)) {
    if (e.startsWith('..') || wanted.has(e)) continue;
    const p = join(dir, e);
    if ((await lstat(p)).isSymbolicLink()) await rm(p, { force: true });
  }
  if (oldTarget && oldTarget !== tsName && !oldTarget.includes(sep)) await rm(join(dir, oldTarget), { recursive: true, force: true });
  return true;
}

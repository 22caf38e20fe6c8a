// `skiff image`: the node's image store from the command line (import, ls, rm, pull). The store
// lives in DATA/agent/image-store; archives dropped in DATA/agent/images are imported by the
// node at start (src/images/import-dir.ts).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { imageStoreDir } from '../images/data-dir.js';
import { isImageError } from '../images/errors.js';
import { ImageStore, type StoredImage } from '../images/image-store.js';

export const IMAGE_USAGE = `Usage: skiff image <command> [flags]

Commands:
  import FILE...   import docker-save or OCI image archives (.tar, .tar.gz)
  ls               list images
  rm REF...        remove images by name or id (a name removes that tag; the image goes with its last tag)
  pull REF         pull an image from its registry

Flags:
  --data-dir DIR              state directory (default $SKIFF_DATA_DIR, else ~/.skiff); images are in DIR/agent/image-store
  --insecure-registry HOST    (pull) use plain HTTP for this registry; repeatable
  -h, --help                  this help
`;

type Out = (line: string) => void;

/** Runs `skiff image ARGV`; resolves the exit code. Output lines go to `log` (default stdout), errors to stderr. */
export async function imageCommand(argv: string[], log: Out = (l) => process.stdout.write(`${l}\n`), errLog: Out = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, 'insecure-registry': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    errLog(`skiff image: ${(e as Error).message}\n`);
    errLog(IMAGE_USAGE);
    return 2;
  }
  const [cmd, ...args] = parsed.positionals;
  if (parsed.values.help || cmd === undefined || cmd === 'help') {
    log(IMAGE_USAGE);
    return 0;
  }
  const dataDir = parsed.values['data-dir'] ?? (process.env.SKIFF_DATA_DIR || join(homedir(), '.skiff'));
  const needArgs = (n: string) => {
    errLog(`skiff image ${cmd}: expected ${n}\n`);
    errLog(IMAGE_USAGE);
    return 2;
  };
  try {
    switch (cmd) {
      case 'import': {
        if (args.length === 0) return needArgs('at least one archive file');
        const store = await ImageStore.open(imageStoreDir(dataDir));
        for (const file of args) {
          for (const image of await store.importArchive(file)) {
            if (image.repoTags.length === 0) log(`Loaded image ID: ${image.id}`);
            for (const t of image.repoTags) log(`Loaded image: ${t}`);
          }
        }
        return 0;
      }
      case 'ls':
      case 'list': {
        if (args.length > 0) return needArgs('no arguments');
        const store = await ImageStore.open(imageStoreDir(dataDir));
        for (const line of imageTable(store.list())) log(line);
        return 0;
      }
      case 'rm':
      case 'remove': {
        if (args.length === 0) return needArgs('at least one image reference');
        const store = await ImageStore.open(imageStoreDir(dataDir));
        let code = 0;
        for (const ref of args) {
          try {
            const { untagged, deleted } = await store.remove(ref);
            for (const u of untagged) log(`Untagged: ${u}`);
            if (deleted) log(`Deleted: ${deleted}`);
          } catch (e) {
            if (!isImageError(e, 'ImageNotFound')) throw e;
            errLog(`skiff image rm: ${e.message}`);
            code = 1;
          }
        }
        return code;
      }
      case 'pull': {
        if (args.length !== 1) return needArgs('one image reference');
        const store = await ImageStore.open(imageStoreDir(dataDir));
        const image = await store.pull(args[0], { insecureRegistries: parsed.values['insecure-registry'] ?? [] });
        log(`Image is up to date for ${image.repoTags[0] ?? image.repoDigests[0] ?? image.id} (${image.id})`);
        return 0;
      }
      default:
        errLog(`skiff image: unknown command "${cmd}"\n`);
        errLog(IMAGE_USAGE);
        return 2;
    }
  } catch (e) {
    const reason = isImageError(e) ? ` (${e.reason})` : '';
    errLog(`skiff image ${cmd}: ${(e as Error).message}${reason}`);
    return 1;
  }
}

/** IMAGE, TAG, IMAGE ID (12 hex), SIZE — one row per tag, untagged images as <none>, as crictl images prints. */
export function imageTable(images: readonly StoredImage[]): string[] {
  const rows: string[][] = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']];
  const sorted = [...images].sort((a, b) => (a.repoTags[0] ?? '~').localeCompare(b.repoTags[0] ?? '~'));
  for (const i of sorted) {
    const id = i.id.replace(/^sha256:/, '').slice(0, 12);
    const size = humanSize(i.size);
    if (i.repoTags.length === 0) {
      const repo = i.repoDigests[0]?.split('@')[0] ?? '<none>';
      rows.push([repo, '<none>', id, size]);
    }
    for (const t of i.repoTags) {
      const colon = t.lastIndexOf(':');
      rows.push([t.slice(0, colon), t.slice(colon + 1), id, size]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] + 3))).join('').trimEnd());
}

/** Decimal units with 3 significant digits, as Docker and crictl print sizes ("2.13MB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${Number(n.toPrecision(3))}${units[u]}`;
}

// Where images live under skiff's data dir. The issue (k3s style) asks that archives dropped in
// DATA/agent/images/ be imported at start, so that directory holds archives only, and the store
// itself lives beside it in DATA/agent/image-store/.
import { join } from 'node:path';

/** The ImageStore directory: DATA/agent/image-store */
export function imageStoreDir(dataDir: string): string {
  return join(dataDir, 'agent', 'image-store');
}

/** Archives imported at node start (importImagesFromDir): DATA/agent/images */
export function imageArchiveDir(dataDir: string): string {
  return join(dataDir, 'agent', 'images');
}

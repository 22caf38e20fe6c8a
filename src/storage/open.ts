// openStore: the one way the server gets its Store, chosen by URL scheme as kine does
// (`memory://`, `sqlite:///abs/path/state.db`, or a plain path meaning sqlite). Drivers register
// a factory per scheme; etcd plugs in with registerStoreDriver('etcd', ...).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** Opens a store for a parsed URL of the driver's scheme. */
export type StoreDriver = (url: URL) => Promise<Store>;

const drivers = new Map<string, StoreDriver>([
  ['memory', async () => new MemoryStore()],
  ['sqlite', async (url) => SqliteStore.open(sqlitePath(url))],
]);

/** Registers (or replaces) the driver for a scheme, given without the colon: `etcd`. */
export function registerStoreDriver(scheme: string, driver: StoreDriver): void {
  drivers.set(scheme.toLowerCase(), driver);
}

/**
 * Opens the store that url names: `memory://`, `sqlite:///absolute/path/state.db`, or a file
 * path (absolute or relative to the working directory) for sqlite. Throws for unknown schemes.
 */
export async function openStore(url: string): Promise<Store> {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    if (url === '') throw new Error('store url: expected memory://, sqlite:///path or a file path, got ""');
    return SqliteStore.open(resolve(url));
  }
  const parsed = new URL(url);
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  const driver = drivers.get(scheme);
  if (!driver) {
    const known = [...drivers.keys()].map((s) => `${s}://`).join(', ');
    throw new Error(`store url ${url}: unknown scheme "${scheme}", expected one of ${known}`);
  }
  return driver(parsed);
}

function sqlitePath(url: URL): string {
  if (url.host !== '' || url.pathname === '' || url.pathname === '/' || url.search !== '' || url.hash !== '') {
    throw new Error(`store url ${url.href}: expected sqlite:///absolute/path/to/state.db (no host, no options)`);
  }
  return fileURLToPath(new URL(`file://${url.pathname}`));
}

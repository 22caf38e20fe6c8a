// skiff's own native code (native/*) comes as optional npm packages: built by node-gyp where
// npm installs them, absent or unloadable elsewhere, and then each caller takes its fallback.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const loaded = new Map<string, { exports?: unknown; error?: string }>();

/**
 * The exports of the optional package `name`, or the first line of why it cannot be loaded.
 * Loaded once per process; never throws.
 */
export function loadNativePackage<T>(name: string): { exports?: T; error?: string } {
  let r = loaded.get(name);
  if (!r) {
    try {
      r = { exports: require(name) as unknown };
    } catch (e) {
      r = { error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
    }
    loaded.set(name, r);
  }
  return r as { exports?: T; error?: string };
}

/** Where the optional package `name` is installed (its directory's index file), or undefined. */
export function resolveNativePackage(name: string): string | undefined {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

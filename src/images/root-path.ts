// Paths inside an unpacked root filesystem, resolved as the container will see them: a symlink
// met on the way is followed inside the root (an absolute target starts at the root), and a
// path that would leave the root ('..' above it, directly or through a relative symlink) is
// refused. Nothing resolved here can point outside `root`.
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ImageError } from './errors.js';

const MAX_SYMLINKS = 40; // as Linux's path walk

function escape(what: string): ImageError {
  return new ImageError('ImageInspectError', `refusing layer entry "${what}": it would reach outside the image root`);
}

/**
 * A tar entry name as a clean path relative to the root ('' for the root itself). Leading '/'
 * and './' are dropped; a name that climbs above the root ('../x', 'a/../../x') is refused.
 */
export function cleanEntryName(name: string): string {
  const n = posix.normalize(`./${name}`).replace(/\/+$/, '');
  if (n === '.' || n === '') return '';
  if (n === '..' || n.startsWith('../')) throw escape(name);
  return n.replace(/^\.\//, '').replace(/^\/+/, '');
}

/**
 * Resolves directory `rel` (clean, relative) inside `root`, following symlinks inside the root.
 * With `create`, missing directories are made (mode 0755); without it, a missing one resolves
 * to undefined. Throws ImageError when a component is not a directory or the walk escapes.
 * Returns the path relative to root ('' = the root).
 */
export function resolveDirInRoot(root: string, rel: string, create: boolean, entryName = rel): string | undefined {
  const pending = rel === '' ? [] : rel.split('/');
  const stack: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift() as string;
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      if (stack.length === 0) throw escape(entryName);
      stack.pop();
      continue;
    }
    const abs = join(root, ...stack, comp);
    let st;
    try {
      st = lstatSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!create) return undefined;
      mkdirSync(abs, { mode: 0o755 });
      stack.push(comp);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new ImageError('ImageInspectError', `layer entry "${entryName}": too many levels of symbolic links`);
      const target = readlinkSync(abs);
      if (target.startsWith('/')) stack.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) throw new ImageError('ImageInspectError', `layer entry "${entryName}": "${[...stack, comp].join('/')}" is not a directory`);
    stack.push(comp);
  }
  return stack.join('/');
}

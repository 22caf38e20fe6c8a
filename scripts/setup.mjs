#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm packages when they are missing or stale, then
// compiles TypeScript to dist/. Used by `npm start`, `npm test` and the bench scripts, so
// nothing has to be installed by hand. Only Node built-ins may be imported here.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || mtime(lock) > mtime(marker)) {
  console.error('setup: installing npm packages');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);

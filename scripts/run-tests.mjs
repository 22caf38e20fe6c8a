#!/usr/bin/env node
// Runs every compiled *.test.js under dist/ with node's test runner (unit tests beside the
// source, end-to-end tests in dist/test/e2e). Extra arguments are passed to `node --test`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.js')) files.push(p);
  }
};
walk(join(root, 'dist'));
files.sort();
// As root, tests make network namespaces in parallel processes, some through `ip netns add`: make
// /run/netns a shared mount point first, so that no test's namespace is ever hidden under
// iproute2's first bind mount of it (src/network/netns-dir.ts says why that leaks namespaces).
if (process.getuid?.() === 0) {
  const { ensureNetnsDir } = await import(pathToFileURL(join(root, 'dist', 'src', 'network', 'netns-dir.js')).href);
  // a failure here is reported and the tests run anyway: the network tests then say what is wrong
  await ensureNetnsDir('/run/netns').catch((e) => console.error(`run-tests: ${e instanceof Error ? e.message : e}`));
}
const only = process.env.SKIFF_TEST_FILTER;
const chosen = only ? files.filter((f) => f.includes(only)) : files;
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...process.argv.slice(2), ...chosen], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);

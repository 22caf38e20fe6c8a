// Checks the dependency rule of DESIGN.md: arrows point down only. Each component folder under
// src/ may import only the folders listed for it (and itself). Fails naming the offending import.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'); // from dist/test/architecture
const src = join(root, 'src');

/** component → components it may import. */
export const ALLOWED: Record<string, readonly string[]> = {
  api: [],
  storage: ['api'],
  registry: ['storage', 'api'],
  apiserver: ['registry', 'storage', 'api'],
  client: ['api'],
  controllers: ['client', 'api'],
  scheduler: ['client', 'api'],
  kubelet: ['client', 'api', 'runtime', 'images', 'network'],
  runtime: ['api', 'images', 'network'],
  images: ['api'],
  network: ['api'],
  proxy: ['client', 'api', 'network'],
  dns: ['client', 'api'],
  kubectl: ['client', 'api'],
  dashboard: ['client', 'api'],
  cli: ['*'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('imports between components follow DESIGN.md (arrows point down only)', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = relative(src, file).split('/')[0];
    const allowed = ALLOWED[from];
    assert.ok(allowed, `src/${from} is not a known component; add it to ALLOWED in this test and to DESIGN.md`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      const target = relative(src, resolve(dirname(file), spec)).split('/')[0];
      if (target === from || target.startsWith('..')) continue;
      if (allowed.includes('*') || allowed.includes(target)) continue;
      violations.push(`${relative(root, file)} imports ${spec} (${from} → ${target} is not allowed)`);
    }
  }
  assert.deepEqual(violations, []);
});

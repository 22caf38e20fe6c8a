import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareAgentConfig, readAgentConfig } from './agent-config.js';
import { defaultDataDir } from './flags.js';

test('no data dir\'s namespace prefix starts another\'s, the default one\'s included (killall and reconcile find namespaces by prefix)', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-agent-config-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const configs = ['a', 'b', 'c'].map((d) => prepareAgentConfig(join(root, d), 'skbr0'));
  const prefixes = [...configs.map((c) => c.netnsPrefix), 'skiff-'];
  for (const p of prefixes) for (const q of prefixes) if (p !== q) assert.ok(!q.startsWith(p), `${q} starts with ${p}`);
  assert.equal(new Set(configs.map((c) => c.cgroupParent)).size, 3);
  assert.deepEqual(readAgentConfig(join(root, 'a')), configs[0]);
  assert.notEqual(join(root, 'a'), defaultDataDir());
});

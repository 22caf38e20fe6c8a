import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, tarBuffer, writeDockerArchive } from '../images/archive-writer.js';
import { humanSize, imageCommand } from './image.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await imageCommand(argv, (l) => (out += `${l}\n`), (l) => (err += `${l}\n`));
  return { code, out, err };
}

test('skiff image import, ls and rm', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cli-image-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const image = buildImage({ layers: [await tarBuffer([{ name: 'f', content: 'x'.repeat(1500) }])], config: {}, gzip: false });
  await writeDockerArchive(join(dir, 'x.tar'), [{ image, tags: ['tool:1.0', 'tool:latest'] }]);
  const data = ['--data-dir', join(dir, 'data')];

  assert.deepEqual(await run(['import', join(dir, 'x.tar'), ...data]), {
    code: 0,
    out: 'Loaded image: docker.io/library/tool:1.0\nLoaded image: docker.io/library/tool:latest\n',
    err: '',
  });
  const id = image.config.digest.slice(7, 19);
  const ls = await run(['ls', ...data]);
  assert.equal(ls.code, 0);
  const lines = ls.out.trimEnd().split('\n');
  assert.match(lines[0], /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
  assert.match(lines[1], new RegExp(`^docker\\.io/library/tool\\s+1\\.0\\s+${id}\\s+\\d+(\\.\\d+)?kB$`));
  assert.match(lines[2], /^docker\.io\/library\/tool\s+latest\s/);

  assert.equal((await run(['rm', 'tool:1.0', ...data])).out, 'Untagged: docker.io/library/tool:1.0\n');
  assert.equal((await run(['rm', 'tool', ...data])).out, `Untagged: docker.io/library/tool:latest\nDeleted: ${image.config.digest}\n`);
  assert.equal((await run(['ls', ...data])).out, 'IMAGE   TAG   IMAGE ID   SIZE\n');
  const missing = await run(['rm', 'tool', ...data]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /image "tool" not found/);
  const bad = await run(['import', join(dir, 'none.tar'), ...data]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /no such file/);
});

test('skiff image --help and usage errors', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: skiff image <command>/);
  assert.equal((await run(['frobnicate'])).code, 2);
  assert.equal((await run(['import'])).code, 2);
  assert.equal((await run(['ls', '--bogus'])).code, 2);
  assert.equal(humanSize(2128384), '2.13MB');
  assert.equal(humanSize(999), '999B');
});

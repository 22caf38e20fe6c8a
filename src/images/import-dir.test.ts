import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, tarBuffer, writeDockerArchive, writeOciArchive } from './archive-writer.js';
import { ImageStore } from './image-store.js';
import { importImagesFromDir } from './import-dir.js';

test('every archive in the directory is imported once; changed archives again; broken ones reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-import-dir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const archives = join(dir, 'agent/images');
  mkdirSync(archives, { recursive: true });
  const image = (text: string) => tarBuffer([{ name: 'v', content: text }]).then((l) => buildImage({ layers: [l], config: { Cmd: [text] } }));
  await writeDockerArchive(join(archives, 'a.tar'), [{ image: await image('a'), tags: ['a:1'] }]);
  await writeOciArchive(join(archives, 'b.tar.gz'), [{ image: await image('b'), tags: ['b:1'] }], { gzip: true });
  await writeOciArchive(join(archives, 'c.tgz'), [{ image: await image('c'), tags: ['c:1'] }], { gzip: true });
  writeFileSync(join(archives, 'broken.tar'), 'not an archive');
  writeFileSync(join(archives, 'notes.txt'), 'ignored');

  const store = await ImageStore.open(join(dir, 'agent/image-store'));
  const first = await importImagesFromDir(store, archives);
  assert.deepEqual(first.imported.map((i) => i.images[0].repoTags), [['docker.io/library/a:1'], ['docker.io/library/b:1'], ['docker.io/library/c:1']]);
  assert.deepEqual(first.failed.map((f) => f.file), [join(archives, 'broken.tar')]);

  const restarted = await ImageStore.open(join(dir, 'agent/image-store'));
  const second = await importImagesFromDir(restarted, archives);
  assert.equal(second.imported.length, 0);
  assert.equal(second.skipped.length, 3);

  await writeDockerArchive(join(archives, 'a.tar'), [{ image: await image('a2'), tags: ['a:1'] }]);
  utimesSync(join(archives, 'a.tar'), new Date(), new Date(Date.now() + 5000));
  const third = await importImagesFromDir(restarted, archives);
  assert.deepEqual(third.imported.map((i) => i.file), [join(archives, 'a.tar')]);
  assert.deepEqual(restarted.resolve('a:1')?.config.cmd, ['a2']);

  assert.deepEqual(await importImagesFromDir(store, join(dir, 'missing')), { imported: [], skipped: [], failed: [] });
});

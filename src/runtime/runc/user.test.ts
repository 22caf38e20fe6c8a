import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveUser } from './user.js';

test('resolveUser reads names from the image /etc/passwd and /etc/group', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-user-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nstaff:x:50:\n');
  assert.deepEqual(await resolveUser(root, undefined), { uid: 0, gid: 0 });
  assert.deepEqual(await resolveUser(root, 'app'), { uid: 1000, gid: 1001 });
  assert.deepEqual(await resolveUser(root, '1000'), { uid: 1000, gid: 1001 });
  assert.deepEqual(await resolveUser(root, '4242'), { uid: 4242, gid: 0 });
  assert.deepEqual(await resolveUser(root, 'app:staff'), { uid: 1000, gid: 50 });
  assert.deepEqual(await resolveUser(root, '7:8'), { uid: 7, gid: 8 });
  await assert.rejects(resolveUser(root, 'nobody'), /unable to find user nobody/);
  await assert.rejects(resolveUser(root, 'app:wheel'), /unable to find group wheel/);
});

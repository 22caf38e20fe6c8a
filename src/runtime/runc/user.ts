// The image's USER ("1000", "1000:1000", "app", "app:staff", "app:1000") resolved to numeric ids
// through the image's own /etc/passwd and /etc/group, as Docker does. No USER: root.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
}

/** Throws an Error naming the user or group when a name is not in the image's files. */
export async function resolveUser(rootfs: string, user: string | undefined): Promise<ResolvedUser> {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(':', 2) as [string, string | undefined];
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const entry = (await table(rootfs, 'passwd')).find((f) => f[2] === u);
    gid = entry ? Number(entry[3]) : 0;
  } else {
    const entry = (await table(rootfs, 'passwd')).find((f) => f[0] === u);
    if (!entry) throw new Error(`unable to find user ${u}: no matching entries in passwd file`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const entry = (await table(rootfs, 'group')).find((f) => f[0] === g);
      if (!entry) throw new Error(`unable to find group ${g}: no matching entries in group file`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}

async function table(rootfs: string, name: 'passwd' | 'group'): Promise<string[][]> {
  let text: string;
  try {
    text = await readFile(join(rootfs, 'etc', name), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

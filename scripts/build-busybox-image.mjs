#!/usr/bin/env node
// Builds the busybox image archive used by the README demo and the tests, from Debian's
// busybox-static (/bin/busybox): `npm run image:busybox` (setup.mjs compiles dist/ first).
//   node scripts/build-busybox-image.mjs [--oci] [--gzip] [--out FILE] [--busybox PATH]
// Default output: build/images/busybox.tar (docker save format); with --oci, build/images/busybox-oci.tar.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { oci: { type: 'boolean' }, gzip: { type: 'boolean' }, out: { type: 'string' }, busybox: { type: 'string' } },
});
const { writeBusyboxArchive } = await import(join(root, 'dist/src/images/busybox-archive.js'));
const out = values.out ?? join(root, 'build', 'images', values.oci ? 'busybox-oci.tar' : 'busybox.tar');
mkdirSync(dirname(out), { recursive: true });
const { tags, id } = await writeBusyboxArchive(out, {
  format: values.oci ? 'oci' : 'docker',
  gzip: values.gzip ?? false,
  ...(values.busybox ? { busybox: values.busybox } : {}),
});
console.log(`wrote ${out}: ${tags.join(', ')} (${id})`);

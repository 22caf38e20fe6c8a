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

// The real node (runc containers, pod network, service proxy) needs these Debian packages. As root
// on a Debian-like machine they are installed when missing; otherwise skiff runs without its node
// agent and the tests that need them are skipped with a reason.
const DEBIAN_PACKAGES = {
  runc: '/usr/sbin/runc',
  nftables: '/usr/sbin/nft',
  iptables: '/usr/sbin/iptables',
  'busybox-static': '/bin/busybox',
  'docker-registry': '/usr/bin/docker-registry',
  iproute2: '/sbin/ip',
  conntrack: '/usr/sbin/conntrack', // the service proxy clears stale UDP flows with it
  conmon: '/usr/bin/conmon',
  crun: '/usr/bin/crun', // the alternative OCI runtime (--container-runtime crun)
  dnsutils: '/usr/bin/dig',
  'dnsmasq-base': '/usr/sbin/dnsmasq',
  wrk: '/usr/bin/wrk', // bench:api's load generator for creates at concurrency 32
  gcc: '/usr/bin/cc', // skiff's native code, and bench:api's watch client (bench/watch-client.c)
  'libssl-dev': '/usr/include/openssl/ssl.h', // OpenSSL's headers, for bench:api's watch client
};
const missing = Object.entries(DEBIAN_PACKAGES)
  .filter(([, path]) => !existsSync(path) && !existsSync(path.replace(/^\/(usr\/)?s?bin/, '/usr/bin')))
  .map(([pkg]) => pkg);
if (missing.length > 0 && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get') && !process.env.SKIFF_NO_APT) {
  console.error(`setup: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => execFileSync('apt-get', args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    apt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
  } catch {
    apt(['update', '-q']);
    apt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
  }
}

const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || mtime(lock) > mtime(marker)) {
  console.error('setup: installing npm packages');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
// skiff's native code, each piece optional (npm builds it when it installs it; rebuilt here when
// its sources are newer than its binary); without it skiff uses the fallback named.
const NATIVE = [
  // batched UDP for cluster DNS
  { dir: 'udp-batch', pkg: 'skiff-udp-batch', source: 'src/udp_batch.c', binary: 'udp_batch.node', fallback: 'cluster DNS will serve UDP with node:dgram' },
  // conmon's runtime wrapper (overlay mount + runc/crun)
  { dir: 'oci-wrapper', pkg: 'skiff-oci-wrapper', source: 'src/oci_wrapper.c', binary: 'skiff-oci-wrapper', fallback: 'containers will be started through the sh wrapper script' },
  // the per-container monitor, in place of conmon
  { dir: 'container-monitor', pkg: 'skiff-container-monitor', source: 'src/container_monitor.c', binary: 'skiff-monitor', fallback: 'containers will be monitored by conmon' },
  // a pod sandbox's namespaces and pod-side network over rtnetlink
  { dir: 'pod-netns', pkg: 'skiff-pod-netns', source: 'src/pod_netns.c', binary: 'pod_netns.node', fallback: 'pod networks will be set up with unshare and ip' },
  // the process helper's posix_spawn
  { dir: 'process-spawn', pkg: 'skiff-process-spawn', source: 'src/process_spawn.c', binary: 'process_spawn.node', fallback: 'the process helper will start programs with node:child_process' },
];
for (const n of NATIVE) {
  const dir = join(root, 'native', n.dir);
  const sources = ['binding.gyp', n.source].map((f) => mtime(join(dir, f)));
  if (process.platform !== 'linux' || !existsSync(join(root, 'node_modules', n.pkg)) || Math.max(...sources) <= mtime(join(dir, 'build', 'Release', n.binary))) continue;
  console.error(`setup: building native/${n.dir}`);
  try {
    run('npm', ['rebuild', n.pkg]);
  } catch {
    console.error(`setup: building native/${n.dir} failed; ${n.fallback}`);
  }
}
run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);

// Test-only: a PodNetwork on its own bridge, netns prefix and temp state dir, removed (with
// everything it made) when the test ends, passed or failed.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { PodNetwork, type PodNetworkOptions } from './pod-network.js';
import { loadPodNetns } from './pod-netns-addon.js';
import { removeAllPodNetworking } from './remove-all.js';

export const NEEDS_ROOT = process.getuid?.() !== 0 ? 'needs root (creates network namespaces and links)' : false;

/** Options with a unique bridge (`skt` + 8 hex) and netns prefix (`sktn-` + 6 hex + `-`), cleaned up after `t`. */
export async function testNetworkOptions(
  t: TestContext,
  extra: { mtu?: number; podSide?: PodNetworkOptions['podSide']; hostSide?: PodNetworkOptions['hostSide']; runner?: PodNetworkOptions['runner'] } = {},
): Promise<PodNetworkOptions & { bridgeName: string; netnsPrefix: string }> {
  const tag = randomBytes(4).toString('hex');
  const base = await mkdtemp(join(tmpdir(), 'skiff-net-'));
  const opts = { stateDir: join(base, 'network'), bridgeName: `skt${tag}`, netnsPrefix: `sktn-${tag.slice(0, 6)}-`, ...extra };
  t.after(async () => {
    await removeAllPodNetworking(opts);
    await rm(base, { recursive: true, force: true });
  });
  return opts;
}

/** A PodNetwork on fresh test options with `cidr` (inside 198.18.64.0/20) set. */
export async function testPodNetwork(
  t: TestContext,
  cidr: string,
  extra: { mtu?: number; podSide?: PodNetworkOptions['podSide']; hostSide?: PodNetworkOptions['hostSide']; runner?: PodNetworkOptions['runner'] } = {},
): Promise<{ net: PodNetwork; opts: Awaited<ReturnType<typeof testNetworkOptions>> }> {
  const opts = await testNetworkOptions(t, extra);
  const net = new PodNetwork(opts);
  net.setPodCIDR(cidr);
  return { net, opts };
}

/** Both ways of making the pod side ('netlink' only where the skiff-pod-netns addon is built), with a skip reason each. */
export const POD_SIDES: ReadonlyArray<['netlink' | 'ip', string | false]> = [
  ['netlink', NEEDS_ROOT || (loadPodNetns().setUp ? false : `the skiff-pod-netns addon is not built: ${loadPodNetns().error}`)],
  ['ip', NEEDS_ROOT],
];

export const pod = (name: string) => ({ namespace: 'default', name, uid: `uid-${name}` });

// `skiff killall` for the pod network: every trace of a PodNetwork configuration on this machine.
import { rm, rmdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bridgePorts, deleteBridge, linkExists } from './bridge.js';
import { NetworkError } from './errors.js';
import { HostLocalIPAM } from './ipam.js';
import { ipBatch } from './ip-command.js';
import { batchDir, DEFAULT_BRIDGE_NAME, DEFAULT_NETNS_PREFIX, ipamDir, listNetns, NETNS_DIR, type PodNetworkOptions } from './pod-network.js';

/**
 * Removes every network namespace named `<netnsPrefix>*` in /run/netns, every link attached to the
 * bridge and every host veth the IPAM state names, the bridge itself and the IPAM state (the
 * state dir is removed when nothing else is in it). Idempotent. Must not run while a PodNetwork on
 * the same state is setting pods up. Rejects with NetworkSetupFailed naming what could not be removed.
 */
export async function removeAllPodNetworking(opts: PodNetworkOptions): Promise<void> {
  const bridge = opts.bridgeName ?? DEFAULT_BRIDGE_NAME;
  const prefix = opts.netnsPrefix ?? DEFAULT_NETNS_PREFIX;
  const recorded = existsSync(ipamDir(opts.stateDir)) ? new HostLocalIPAM(ipamDir(opts.stateDir)).list() : [];
  const links = new Set([...bridgePorts(bridge), ...recorded.map((a) => a.hostVeth).filter(linkExists)]);
  const namespaces = new Set([...listNetns(prefix), ...recorded.map((a) => a.netnsName).filter((n) => existsSync(join(NETNS_DIR, n)))]);
  let failure: unknown;
  // One ip process for all of it; -force goes on after a line fails (checked below).
  await ipBatch([...[...links].map((l) => `link del dev ${l}`), ...[...namespaces].map((n) => `netns del ${n}`)], { force: true }).catch(
    (e: unknown) => (failure = e),
  );
  await deleteBridge(bridge).catch((e: unknown) => (failure ??= e));
  const left = [
    ...[...links, bridge].filter(linkExists).map((l) => `link ${l}`),
    ...[...namespaces].filter((n) => existsSync(join(NETNS_DIR, n))).map((n) => `netns ${n}`),
  ];
  if (left.length > 0) {
    throw new NetworkError('NetworkSetupFailed', `could not remove ${left.join(', ')}: ${failure instanceof Error ? failure.message : String(failure)}`);
  }
  await rm(ipamDir(opts.stateDir), { recursive: true, force: true });
  await rm(batchDir(opts.stateDir), { recursive: true, force: true });
  await rmdir(opts.stateDir).catch(() => undefined); // only when empty
}

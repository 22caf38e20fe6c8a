// The node bridge: one Linux bridge per node holding the gateway address (first address of the pod
// CIDR) with every pod's host-side veth as a port. Pods reach each other at layer 2 through it, the
// node reaches pods through its connected route.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { NetworkError } from './errors.js';
import { ip, ipBatch, ipJson } from './ip-command.js';
import { formatIPv4, type PodSubnet } from './ipv4.js';

interface AddrJson {
  ifname: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

/**
 * Makes sure the bridge `name` exists, is a bridge, carries exactly the gateway address of
 * `subnet` among its IPv4 addresses (others — left from an earlier pod CIDR — are removed) and is
 * up. Creates it when missing, with a fixed MAC (so the gateway's MAC does not change as ports come
 * and go). Idempotent; safe against a concurrent creator. Rejects with NetworkSetupFailed when
 * `name` exists but is not a bridge.
 */
export async function ensureBridge(name: string, subnet: PodSubnet, opts: { mtu?: number } = {}): Promise<void> {
  const gateway = formatIPv4(subnet.gateway);
  let link = await showLink(name);
  if (!link) {
    try {
      await ipBatch([
        `link add name ${name} address ${bridgeMac(name)}${opts.mtu ? ` mtu ${opts.mtu}` : ''} type bridge`,
        `addr add ${gateway}/${subnet.prefixLength} dev ${name}`,
        `link set ${name} up`,
      ]);
      return;
    } catch (e) {
      link = await showLink(name); // created by someone else meanwhile: check it as an existing one
      if (!link) throw e;
    }
  }
  if (link.linkinfo?.info_kind !== 'bridge') {
    throw new NetworkError('NetworkSetupFailed', `link ${name} exists and is a ${link.linkinfo?.info_kind ?? 'plain'} link, not a bridge`);
  }
  const lines: string[] = [];
  let has = false;
  for (const a of link.addr_info ?? []) {
    if (a.family !== 'inet') continue;
    if (a.local === gateway && a.prefixlen === subnet.prefixLength) has = true;
    else lines.push(`addr del ${a.local}/${a.prefixlen} dev ${name}`);
  }
  if (!has) lines.push(`addr add ${gateway}/${subnet.prefixLength} dev ${name}`);
  if (!link.flags?.includes('UP')) lines.push(`link set ${name} up`);
  await ipBatch(lines);
}

/** Deletes the bridge (its ports are detached, not deleted). Idempotent. */
export async function deleteBridge(name: string): Promise<void> {
  if (!linkExists(name)) return;
  await ip(['link', 'del', name]).catch((e: unknown) => {
    if (linkExists(name)) throw e;
  });
}

/** Names of the links attached to bridge `name` (empty when it does not exist). */
export function bridgePorts(name: string): string[] {
  try {
    return readdirSync(`/sys/class/net/${name}/brif`);
  } catch {
    return [];
  }
}

/** Whether a link called `name` exists in this (the node's) network namespace. */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** The bridge link `name` is a port of, if any. */
export function masterOf(name: string): string | undefined {
  try {
    return basename(readlinkSync(`/sys/class/net/${name}/master`));
  } catch {
    return undefined;
  }
}

/** A locally administered unicast MAC derived from the bridge's name. */
export function bridgeMac(name: string): string {
  const h = createHash('sha256').update(`skiff-bridge/${name}`).digest();
  const bytes = [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

async function showLink(name: string): Promise<AddrJson | undefined> {
  if (!linkExists(name)) return undefined;
  try {
    return (await ipJson<AddrJson>(['-d', 'addr', 'show', 'dev', name]))[0];
  } catch (e) {
    if (!linkExists(name)) return undefined;
    throw e;
  }
}

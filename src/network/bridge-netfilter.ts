// Whether the kernel's packet filter lets pod-to-pod traffic cross the node bridge. With
// br_netfilter loaded and net.bridge.bridge-nf-call-iptables=1, frames bridged between two pods
// traverse the IPv4 FORWARD hook (iptables' FORWARD chain and every nftables chain on the forward
// hook), so a DROP policy there (Docker sets one) silently cuts pods apart. Read-only: it reports,
// it changes nothing.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface BridgeForwardingReport {
  /** net.bridge.bridge-nf-call-iptables; undefined when br_netfilter is not loaded (bridged frames skip iptables) */
  readonly bridgeNfCallIptables: boolean | undefined;
  /** net.ipv4.ip_forward: needed for pod traffic leaving the node, not between pods on one bridge */
  readonly ipForward: boolean | undefined;
  /** iptables' FORWARD policy (ACCEPT/DROP), undefined when iptables is missing */
  readonly iptablesForwardPolicy: string | undefined;
  /** nftables base chains on the forward hook with policy drop, as `family table chain` */
  readonly nftForwardDropChains: string[];
  /** human-readable findings: why pod-to-pod traffic over `bridge` may be dropped, with the fix */
  readonly warnings: string[];
}

export async function checkBridgeForwarding(bridge: string): Promise<BridgeForwardingReport> {
  const [nfCall, fwd, policy, nftDrops] = await Promise.all([
    readSysctl('/proc/sys/net/bridge/bridge-nf-call-iptables'),
    readSysctl('/proc/sys/net/ipv4/ip_forward'),
    iptablesForwardPolicy(),
    nftForwardDropChains(),
  ]);
  const warnings: string[] = [];
  if (nfCall) {
    if (policy === 'DROP') {
      warnings.push(
        `iptables FORWARD policy is DROP and bridge-nf-call-iptables=1: pod-to-pod traffic on ${bridge} is dropped unless accepted, e.g. iptables -I FORWARD -i ${bridge} -o ${bridge} -j ACCEPT`,
      );
    }
    for (const c of nftDrops) {
      warnings.push(`nftables chain ${c} (hook forward, policy drop) sees bridged pod traffic on ${bridge}: it needs an accept for iifname ${bridge} oifname ${bridge}`);
    }
  }
  return { bridgeNfCallIptables: nfCall, ipForward: fwd, iptablesForwardPolicy: policy, nftForwardDropChains: nftDrops, warnings };
}

async function readSysctl(path: string): Promise<boolean | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() === '1';
  } catch {
    return undefined;
  }
}

function output(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => execFile(cmd, args, { encoding: 'utf8' }, (err, stdout) => resolve(err ? undefined : stdout)));
}

async function iptablesForwardPolicy(): Promise<string | undefined> {
  const out = await output('iptables', ['-w', '5', '-S', 'FORWARD']);
  return out ? /^-P FORWARD (\S+)/m.exec(out)?.[1] : undefined;
}

async function nftForwardDropChains(): Promise<string[]> {
  const out = await output('nft', ['-j', 'list', 'chains']);
  if (!out) return [];
  try {
    const doc = JSON.parse(out) as { nftables?: Array<{ chain?: { family: string; table: string; name: string; hook?: string; policy?: string } }> };
    return (doc.nftables ?? [])
      .map((e) => e.chain)
      .filter((c) => c && c.hook === 'forward' && c.policy === 'drop' && (c.family === 'ip' || c.family === 'inet'))
      .map((c) => `${c!.family} ${c!.table} ${c!.name}`);
  } catch {
    return [];
  }
}

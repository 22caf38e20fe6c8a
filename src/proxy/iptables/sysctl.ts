// The kernel settings the iptables mode needs, set when it starts (as kube-proxy does):
// - net.ipv4.ip_forward=1: a pod's packet to a cluster IP is DNAT'd to another pod and routed
//   back out of the bridge (and to other nodes);
// - net.ipv4.conf.all.route_localnet=1: 127.0.0.1:nodePort may be DNAT'd to a pod (the source is
//   masqueraded; a filter rule drops 127/8 arriving from outside);
// - br_netfilter with net.bridge.bridge-nf-call-iptables=1: a pod's reply to another pod on the same
//   bridge passes conntrack, so the DNAT is undone.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

export const REQUIRED_SYSCTLS: Readonly<Record<string, string>> = {
  'net/ipv4/ip_forward': '1',
  'net/ipv4/conf/all/route_localnet': '1',
  'net/bridge/bridge-nf-call-iptables': '1',
};

/** Sets each of REQUIRED_SYSCTLS that differs; resolves with the lines it changed (for the log). */
export async function ensureSysctls(): Promise<string[]> {
  if (!existsSync('/proc/sys/net/bridge')) {
    await new Promise<void>((resolve) => execFile('modprobe', ['br_netfilter'], () => resolve()));
  }
  const changed: string[] = [];
  for (const [key, want] of Object.entries(REQUIRED_SYSCTLS)) {
    const path = `/proc/sys/${key}`;
    let have: string;
    try {
      have = (await readFile(path, 'utf8')).trim();
    } catch {
      changed.push(`${key.replaceAll('/', '.')} unavailable`);
      continue;
    }
    if (have === want) continue;
    await writeFile(path, want);
    changed.push(`${key.replaceAll('/', '.')}=${want} (was ${have})`);
  }
  return changed;
}

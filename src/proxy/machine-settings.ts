// The kernel settings the kernel proxy modes (nftables, iptables) need, set when a backend starts
// (as kube-proxy does):
//   net.ipv4.ip_forward = 1                 pod → ClusterIP → pod is routed through the node
//   net.ipv4.conf.all.route_localnet = 1    NodePort / LoadBalancer on 127.0.0.1 (DNAT of a
//                                           loopback source to a pod, then masquerade)
//   br_netfilter + net.bridge.bridge-nf-call-iptables = 1
//                                           a backend's reply bridged straight to a client pod on
//                                           the same bridge still passes conntrack, so the DNAT is undone
// They are never reset (other users may rely on them too); `applyProxySysctls` returns what it changed.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const PROXY_SYSCTLS: Readonly<Record<string, string>> = {
  'net/ipv4/ip_forward': '1',
  'net/ipv4/conf/all/route_localnet': '1',
  'net/bridge/bridge-nf-call-iptables': '1',
};

/** Sets every PROXY_SYSCTLS value (loading br_netfilter first if needed); → `name: old → new` for each change. */
export async function applyProxySysctls(): Promise<string[]> {
  if (!existsSync('/proc/sys/net/bridge')) {
    await new Promise<void>((resolve) => execFile('modprobe', ['br_netfilter'], () => resolve()));
  }
  const changed: string[] = [];
  for (const [key, want] of Object.entries(PROXY_SYSCTLS)) {
    const path = `/proc/sys/${key}`;
    if (!existsSync(path)) {
      changed.push(`${key.replaceAll('/', '.')}: missing (br_netfilter not available?)`);
      continue;
    }
    const before = readFileSync(path, 'utf8').trim();
    if (before === want) continue;
    writeFileSync(path, want);
    changed.push(`${key.replaceAll('/', '.')}: ${before} → ${want}`);
  }
  return changed;
}

// A sandbox's own files: /etc/hosts, /etc/resolv.conf and /etc/hostname (bind-mounted into each
// of its containers) and its persistent UTS and IPC namespaces, bind-mounted to files (as
// `ip netns` does for network namespaces) so containers join them by path and they outlive skiff.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DNSConfig } from '../runtime.js';
import { run as runHere, type Run } from './exec-file.js';

export interface SandboxPaths {
  readonly dir: string;
  readonly hosts: string;
  readonly resolvConf: string;
  readonly hostname: string;
  readonly utsNs: string;
  readonly ipcNs: string;
}

export function sandboxPaths(dir: string): SandboxPaths {
  return {
    dir,
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    hostname: join(dir, 'hostname'),
    utsNs: join(dir, 'ns-uts'),
    ipcNs: join(dir, 'ns-ipc'),
  };
}

/** The pod's /etc/hosts: localhost lines, then the pod IP with its hostname. */
export function hostsFile(ip: string | undefined, hostname: string): string {
  const lines = [
    '# Kubernetes-managed hosts file (skiff).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (ip) lines.push(`${ip}\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

export function resolvConf(dns: DNSConfig): string {
  const lines: string[] = [];
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Creates the (empty) files the sandbox's UTS and IPC namespaces are bind-mounted on and returns
 * them, for the pod network to make both namespaces in the process that makes the network namespace
 * (the hostname is set by the OCI runtime as containers start: see oci-spec.ts).
 */
export function sandboxNamespaceFiles(p: SandboxPaths): { uts: string; ipc: string } {
  mkdirSync(p.dir, { recursive: true });
  writeFileSync(p.utsNs, '');
  writeFileSync(p.ipcNs, '');
  return { uts: p.utsNs, ipc: p.ipcNs };
}

/** A hostNetwork sandbox's namespace: a new IPC namespace only (one `unshare`); it shares the node's UTS and network. */
export async function createHostNetworkSandboxNamespaces(p: SandboxPaths, run: Run = runHere): Promise<undefined> {
  mkdirSync(p.dir, { recursive: true });
  writeFileSync(p.ipcNs, '');
  await run('unshare', [`--ipc=${p.ipcNs}`, 'true']);
  return undefined;
}

/** Writes the sandbox's hosts, resolv.conf and hostname files side by side (hostNetwork: the node's hosts file). */
export async function writeSandboxFiles(p: SandboxPaths, o: { hostname: string; ip?: string; hostNetwork: boolean; dnsConfig?: DNSConfig; nodeEtc?: string }): Promise<void> {
  const etc = o.nodeEtc ?? '/etc';
  mkdirSync(p.dir, { recursive: true });
  const dns = o.dnsConfig && (o.dnsConfig.servers.length || o.dnsConfig.searches.length || o.dnsConfig.options.length) ? o.dnsConfig : undefined;
  // synchronous: three small files (on the thread pool each costs more CPU than its system calls)
  if (!o.hostNetwork) writeFileSync(p.hosts, hostsFile(o.ip, o.hostname));
  else {
    try {
      copyFileSync(join(etc, 'hosts'), p.hosts);
    } catch {
      writeFileSync(p.hosts, hostsFile(undefined, o.hostname));
    }
  }
  writeFileSync(p.resolvConf, dns ? resolvConf(dns) : readOrEmpty(join(etc, 'resolv.conf')));
  writeFileSync(p.hostname, `${o.hostname}\n`);
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// `skiff killall --data-dir DIR`: stops the skiff of DIR if it still runs, every container its
// node agent started, and removes everything the agent made on this machine — network namespaces,
// veth links, the pod bridge, overlay and namespace mounts, cgroups — as k3s' killall script does.
// Idempotent: running it twice, or on a data dir that never ran an agent, is fine.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { removeHostPortRules } from '../network/host-ports.js';
import { removeAllPodNetworking } from '../network/remove-all.js';
import { killAllContainers } from '../runtime/runc/killall.js';
import { OCI_RUNTIMES, ociRuntimePath } from '../runtime/runc/oci-runtimes.js';
import { hostPortTable, readAgentConfig } from './agent-config.js';
import { removeProxyRules } from './services-agent.js';
import { defaultDataDir } from './flags.js';

export const KILLALL_USAGE = `Usage: skiff killall [--data-dir DIR]

Stops every container the node agent of DIR runs and removes what it made on this machine:
network namespaces, links, the pod bridge, mounts, cgroups. A skiff server still running on DIR
is stopped first. Needs root.
`;

/** The server's pid file: written at start, removed at a clean stop. */
export function pidFile(dataDir: string): string {
  return join(dataDir, 'skiff.pid');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const f = pidFile(dataDir);
  if (!existsSync(f)) return;
  const pid = Number(readFileSync(f, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !alive(pid)) return;
  // Only a skiff started on this data dir: its command line names it.
  const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  if (!cmdline.includes('server')) return;
  log(`stopping skiff server (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(f, { force: true });
}

export async function killall(argv: readonly string[], log: (line: string) => void): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (e) {
    process.stderr.write(`skiff killall: ${(e as Error).message}\n\n${KILLALL_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(KILLALL_USAGE);
    return 0;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  await stopServer(dataDir, log);
  const config = readAgentConfig(dataDir);
  if (!config) {
    log(`no node agent ever ran on ${dataDir}: nothing to remove`);
    return 0;
  }
  let failed = false;
  // the runtime the agent last ran with, and the other one's root if an earlier run left containers there
  const runtimes = OCI_RUNTIMES.filter((name) => name === (config.containerRuntime ?? 'runc') || existsSync(join(config.stateDir, name)));
  for (const name of runtimes) {
    const runcRoot = name === (config.containerRuntime ?? 'runc') ? config.runcRoot : join(config.stateDir, name);
    const r = await killAllContainers({ stateDir: config.stateDir, runcRoot, runcPath: ociRuntimePath(name), cgroupParent: config.cgroupParent });
    log(`containers stopped (${name}): ${r.containers.length}, mounts removed: ${r.unmounted.length}${r.stragglers.length ? `, processes left in their cgroups killed: ${r.stragglers.length}` : ''}`);
    if (r.cgroupsLeft.length > 0) {
      failed = true;
      log(`cgroups still busy: ${r.cgroupsLeft.join(', ')}`);
    }
  }
  try {
    await removeProxyRules(config.proxyTag ?? config.cgroupParent);
    log('service proxy rules removed');
  } catch (e) {
    failed = true;
    log(`service proxy: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    await removeHostPortRules(hostPortTable(config.proxyTag ?? config.cgroupParent));
    log('hostPort rules removed');
  } catch (e) {
    failed = true;
    log(`hostPort rules: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    await removeAllPodNetworking({ stateDir: join(config.stateDir, 'network'), bridgeName: config.bridgeName, netnsPrefix: config.netnsPrefix });
    log(`pod network removed (bridge ${config.bridgeName}, namespaces ${config.netnsPrefix}*)`);
  } catch (e) {
    failed = true;
    log(`pod network: ${e instanceof Error ? e.message : String(e)}`);
  }
  return failed ? 1 : 0;
}

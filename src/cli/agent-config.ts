// The node agent's machine-level names, derived from the data dir and persisted in
// DATA/agent/agent.json, so that `skiff killall --data-dir DIR` removes exactly what the agent of
// DIR made — and never what another skiff on the same machine (another data dir) runs.
//
// The default data dir (~/.skiff) gets the plain names (`skiff-` namespaces, cgroup `skiff`);
// any other data dir gets names with a short hash of its path (`sk<hash8>-` namespaces, cgroup
// `skiff-<hash8>`), so test clusters and benchmarks can run beside a developer's cluster.
// Namespaces are found by prefix, so no data dir's prefix may start another's: `skiff-` does not
// start `sk<hash8>-` (a hash has no "iff-"), and two hashes differ.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../apiserver/atomic-file.js';
import type { OciRuntimeName } from '../runtime/runc/oci-runtimes.js';
import { defaultDataDir } from './flags.js';

export interface AgentConfig {
  /** DATA/agent: runtime state, pods, logs */
  readonly stateDir: string;
  /** the Linux bridge pods attach to */
  readonly bridgeName: string;
  /** prefix of the pods' network namespaces in /run/netns */
  readonly netnsPrefix: string;
  /** cgroup parent of every container */
  readonly cgroupParent: string;
  /** the OCI runtime of the containers (absent in configs written before it could be chosen: runc) */
  readonly containerRuntime?: OciRuntimeName;
  /** the OCI runtime's --root (`DATA/agent/runc` or `DATA/agent/crun`) */
  readonly runcRoot: string;
  /** names of the service proxy's nftables table, iptables chains and interfaces derive from it */
  readonly proxyTag: string;
}

/** The nftables table (family ip) of the node's hostPort rules, named after the proxy's tag. */
export function hostPortTable(proxyTag: string): string {
  return `${proxyTag}-hostports`;
}

export function agentStateDir(dataDir: string): string {
  return join(dataDir, 'agent');
}

function configFile(dataDir: string): string {
  return join(agentStateDir(dataDir), 'agent.json');
}

/** The names for `dataDir` with the given bridge and OCI runtime; written to DATA/agent/agent.json. */
export function prepareAgentConfig(dataDir: string, bridgeName: string, containerRuntime: OciRuntimeName = 'runc'): AgentConfig {
  const stateDir = agentStateDir(dataDir);
  const isDefault = resolve(dataDir) === resolve(defaultDataDir());
  const tag = isDefault ? '' : `${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 8)}`;
  const config: AgentConfig = {
    stateDir,
    bridgeName,
    netnsPrefix: tag ? `sk${tag}-` : 'skiff-',
    cgroupParent: tag ? `skiff-${tag}` : 'skiff',
    containerRuntime,
    runcRoot: join(stateDir, containerRuntime),
    proxyTag: tag ? `skiff-${tag}` : 'skiff',
  };
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(configFile(dataDir), `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return config;
}

/** What the agent of `dataDir` last ran with; undefined when it never ran. */
export function readAgentConfig(dataDir: string): AgentConfig | undefined {
  const f = configFile(dataDir);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as AgentConfig;
}

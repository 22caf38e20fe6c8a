// The iptables proxy mode (kube-proxy's classic design) as a ProxyBackend. Every sync computes the
// desired chains (rules.ts), compares them chain by chain with what the previous sync applied and
// writes only the chains that changed, the stale ones deleted, in one `iptables-restore --noflush`
// (one transaction per table). The first sync — and the one after a failure — reads the tables
// back with iptables-save, rewrites every chain of this tag, deletes leftovers and inserts the
// jumps from the built-in chains that are missing (once; they are never rewritten).
import type { ProxyBackend, ProxyBackendOptions, ProxyState } from '../model.js';
import { iptablesRestore, iptablesSave } from './iptables-command.js';
import { chainPrefix } from './names.js';
import { networkInterfaces } from 'node:os';
import { listeningPorts, type ListeningPorts } from '../ports-in-use.js';
import { buildRules, jumpRules, type ChainRules, type NodeEnvironment } from './rules.js';
import { applyProxySysctls } from '../machine-settings.js';
import { removeIptablesRules } from './remove.js';

type Table = 'nat' | 'filter';
const TABLES: readonly Table[] = ['nat', 'filter'];

export interface IptablesSyncResult {
  /** false when the state gave the same rules as the previous sync (nothing was run) */
  readonly applied: boolean;
  /** chains written (declared and filled) */
  readonly chainsWritten: number;
  /** chains deleted */
  readonly chainsDeleted: number;
  /** lines fed to iptables-restore */
  readonly lines: number;
  readonly full: boolean;
}

/** How often a sync first checks that the tables still hold what the last one wrote. */
export const VERIFY_INTERVAL_MS = 60_000;

export interface IptablesBackendOptions extends ProxyBackendOptions {
  /** check interval (iptables-save, compare jumps, chains and rule counts); default VERIFY_INTERVAL_MS */
  readonly verifyIntervalMs?: number;
  readonly now?: () => number;
  /** the node's environment for LoadBalancer ingress on node addresses; default: read from the machine */
  readonly environment?: () => NodeEnvironment;
}

/** The machine's local IPv4 addresses and, read once when first asked, its listening ports. */
export function machineEnvironment(): NodeEnvironment {
  const localAddresses = new Set<string>();
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4') localAddresses.add(a.address);
  let ports: ListeningPorts | undefined;
  return {
    localAddresses,
    portInUse: (protocol, port) => {
      ports ??= listeningPorts();
      return protocol === 'udp' ? ports.udp.has(port) : protocol === 'tcp' ? ports.tcp.has(port) : false;
    },
  };
}

export class IptablesBackend implements ProxyBackend {
  readonly mode = 'iptables' as const;
  readonly prefix: string;
  private readonly tag: string;
  private readonly log: (line: string) => void;
  private readonly opts: IptablesBackendOptions;
  /** warnings already reported as Events (each once while it lasts) */
  private reported = new Set<string>();
  /** chain → its rules joined, per table, as the last successful sync left them; undefined: unknown */
  private applied: Record<Table, Map<string, string>> | undefined;
  private sysctlsDone = false;
  private lastVerified = 0;
  /** what the last sync did (for tests and the benchmark) */
  lastSync: IptablesSyncResult | undefined;

  constructor(opts: IptablesBackendOptions) {
    this.opts = opts;
    this.tag = opts.tag;
    this.prefix = chainPrefix(opts.tag);
    this.log = opts.log ?? (() => undefined);
  }

  /**
   * Makes the nat and filter tables hold exactly the chains for `state` (IPv4 only). Rejects with an
   * IptablesError when iptables-restore refuses the change; the previous rules then stay in place
   * and the next sync is a full one.
   */
  async sync(state: ProxyState): Promise<void> {
    if (!this.sysctlsDone) {
      for (const line of await applyProxySysctls()) this.log(`proxy iptables: sysctl ${line}`);
      this.sysctlsDone = true;
    }
    const now = (this.opts.now ?? Date.now)();
    if (this.applied && now - this.lastVerified >= (this.opts.verifyIntervalMs ?? VERIFY_INTERVAL_MS)) {
      const drift = await this.drift();
      if (drift) {
        this.log(`proxy iptables: ${drift}; rewriting every chain`);
        this.applied = undefined;
      }
      this.lastVerified = now;
    }
    const built = buildRules(state, this.prefix, (this.opts.environment ?? machineEnvironment)());
    this.report(built.warnings);
    const desired: Record<Table, Map<string, string>> = { nat: joined(built.nat), filter: joined(built.filter) };
    const full = this.applied === undefined;
    const previous: Record<Table, Set<string>> = { nat: new Set(), filter: new Set() };
    const saved: Record<Table, string> = { nat: '', filter: '' };
    if (full) {
      for (const table of TABLES) {
        saved[table] = await iptablesSave(table);
        for (const m of saved[table].matchAll(/^:(\S+)/gm)) if (m[1]!.startsWith(`${this.prefix}-`)) previous[table].add(m[1]!);
      }
    } else {
      for (const table of TABLES) for (const chain of this.applied![table].keys()) previous[table].add(chain);
    }

    let text = '';
    let chainsWritten = 0;
    let chainsDeleted = 0;
    for (const table of TABLES) {
      const declare: string[] = [];
      const rules: string[] = [];
      const tail: string[] = [];
      for (const [chain, content] of desired[table]) {
        if (!full && this.applied![table].get(chain) === content) continue;
        declare.push(`:${chain} - [0:0]`);
        for (const r of built[table].get(chain)!) rules.push(`-A ${chain} ${r}`);
        chainsWritten++;
      }
      for (const chain of previous[table]) {
        if (desired[table].has(chain)) continue;
        declare.push(`:${chain} - [0:0]`);
        tail.push(`-X ${chain}`);
        chainsDeleted++;
      }
      if (full) {
        // insert missing jumps at the top of the built-in chains, keeping their listed order
        const missing = jumpRules(this.prefix, this.tag).filter(
          (j) => j.table === table && !hasJump(saved[table], j.chain, j.target),
        );
        for (const j of missing.reverse()) tail.push(`-I ${j.chain} 1 ${j.args}`);
      }
      if (declare.length + rules.length + tail.length === 0) continue;
      text += `*${table}\n${declare.join('\n')}\n${rules.join('\n')}\n${tail.join('\n')}\nCOMMIT\n`;
    }
    const lines = text === '' ? 0 : text.split('\n').length - 1;
    if (text === '') {
      this.lastSync = { applied: false, chainsWritten: 0, chainsDeleted: 0, lines: 0, full };
      return;
    }
    try {
      await iptablesRestore(text.replace(/\n\n+/g, '\n'));
    } catch (e) {
      this.applied = undefined;
      throw e;
    }
    this.applied = desired;
    if (full) this.lastVerified = now;
    this.lastSync = { applied: true, chainsWritten, chainsDeleted, lines, full };
  }

  /**
   * What differs between the tables and the last applied chains (someone flushed a chain, deleted a
   * jump, `iptables -F`…), or undefined when they agree: jumps present, every chain there with its
   * number of rules.
   */
  private async drift(): Promise<string | undefined> {
    for (const table of TABLES) {
      const saved = await iptablesSave(table);
      for (const j of jumpRules(this.prefix, this.tag)) {
        if (j.table === table && !hasJump(saved, j.chain, j.target)) return `jump ${j.chain} → ${j.target} missing`;
      }
      const counts = new Map<string, number>();
      for (const m of saved.matchAll(/^:(\S+)/gm)) if (m[1]!.startsWith(`${this.prefix}-`)) counts.set(m[1]!, 0);
      for (const m of saved.matchAll(/^-A (\S+) /gm)) if (counts.has(m[1]!)) counts.set(m[1]!, counts.get(m[1]!)! + 1);
      for (const [chain, content] of this.applied![table]) {
        const want = content === '' ? 0 : content.split('\n').length;
        if (counts.get(chain) !== want) return `${table} chain ${chain} has ${counts.get(chain) ?? 'no'} rules, ${want} expected`;
      }
    }
    return undefined;
  }

  private report(warnings: readonly { namespace: string; name: string; reason: string; message: string }[]): void {
    const now = new Set<string>();
    for (const w of warnings) {
      const key = `${w.namespace}/${w.name} ${w.message}`;
      now.add(key);
      if (this.reported.has(key)) continue;
      this.log(`proxy iptables: ${w.namespace}/${w.name}: ${w.reason}: ${w.message}`);
      this.opts.onServiceEvent?.(w.namespace, w.name, 'Warning', w.reason, w.message);
    }
    this.reported = now;
  }

  /** Removes the jumps and every chain of this tag from nat and filter. Idempotent. */
  async cleanup(): Promise<void> {
    this.applied = undefined;
    await removeIptablesRules(this.tag);
  }
}

function joined(rules: ChainRules): Map<string, string> {
  const out = new Map<string, string>();
  for (const [chain, list] of rules) out.set(chain, list.join('\n'));
  return out;
}

/** Whether iptables-save output holds a rule in `chain` jumping to `target`. */
export function hasJump(saved: string, chain: string, target: string): boolean {
  const head = `-A ${chain} `;
  for (const line of saved.split('\n')) {
    if (line.startsWith(head) && (line.endsWith(` -j ${target}`) || line.includes(` -j ${target} `))) return true;
  }
  return false;
}

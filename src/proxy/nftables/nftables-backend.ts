// NftablesBackend: the nftables proxy mode. Each sync renders the desired table (ruleset.ts), diffs
// it against the last applied one and runs the difference as one `nft -f -` transaction. The table
// is `ip <tag>` and is the only thing it touches; `cleanup()` / `removeNftablesRules(tag)` delete it.
//
// Contract (ProxyBackend): syncs are never concurrent (the ServiceProxy's job); a failed sync leaves
// the previous rules in place (the transaction is all or nothing) and the next sync rebuilds the
// table from scratch. The first sync also sets the machine settings in machine-settings.ts.
import { networkInterfaces } from 'node:os';
import type { ProxyBackend, ProxyBackendOptions, ProxyState } from '../model.js';
import { applyProxySysctls } from '../machine-settings.js';
import { nft, nftApply, nftTableExists } from '../../network/nft-command.js';
import { listeningPorts } from '../ports-in-use.js';
import { desiredRuleset, syncScript, type Ruleset, type RulesetEnvironment } from './ruleset.js';

export interface NftablesBackendOptions extends ProxyBackendOptions {
  /** default: IPv4 addresses of os.networkInterfaces() (127.0.0.1 included), read at every sync */
  readonly localAddresses?: () => Iterable<string>;
  /** default: listeners from /proc/net/{tcp,udp}[6] */
  readonly portInUse?: (protocol: string, port: number) => boolean;
  /** set ip_forward, route_localnet, bridge-nf-call-iptables on the first sync; default true */
  readonly setSysctls?: boolean;
}

export interface NftablesSyncReport {
  /** script lines sent (0: nothing changed, nft not run) */
  readonly lines: number;
  /** whole table rebuilt (first sync or after a failure) */
  readonly full: boolean;
  /** time spent in `nft -f` */
  readonly nftMs: number;
}

export class NftablesBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  readonly tag: string;
  private applied?: Ruleset;
  private sysctlsDone = false;
  private warned = new Set<string>();
  /** figures of the last sync (for benchmarks and logs) */
  lastSync?: NftablesSyncReport;

  constructor(private readonly opts: NftablesBackendOptions) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(opts.tag)) throw new TypeError(`nftables table tag: expected [A-Za-z][A-Za-z0-9_-]{0,63}, got ${JSON.stringify(opts.tag)}`);
    this.tag = opts.tag;
  }

  async sync(state: ProxyState): Promise<void> {
    if (!this.sysctlsDone && this.opts.setSysctls !== false) {
      const changed = await applyProxySysctls();
      for (const c of changed) this.log(`sysctl ${c}`);
      this.sysctlsDone = true;
    }
    const { ruleset, warnings } = desiredRuleset(state, this.environment());
    const script = syncScript(this.tag, this.applied, ruleset);
    const full = this.applied === undefined;
    const t0 = performance.now();
    if (script) {
      this.applied = undefined; // until nft confirms: a failure means "unknown", so rebuild next time
      await nftApply(script);
    }
    this.applied = ruleset;
    this.lastSync = { lines: script ? script.split('\n').length - 1 : 0, full, nftMs: performance.now() - t0 };
    this.report(warnings);
  }

  async cleanup(): Promise<void> {
    this.applied = undefined;
    this.warned.clear();
    await removeNftablesRules(this.tag);
  }

  private environment(): RulesetEnvironment {
    const local = new Set<string>(this.opts.localAddresses ? this.opts.localAddresses() : localIPv4Addresses());
    if (this.opts.portInUse) return { localAddresses: local, portInUse: this.opts.portInUse };
    let ports: ReturnType<typeof listeningPorts> | undefined;
    return {
      localAddresses: local,
      portInUse: (proto, port) => {
        ports ??= listeningPorts();
        return (proto === 'udp' ? ports.udp : ports.tcp).has(port);
      },
    };
  }

  /** one Event per new problem; a problem that went away may be reported again later */
  private report(warnings: readonly { namespace: string; name: string; reason: string; message: string }[]): void {
    const now = new Set<string>();
    for (const w of warnings) {
      const k = `${w.namespace}/${w.name} ${w.message}`;
      now.add(k);
      if (this.warned.has(k)) continue;
      this.log(`${w.namespace}/${w.name}: ${w.reason}: ${w.message}`);
      this.opts.onServiceEvent?.(w.namespace, w.name, 'Warning', w.reason, w.message);
    }
    this.warned = now;
  }

  private log(line: string): void {
    this.opts.log?.(`nftables proxy (${this.tag}): ${line}`);
  }
}

/** Deletes table `ip <tag>` if present (skiff killall, cleanup); idempotent. */
export async function removeNftablesRules(tag: string): Promise<void> {
  if (await nftTableExists(tag)) await nft(['delete', 'table', 'ip', tag]);
}

function localIPv4Addresses(): string[] {
  const out = ['127.0.0.1'];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') out.push(a.address);
  return out;
}

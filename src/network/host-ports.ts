// hostPort: a container port published on the node's own addresses, as the CNI portmap plugin
// does for Kubernetes' runtimes. The rules are one nftables table, `ip <table>`, that this module
// alone writes, and always as a whole (one atomic `nft -f` transaction: the table deleted and
// made again), so it never drifts from what `HostPorts` holds:
//
//   chain prerouting  (nat, priority -101: before the service proxy's -100)   traffic from other
//                     machines and from pods:  fib daddr type local jump hostports
//   chain output      (nat, -101)   the node's own traffic, 127.0.0.1 included (a loopback
//                     source may only be routed to the pod bridge with route_localnet = 1 on it,
//                     which HostPorts sets on the bridge, as the CNI portmap plugin does)
//   chain hostports   per mapping, those with a hostIP first:
//                     [ip daddr HOSTIP] tcp dport HOSTPORT dnat to PODIP:CONTAINERPORT
//   chain postrouting (nat, srcnat - 1 = 99) masquerade what the pod could not answer directly:
//                     a loopback source, and the pod reaching itself through a node address
//                     (hairpin: it would drop a packet from its own address). Other pods of the
//                     node that reach it through a node address keep their source: its answer,
//                     bridged straight back, passes the node's connection tracking through
//                     br_netfilter (bridge-nf-call-iptables = 1, which the kernel proxy modes
//                     set, and which Kubernetes asks of every node). The rule matches addresses,
//                     not the input interface: a bridged packet has none in postrouting.
//
// The table stays when skiff exits (pods keep serving, as their containers keep running); a
// restarted node rebuilds it from its sandboxes (`restore`), and `skiff killall` removes it
// (`removeHostPortRules`). Nodes whose pods have no hostPort never create it. Two pods of a node
// cannot publish the same protocol and port on overlapping addresses: the second is refused
// (the scheduler's NodePorts filter keeps such pods apart in the first place).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatIPv4, parseIPv4 } from './ipv4.js';
import { nft, nftApply, nftTableExists } from './nft-command.js';

export type HostPortProtocol = 'TCP' | 'UDP' | 'SCTP';

/** One published port of a pod, as the pod spec gives it (containers[].ports[] with a hostPort). */
export interface HostPortMapping {
  readonly protocol: HostPortProtocol;
  readonly hostPort: number;
  readonly containerPort: number;
  /** a node address to publish on; unset, '' or 0.0.0.0: every address of the node */
  readonly hostIP?: string;
}

/** A mapping of one sandbox, with where it leads. */
export interface HostPortEntry extends HostPortMapping {
  readonly sandboxId: string;
  /** `namespace/name`, for messages */
  readonly pod: string;
  readonly podIP: string;
}

/** A mapping refused: another pod of the node publishes the same port, or it cannot be expressed. */
export class HostPortError extends Error {
  override readonly name = 'HostPortError';
}

const PROTOCOL_MATCH: Readonly<Record<HostPortProtocol, string>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

const anyAddress = (ip: string | undefined): boolean => ip === undefined || ip === '' || ip === '0.0.0.0';

/** Throws HostPortError for a mapping the table cannot hold (this checks what nft would otherwise choke on). */
export function checkMapping(m: HostPortMapping, podIP: string): void {
  if (!Object.hasOwn(PROTOCOL_MATCH, m.protocol)) throw new HostPortError(`hostPort ${m.hostPort}: unsupported protocol ${String(m.protocol)}`);
  for (const [what, port] of [['hostPort', m.hostPort], ['containerPort', m.containerPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new HostPortError(`${what} ${String(port)}: expected 1..65535`);
  }
  if (!anyAddress(m.hostIP) && parseIPv4(m.hostIP!) === undefined) throw new HostPortError(`hostIP ${m.hostIP}: only IPv4 addresses can be published (skiff's pod network is IPv4)`);
  if (parseIPv4(podIP) === undefined) throw new HostPortError(`pod IP ${podIP}: expected an IPv4 address`);
}

/** Whether two mappings would catch the same packets. */
function overlaps(a: HostPortMapping, b: HostPortMapping): boolean {
  if (a.protocol !== b.protocol || a.hostPort !== b.hostPort) return false;
  return anyAddress(a.hostIP) || anyAddress(b.hostIP) || a.hostIP === b.hostIP;
}

/** The nft script that makes table `ip <table>` hold exactly `entries` (deleting it when there are none). */
export function hostPortTableScript(table: string, entries: readonly HostPortEntry[]): string {
  const lines = [`add table ip ${table}`, `delete table ip ${table}`];
  if (entries.length === 0) return `${lines.join('\n')}\n`;
  // the ones bound to one address first (a stable sort: otherwise in the given order, newest first)
  const ordered = [...entries].sort((a, b) => Number(anyAddress(a.hostIP)) - Number(anyAddress(b.hostIP)));
  const dnat = ordered.map((e) => `    ${anyAddress(e.hostIP) ? '' : `ip daddr ${e.hostIP} `}${PROTOCOL_MATCH[e.protocol]} dport ${e.hostPort} dnat to ${e.podIP}:${e.containerPort} comment "${e.pod}"`);
  const masquerade = ordered.flatMap((e) => {
    const to = `ip daddr ${e.podIP} ${PROTOCOL_MATCH[e.protocol]} dport ${e.containerPort} ct status dnat`;
    return [`    ip saddr 127.0.0.0/8 ${to} masquerade`, `    ip saddr ${e.podIP} ${to} masquerade`];
  });
  lines.push(
    `table ip ${table} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority -101; policy accept;',
    '    fib daddr type local jump hostports',
    '  }',
    '  chain output {',
    '    type nat hook output priority -101; policy accept;',
    '    fib daddr type local jump hostports',
    '  }',
    '  chain hostports {',
    ...dnat,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 99; policy accept;',
    ...[...new Set(masquerade)],
    '  }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}

export interface HostPortsOptions {
  /** the nftables table (family ip) this node's hostPort rules live in */
  readonly table: string;
  /** applies an nft script as one transaction; default `nft -f -` */
  readonly apply?: (script: string) => Promise<void>;
  /** whether the table exists now; default asks nft */
  readonly tableExists?: (table: string) => Promise<boolean>;
  /**
   * the pod bridge: it gets route_localnet = 1 (so 127.0.0.1:hostPort reaches the pod) before a
   * mapping is published; without it, that setting is left alone (tests)
   */
  readonly bridge?: string;
}

/**
 * The node's hostPort mappings and their table. Calls are applied one at a time, in order; each
 * resolves once the kernel has the rules (or rejects, leaving the previous rules and state).
 */
export class HostPorts {
  readonly table: string;
  readonly #apply: (script: string) => Promise<void>;
  readonly #tableExists: (table: string) => Promise<boolean>;
  readonly #bridge: string | undefined;
  #entries: HostPortEntry[] = [];
  /** whether the table may exist (written by this object, or not known to be absent) */
  #written = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: HostPortsOptions) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(opts.table)) throw new Error(`hostPort table name ${JSON.stringify(opts.table)}: expected a letter, then letters, digits, - or _`);
    this.table = opts.table;
    this.#apply = opts.apply ?? nftApply;
    this.#tableExists = opts.tableExists ?? nftTableExists;
    if (opts.bridge !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(opts.bridge)) throw new Error(`bridge ${JSON.stringify(opts.bridge)}: expected an interface name`);
    this.#bridge = opts.bridge;
  }

  /** The mappings in force. */
  entries(): readonly HostPortEntry[] {
    return this.#entries;
  }

  /**
   * Publishes a sandbox's mappings (replacing any it had). Rejects with HostPortError, changing
   * nothing, when one is invalid or another pod's sandbox publishes an overlapping one. An older
   * sandbox of the same pod (one whose withdrawal failed) does not block it: the newest sandbox's
   * rules come first, so they win.
   */
  add(sandboxId: string, pod: string, podIP: string, mappings: readonly HostPortMapping[]): Promise<void> {
    return this.#serial(async () => {
      const others = this.#entries.filter((e) => e.sandboxId !== sandboxId);
      const mine: HostPortEntry[] = [];
      for (const m of mappings) {
        checkMapping(m, podIP);
        const clash = [...others.filter((e) => e.pod !== pod), ...mine].find((e) => overlaps(e, m));
        if (clash) {
          const where = anyAddress(m.hostIP) ? '' : ` on ${m.hostIP}`;
          const whose = clash.sandboxId === sandboxId ? 'this pod already' : `pod ${clash.pod}`;
          throw new HostPortError(`hostPort ${m.hostPort}/${m.protocol}${where}: ${whose} publishes it on this node`);
        }
        mine.push({ sandboxId, pod, podIP, protocol: m.protocol, hostPort: m.hostPort, containerPort: m.containerPort, ...(anyAddress(m.hostIP) ? {} : { hostIP: formatIPv4(parseIPv4(m.hostIP!)!) }) });
      }
      if (mine.length === 0 && others.length === this.#entries.length) return;
      await this.#write([...mine, ...others]);
    });
  }

  /** Withdraws a sandbox's mappings; nothing happens for a sandbox without any. */
  remove(sandboxId: string): Promise<void> {
    return this.#serial(async () => {
      const left = this.#entries.filter((e) => e.sandboxId !== sandboxId);
      if (left.length !== this.#entries.length) await this.#write(left);
    });
  }

  /**
   * Makes the table hold exactly `entries` (after a restart: the mappings of the sandboxes still
   * running); mappings that do not fit are left out and returned with their reason.
   */
  restore(entries: readonly HostPortEntry[]): Promise<{ entry: HostPortEntry; reason: string }[]> {
    return this.#serial(async () => {
      const kept: HostPortEntry[] = [];
      const dropped: { entry: HostPortEntry; reason: string }[] = [];
      for (const e of entries) {
        try {
          checkMapping(e, e.podIP);
          const clash = kept.find((k) => overlaps(k, e));
          if (clash) throw new HostPortError(`overlaps pod ${clash.pod}'s hostPort ${clash.hostPort}/${clash.protocol}`);
          kept.push(e);
        } catch (err) {
          dropped.push({ entry: e, reason: err instanceof Error ? err.message : String(err) });
        }
      }
      // a table left by an earlier run goes when nothing is published any more
      if (kept.length === 0 && (await this.#tableExists(this.table))) this.#written = true;
      await this.#write(kept);
      return dropped;
    });
  }

  /** Removes every mapping and the table. */
  cleanup(): Promise<void> {
    return this.#serial(async () => {
      await removeHostPortRules(this.table);
      this.#entries = [];
      this.#written = false;
    });
  }

  async #write(entries: HostPortEntry[]): Promise<void> {
    if (entries.length === 0 && !this.#written && this.#entries.length === 0) return;
    if (entries.length > 0 && this.#bridge) allowLoopbackSources(this.#bridge);
    await this.#apply(hostPortTableScript(this.table, entries));
    this.#entries = entries;
    this.#written = entries.length > 0;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * net.ipv4.conf.<bridge>.route_localnet = 1: a connection from 127.0.0.1 may be routed to the
 * bridge after its DNAT (then masqueraded). Only the bridge's own setting, which goes with it.
 */
function allowLoopbackSources(bridge: string): void {
  const path = `/proc/sys/net/ipv4/conf/${bridge}/route_localnet`;
  if (!existsSync(path)) throw new HostPortError(`the pod bridge ${bridge} does not exist`);
  if (readFileSync(path, 'utf8').trim() !== '1') writeFileSync(path, '1');
}

/** Deletes table `ip <table>` if it exists (`skiff killall`). */
export async function removeHostPortRules(table: string): Promise<void> {
  if (await nftTableExists(table)) await nft(['delete', 'table', 'ip', table]);
}

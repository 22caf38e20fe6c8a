// The pod network of one node, in the way of CNI's bridge + host-local plugins: a node bridge
// holding the gateway (first address of the node's podCIDR), and per pod sandbox a named network
// namespace (/run/netns/<prefix><sandboxId>, visible to `ip netns`) with `lo` up and `eth0` — the
// peer of a veth pair whose host side is a port of the bridge — carrying the pod's IP and a default
// route via the gateway. Pods reach each other at layer 2 through the bridge, without NAT; the node
// reaches them through the bridge's connected route.
//
// Contract:
// - `setUp(id)` is idempotent per sandbox id: a sandbox already set up gets its existing network; one
//   half set up (crash, failed command) is rebuilt with the IP it holds. The IP is persisted before
//   any link is made (HostLocalIPAM), so a crash never hands one address to two sandboxes.
// - `tearDown(id)` removes the veth pair and the namespace and frees the IP; idempotent, and it
//   cleans a half set-up sandbox too.
// - Operations on one sandbox id are serialized; different sandboxes are set up concurrently.
// - Failures are NetworkErrors with a reason (NetworkNotReady, NoIPAddressesAvailable,
//   InvalidSandboxId, NetworkSetupFailed); a failed setUp leaves nothing behind (IP freed).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBridge, linkExists, masterOf } from './bridge.js';
import { NetworkError } from './errors.js';
import { IpBatcher } from './ip-batcher.js';
import { HostLocalIPAM, type Allocation, type PodRef } from './ipam.js';
import { failureText, IP_BINARY, ipBatch, ipJson, localRunner, type ProcessRunner } from './ip-command.js';
import { formatIPv4, PodSubnet } from './ipv4.js';
import { ensureNetnsDir } from './netns-dir.js';
import { loadPodNetns, type PodSideSetUp } from './pod-netns-addon.js';
import { KeyedSerial } from '../api/keyed-serial.js';

export const DEFAULT_BRIDGE_NAME = 'skiff0';
export const DEFAULT_NETNS_PREFIX = 'skiff-';
/** where `ip netns` keeps named network namespaces */
export const NETNS_DIR = '/run/netns';
/** the interface name inside every pod */
export const POD_INTERFACE = 'eth0';
/** util-linux unshare: makes a sandbox's namespaces and bind-mounts them on files */
export const UNSHARE_BINARY = 'unshare';

/** Files (existing, empty) on which `setUp` bind-mounts new UTS / IPC namespaces for the sandbox. */
export interface SandboxNamespaces {
  readonly uts?: string;
  readonly ipc?: string;
}

export interface PodNetworkOptions {
  /** DATA/agent/network; the IPAM state lives in its `ipam/` folder */
  readonly stateDir: string;
  /** default 'skiff0' */
  readonly bridgeName?: string;
  /** default 'skiff-'; namespaces are /run/netns/<prefix><sandboxId> */
  readonly netnsPrefix?: string;
  /** MTU of the bridge and the veth pairs; default: the kernel's (1500) */
  readonly mtu?: number;
  /** how `ip` is started for pod set-ups and tear-downs (default: from this process) */
  readonly runner?: ProcessRunner;
  /**
   * how a sandbox's namespaces and the pod side of its network are made: `netlink`, in this
   * process through skiff's addon (native/pod-netns, pod-netns-addon.ts), or `ip`, by
   * `unshare … ip -batch -`. Default: netlink where the addon is built (SKIFF_POD_NETNS=ip: ip).
   */
  readonly podSide?: 'netlink' | 'ip';
  /**
   * how the host side of each veth (bridge port, hairpin, up) is made when the pod side is made by
   * netlink: `netlink`, by the addon too (where the built addon can), or `ip`, by the node's shared
   * `ip -batch`. Default: netlink where the addon can (SKIFF_POD_NETNS_HOST=ip: ip).
   */
  readonly hostSide?: 'netlink' | 'ip';
}

export interface PodNetworkStatus {
  readonly sandboxId: string;
  readonly netnsPath: string;
  readonly ip: string;
  readonly gateway: string;
  readonly prefixLength: number;
  /** host side of the veth pair */
  readonly hostVeth: string;
  readonly pod?: PodRef;
}

export interface PodNetworkSetUp {
  readonly netnsPath: string;
  readonly ip: string;
  readonly gateway: string;
  readonly prefixLength: number;
}

/** IPAM state folder under the network state dir. */
export function ipamDir(stateDir: string): string {
  return join(stateDir, 'ipam');
}

/** Folder of the transient pod-side batch files under the network state dir. */
export function batchDir(stateDir: string): string {
  return join(stateDir, 'batch');
}

const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export class PodNetwork {
  readonly bridgeName: string;
  readonly netnsPrefix: string;
  private readonly mtu: number | undefined;
  private readonly ipam: HostLocalIPAM;
  /** the node's network namespace, where the host side of each veth pair is born */
  private readonly nodeNetns = `/proc/${process.pid}/ns/net`;
  private readonly serial = new KeyedSerial();
  /** node-side commands of concurrent set-ups and tear-downs share one ip process */
  private readonly nodeSide: IpBatcher;
  private readonly runner: ProcessRunner;
  private subnet: PodSubnet | undefined;
  /** the bridge set up for the current subnet (reset on a new CIDR or a failure) */
  private bridgeReady: Promise<void> | undefined;
  /** the addon's pod-side set-up, unless `unshare … ip` makes the pod side */
  private readonly netlink: PodSideSetUp | undefined;
  /** the addon makes the host side too (else the node-side ip batch does) */
  private readonly netlinkHostSide: boolean;

  /** Reads the persisted allocations synchronously: `get`/`list` reflect them at once. */
  constructor(opts: PodNetworkOptions) {
    this.bridgeName = opts.bridgeName ?? DEFAULT_BRIDGE_NAME;
    this.netnsPrefix = opts.netnsPrefix ?? DEFAULT_NETNS_PREFIX;
    this.mtu = opts.mtu;
    this.runner = opts.runner ?? localRunner;
    this.nodeSide = new IpBatcher(this.runner);
    if (this.bridgeName.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(this.bridgeName)) {
      throw new TypeError(`bridgeName: expected a link name of at most 15 letters, digits, '_', '.', '-', got "${this.bridgeName}"`);
    }
    if (!/^[A-Za-z0-9_.-]*$/.test(this.netnsPrefix)) {
      throw new TypeError(`netnsPrefix: expected letters, digits, '_', '.', '-', got "${this.netnsPrefix}"`);
    }
    this.ipam = new HostLocalIPAM(ipamDir(opts.stateDir));
    const podSide = opts.podSide ?? (process.env.SKIFF_POD_NETNS === 'ip' ? 'ip' : undefined);
    const addon = podSide === 'ip' ? {} : loadPodNetns();
    if (podSide === 'netlink' && !addon.setUp) throw new TypeError(`podSide netlink: the skiff-pod-netns addon is not available (${addon.error})`);
    this.netlink = addon.setUp;
    const hostSide = opts.hostSide ?? (process.env.SKIFF_POD_NETNS_HOST === 'ip' ? 'ip' : 'netlink');
    this.netlinkHostSide = addon.setUp !== undefined && addon.hostSide === true && hostSide === 'netlink';
  }

  /** The node's pod CIDR (Node.spec.podCIDR). Throws a TypeError when it is not an IPv4 CIDR of at most /30. */
  setPodCIDR(cidr: string): void {
    const subnet = new PodSubnet(cidr);
    if (this.subnet?.canonical === subnet.canonical) return;
    this.subnet = subnet;
    this.bridgeReady = undefined;
  }

  /** The pod CIDR set, normalized (`10.42.0.0/24`); undefined until `setPodCIDR`. */
  get podCIDR(): string | undefined {
    return this.subnet?.canonical;
  }

  netnsPath(sandboxId: string): string {
    return join(NETNS_DIR, this.netnsPrefix + sandboxId);
  }

  /**
   * Creates the sandbox's network (see the file comment) and resolves with its namespace path and
   * address. Idempotent per sandbox id. Rejects with NetworkNotReady before `setPodCIDR`.
   * `namespaces`: the sandbox's other namespaces, made by the same process as the network namespace
   * and bind-mounted on these (existing) files; for a sandbox whose network is already complete
   * they are made by a process of their own.
   */
  setUp(sandboxId: string, pod: PodRef, opts: { namespaces?: SandboxNamespaces } = {}): Promise<PodNetworkSetUp> {
    const namespaces = opts.namespaces ?? {};
    checkSandboxId(sandboxId);
    return this.serial.run(sandboxId, async () => {
      const subnet = this.subnet;
      if (!subnet) {
        throw new NetworkError('NetworkNotReady', 'network is not ready: the node has no pod CIDR yet (Node.spec.podCIDR is unset)');
      }
      await this.ensureBridge(subnet);
      let a = this.ipam.get(sandboxId);
      if (a && (await this.isComplete(a))) {
        if (namespaces.uts || namespaces.ipc) await this.unshareOnly(namespaces);
        return setUpResult(a);
      }
      try {
        a ??= await this.ipam.allocate(subnet, sandboxId, (address) => this.newAllocation(sandboxId, address, subnet, pod));
        await this.deleteLinks(a.netnsName, a.hostVeth); // leftovers of a half set-up attempt
        await this.createLinks(a, namespaces);
        return setUpResult(a);
      } catch (e) {
        const held = this.ipam.get(sandboxId);
        if (held) {
          await this.deleteLinks(held.netnsName, held.hostVeth).catch(() => undefined);
          await this.ipam.release(sandboxId);
        }
        throw e;
      }
    });
  }

  /** Deletes the sandbox's veth pair and namespace and frees its IP. Idempotent. */
  tearDown(sandboxId: string): Promise<void> {
    checkSandboxId(sandboxId);
    return this.serial.run(sandboxId, async () => {
      const a = this.ipam.get(sandboxId);
      await this.deleteLinks(a?.netnsName ?? this.netnsPrefix + sandboxId, a?.hostVeth ?? this.unclaimedVethName(sandboxId));
      await this.ipam.release(sandboxId);
    });
  }

  /** The sandbox's network as persisted (also after a restart), or undefined. */
  get(sandboxId: string): PodNetworkStatus | undefined {
    const a = this.ipam.get(sandboxId);
    return a && this.status(a);
  }

  list(): PodNetworkStatus[] {
    return this.ipam.list().map((a) => this.status(a));
  }

  /**
   * After a restart: tears down every sandbox network whose id is not in `liveSandboxIds` (its IP
   * is freed) and removes namespaces with this prefix that belong to no allocation and no live
   * sandbox. Resolves with the sandbox ids released.
   */
  async reconcile(liveSandboxIds: Iterable<string>): Promise<string[]> {
    const live = new Set(liveSandboxIds);
    const released: string[] = [];
    for (const a of this.ipam.list()) {
      if (live.has(a.sandboxId)) continue;
      await this.tearDown(a.sandboxId);
      released.push(a.sandboxId);
    }
    const known = new Set(this.ipam.list().map((a) => a.netnsName));
    for (const name of listNetns(this.netnsPrefix)) {
      const id = name.slice(this.netnsPrefix.length);
      if (known.has(name) || live.has(id) || !SANDBOX_ID.test(id)) continue;
      await this.serial.run(id, async () => {
        if (!this.ipam.get(id)) await this.deleteLinks(name, this.unclaimedVethName(id)); // unless set up meanwhile
      });
    }
    return released;
  }

  private status(a: Allocation): PodNetworkStatus {
    return {
      sandboxId: a.sandboxId,
      netnsPath: join(NETNS_DIR, a.netnsName),
      ip: a.ip,
      gateway: a.gateway,
      prefixLength: a.prefixLength,
      hostVeth: a.hostVeth,
      ...(a.pod ? { pod: a.pod } : {}),
    };
  }

  private ensureBridge(subnet: PodSubnet): Promise<void> {
    if (!this.bridgeReady || !linkExists(this.bridgeName)) {
      const p = ensureBridge(this.bridgeName, subnet, { mtu: this.mtu });
      this.bridgeReady = p;
      p.catch(() => {
        if (this.bridgeReady === p) this.bridgeReady = undefined;
      });
    }
    return this.bridgeReady;
  }

  /** The sandbox's derived veth name unless another allocation holds it (a hash collision). */
  private unclaimedVethName(sandboxId: string): string | undefined {
    const name = hostVethName(sandboxId);
    return this.ipam.list().some((a) => a.hostVeth === name) ? undefined : name;
  }

  /** Called under the IPAM lock: picks a host veth name no other allocation or link uses. */
  private newAllocation(sandboxId: string, address: string, subnet: PodSubnet, pod: PodRef): Allocation {
    const taken = new Set(this.ipam.list().map((a) => a.hostVeth));
    let hostVeth = hostVethName(sandboxId);
    for (let attempt = 1; taken.has(hostVeth) || linkExists(hostVeth); attempt++) hostVeth = hostVethName(sandboxId, attempt);
    return {
      sandboxId,
      ip: address,
      prefixLength: subnet.prefixLength,
      gateway: formatIPv4(subnet.gateway),
      netnsName: this.netnsPrefix + sandboxId,
      hostVeth,
      pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
    };
  }

  /**
   * The pod side, then the node side:
   * 1. the namespace(s) and, from inside the new network namespace, the veth pair (eth0 here, the
   *    host side born in the node's namespace, `/proc/<this pid>/ns/net`), `lo` and eth0 up, the
   *    pod's address and default route — by the addon in this process (pod-netns-addon.ts), or by
   *    `unshare --net=/run/netns/<ns> [--uts=F --ipc=F] ip -batch -` (neither is `ip netns exec`,
   *    a fork that also makes a mount namespace and mounts sysfs);
   * 2. the host side into the bridge, hairpin, up — by the addon in the same call where it can
   *    (over a netlink socket of the node's namespace), else in the `ip -batch` shared with
   *    concurrent set-ups (SKIFF_POD_NETNS_HOST=ip chooses the batch, for tests and measurements).
   */
  private async createLinks(a: Allocation, namespaces: SandboxNamespaces): Promise<void> {
    const netnsFile = join(NETNS_DIR, a.netnsName);
    await ensureNetnsDir(NETNS_DIR, this.runner); // before the first namespace is mounted there: see netns-dir.ts
    writeFileSync(netnsFile, '', { mode: 0 }); // the namespace is bind-mounted on an existing file, as `ip netns add` does
    if (this.netlink) {
      await this.netlink({
        netns: netnsFile,
        ...(namespaces.uts ? { uts: namespaces.uts } : {}),
        ...(namespaces.ipc ? { ipc: namespaces.ipc } : {}),
        nodeNetns: this.nodeNetns,
        podIf: POD_INTERFACE,
        hostVeth: a.hostVeth,
        address: a.ip,
        prefixLength: a.prefixLength,
        gateway: a.gateway,
        mtu: this.mtu ?? 0,
        ...(this.netlinkHostSide ? { bridge: this.bridgeName } : {}),
      }).catch((e: unknown) => {
        throw new NetworkError('NetworkSetupFailed', `pod side of ${netnsFile} (netlink): ${e instanceof Error ? e.message : String(e)}`);
      });
      if (this.netlinkHostSide) return;
    } else {
      const mtu = this.mtu ? ` mtu ${this.mtu}` : '';
      const podSide = [
        `link add name ${POD_INTERFACE}${mtu} type veth peer name ${a.hostVeth}${mtu} netns ${this.nodeNetns}`,
        'link set dev lo up',
        `addr add ${a.ip}/${a.prefixLength} dev ${POD_INTERFACE}`,
        `link set dev ${POD_INTERFACE} up`,
        `route add default via ${a.gateway} dev ${POD_INTERFACE}`,
      ];
      const o = await this.runner({
        file: UNSHARE_BINARY,
        args: [`--net=${netnsFile}`, ...unshareArgs(namespaces), IP_BINARY, '-batch', '-'],
        input: podSide.join('\n') + '\n',
      });
      if (o.code !== 0) {
        throw new NetworkError('NetworkSetupFailed', `unshare --net=${netnsFile} ip -batch (${podSide.join('; ')}): ${failureText(o)}`);
      }
    }
    await this.nodeSide.run([
      `link set dev ${a.hostVeth} master ${this.bridgeName}`,
      // hairpin: a pod reaching itself through a Service VIP (issue 5) goes out and back this port
      `link set dev ${a.hostVeth} type bridge_slave hairpin on`,
      `link set dev ${a.hostVeth} up`,
    ]);
  }

  private async unshareOnly(namespaces: SandboxNamespaces): Promise<void> {
    const args = [...unshareArgs(namespaces), 'true'];
    const o = await this.runner({ file: UNSHARE_BINARY, args });
    if (o.code !== 0) throw new NetworkError('NetworkSetupFailed', `unshare ${args.join(' ')}: ${failureText(o)}`);
  }

  /** Whether everything `createLinks` makes is there (namespace, port of our bridge, eth0 with the IP). */
  private async isComplete(a: Allocation): Promise<boolean> {
    if (!existsSync(join(NETNS_DIR, a.netnsName)) || masterOf(a.hostVeth) !== this.bridgeName) return false;
    try {
      const links = await ipJson<{ addr_info?: Array<{ local: string }> }>(['addr', 'show', 'dev', POD_INTERFACE], { netns: a.netnsName, runner: this.runner });
      return links[0]?.addr_info?.some((i) => i.local === a.ip) ?? false;
    } catch {
      return false;
    }
  }

  /**
   * Removes the host veth (its peer goes with it) and the named namespace, whichever exist, in one
   * `ip -batch`. Not shared with concurrent calls: veth deletions in one process wait for the
   * kernel's RCU grace period one by one (~25 ms each), in parallel processes the kernel overlaps them. Deleting the veth explicitly (rather than leaving it to the namespace's destruction)
   * makes it gone when this resolves, even while a process still holds the namespace.
   */
  private async deleteLinks(netnsName: string, hostVeth: string | undefined): Promise<void> {
    const path = join(NETNS_DIR, netnsName);
    const lines: string[] = [];
    if (hostVeth && linkExists(hostVeth)) lines.push(`link del dev ${hostVeth}`);
    if (existsSync(path)) lines.push(`netns del ${netnsName}`);
    await ipBatch(lines, { force: true, runner: this.runner }).catch((e: unknown) => {
      if ((hostVeth && linkExists(hostVeth)) || existsSync(path)) throw e; // gone meanwhile is fine
    });
  }
}

/** Host-side veth name for a sandbox: `veth` + 8 hex digits of a hash (12 characters ≤ IFNAMSIZ-1). */
export function hostVethName(sandboxId: string, attempt = 0): string {
  const h = createHash('sha256').update(attempt === 0 ? sandboxId : `${sandboxId}/${attempt}`).digest('hex');
  return `veth${h.slice(0, 8)}`;
}

/** Names in /run/netns starting with `prefix`. */
export function listNetns(prefix: string): string[] {
  try {
    return readdirSync(NETNS_DIR).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

function checkSandboxId(sandboxId: string): void {
  if (!SANDBOX_ID.test(sandboxId)) {
    throw new NetworkError(
      'InvalidSandboxId',
      `sandbox id: expected 1-200 letters, digits, '_', '.', '-' (not starting with '.', '_' or '-'), got "${sandboxId}"`,
    );
  }
}

function unshareArgs(n: SandboxNamespaces): string[] {
  return [...(n.uts ? [`--uts=${n.uts}`] : []), ...(n.ipc ? [`--ipc=${n.ipc}`] : [])];
}

function setUpResult(a: Allocation): PodNetworkSetUp {
  return { netnsPath: join(NETNS_DIR, a.netnsName), ip: a.ip, gateway: a.gateway, prefixLength: a.prefixLength };
}

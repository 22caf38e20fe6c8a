// The pod side of a sandbox's network through skiff's Node-API addon (native/pod-netns, package
// skiff-pod-netns): one unshare(2) on a thread of its own makes the network namespace (and the
// UTS / IPC namespaces asked for), bind-mounted on their files, and rtnetlink inside it makes
// the veth pair (host side born in the node's namespace), brings lo and eth0 up, adds the address
// and the default route — what `unshare --net=F … ip -batch -` does, without starting unshare
// and ip (two execs and a fork, ~5 ms of CPU per pod on the 2-core VM against ~2 ms here, most
// of it the kernel's own work) — and, given the bridge, the host side too (port of the bridge,
// hairpin, up: the node-side `ip -batch` otherwise shared by concurrent set-ups, ~1.2 ms of ip's
// CPU per pod). See native/pod-netns/src/pod_netns.c for the contract.
//
// loadPodNetns() never throws: the addon is optional (Linux only, built by `npm install` with
// node-gyp); without it the pod network runs unshare and ip.
import { loadNativePackage } from '../api/native-package.js';

export interface PodSideRequest {
  /** file the network namespace is bind-mounted on (exists, empty) */
  readonly netns: string;
  /** files for the sandbox's UTS / IPC namespaces (exist, empty), when it wants them */
  readonly uts?: string;
  readonly ipc?: string;
  /**
   * the node's network namespace (a path), where the host side of the veth pair is born; with
   * `bridge`, it must be the calling process's own namespace (the bridge is looked up, and the host
   * side's netlink socket opened, in the namespace the addon's thread starts in)
   */
  readonly nodeNetns: string;
  readonly podIf: string;
  readonly hostVeth: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly gateway: string;
  /** 0: the kernel's default */
  readonly mtu: number;
  /** the node's bridge: the host side becomes its port (hairpin on) and goes up; only where `hostSide` */
  readonly bridge?: string;
}

/** Makes the namespaces and the pod side; rejects with the failed step's message (what was made stays). */
export type PodSideSetUp = (r: PodSideRequest) => Promise<void>;

export const POD_NETNS_PACKAGE = 'skiff-pod-netns';
/**
 * The addon's set-up, or why there is none (loaded once per process). `hostSide`: the build also
 * makes the host side when the request names the bridge (an older build ignores `bridge`).
 */
export function loadPodNetns(): { setUp?: PodSideSetUp; hostSide?: boolean; error?: string } {
  const { exports: addon, error } = loadNativePackage<{ setUp(r: PodSideRequest, done: (error: string | null) => void): void; hostSide?: boolean }>(POD_NETNS_PACKAGE);
  if (!addon) return { error };
  return { setUp: (r) => new Promise((resolve, reject) => addon.setUp(r, (e) => (e === null ? resolve() : reject(new Error(e))))), hostSide: addon.hostSide === true };
}

// Stale UDP flows, cleared after a sync, as kube-proxy does. A UDP "connection" is a conntrack
// entry that lives as long as datagrams keep coming (30 s without an answer, 120 s with), and
// packets of an existing entry never reach the nat rules again. So after a sync:
//   - an endpoint that left a service port: entries DNATed to it would keep sending a client's
//     datagrams (the same source port, as a resolver uses) to a pod that is gone or replaced —
//     they are deleted (orig dst = a service address, reply source = the endpoint);
//   - a service port that had no usable endpoint and now has one: entries made while it rejected
//     (not DNATed: their reply comes from the address itself) would keep the client rejected —
//     they are deleted; DNATed ones stay (so a restarted proxy breaks no flow that works).
// NodePorts are matched by port alone, on every address. TCP needs none of this (a connection
// to a gone endpoint is reset and the client's next one is new); SCTP is left as it is.
// Only the kernel proxy modes DNAT; the userspace mode relays, so it needs no cleaning.
import { execFile } from 'node:child_process';
import { usableEndpoints, type ProxyServicePort, type ProxyState } from './model.js';

export const CONNTRACK_BINARY = 'conntrack';

/**
 * One `conntrack -D -p udp` filter: entries to `origDst` (any address when unset) port `port`,
 * either DNATed to `natTo`, or (`natTo` unset) not DNATed at all.
 */
export interface StaleFlow {
  readonly origDst?: string;
  readonly port: number;
  /** the endpoint address the entry was DNATed to; unset: entries that were not DNATed */
  readonly natTo?: string;
}

/** The addresses a service port is served on (besides its node port). */
function addresses(sp: ProxyServicePort): string[] {
  return [...sp.clusterIPs, ...sp.loadBalancerIPs, ...sp.externalIPs];
}

/** Usable endpoints of a port, as `ip:port` → ip (those of the Local policy are among them). */
function usable(sp: ProxyServicePort): Map<string, string> {
  return new Map(usableEndpoints(sp, 'Cluster').map((e) => [`${e.ip}:${e.port}`, e.ip]));
}

/** The UDP flows `prev` → `next` leaves stale (see the file's comment); `prev` undefined: the first sync (nothing is known to be stale but flows to ports that now have endpoints). */
export function staleFlows(prev: ProxyState | undefined, next: ProxyState): StaleFlow[] {
  const before = new Map((prev?.services ?? []).filter((s) => s.protocol === 'UDP').map((s) => [s.key, s]));
  const out = new Map<string, StaleFlow>();
  const add = (f: StaleFlow) => out.set(`${f.origDst ?? '*'} ${f.port} ${f.natTo ?? '*'}`, f);
  for (const sp of next.services) {
    if (sp.protocol !== 'UDP') continue;
    const old = before.get(sp.key);
    before.delete(sp.key);
    const now = usable(sp);
    const had = old ? usable(old) : new Map<string, string>();
    // was rejecting (or did not exist), now serves: flows made while rejected go
    if (had.size === 0 && now.size > 0) {
      for (const ip of addresses(sp)) add({ origDst: ip, port: sp.port });
      if (sp.nodePort) add({ port: sp.nodePort });
    }
    if (!old) continue;
    for (const [key, ip] of had) {
      if (now.has(key)) continue;
      for (const addr of addresses(old)) add({ origDst: addr, port: old.port, natTo: ip });
      if (old.nodePort) add({ port: old.nodePort, natTo: ip });
    }
  }
  // service ports that went away entirely: flows DNATed to their endpoints go too
  for (const old of before.values()) {
    for (const ip of new Set(usable(old).values())) {
      for (const addr of addresses(old)) add({ origDst: addr, port: old.port, natTo: ip });
      if (old.nodePort) add({ port: old.nodePort, natTo: ip });
    }
  }
  return [...out.values()];
}

/** `conntrack -D` arguments for one flow filter (not DNATed: the reply comes from the original destination). */
export function conntrackDeleteArgs(f: StaleFlow): string[] {
  const dst = f.origDst ? ['--orig-dst', f.origDst] : [];
  const which = f.natTo ? ['--dst-nat', f.natTo] : f.origDst ? ['--reply-src', f.origDst] : ['--reply-port-src', String(f.port)];
  return ['-D', '-p', 'udp', ...dst, '--orig-port-dst', String(f.port), ...which];
}

/** Runs `conntrack ARGS`; resolves with its exit code and stderr (never rejects on a non-zero exit). */
export type ConntrackRunner = (args: readonly string[]) => Promise<{ code: number; stderr: string }>;

const runConntrack: ConntrackRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile(CONNTRACK_BINARY, args, { encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`${CONNTRACK_BINARY}: ${err.message}`));
      resolve({ code: err ? (err.code as number) : 0, stderr });
    });
  });

export interface ConntrackCleanerOptions {
  readonly run?: ConntrackRunner;
  readonly log?: (line: string) => void;
}

/** Deletes stale UDP flows; failures are logged, never thrown (the rules are already right). */
export class ConntrackCleaner {
  readonly #run: ConntrackRunner;
  readonly #log: (line: string) => void;
  #missingLogged = false;

  constructor(opts: ConntrackCleanerOptions = {}) {
    this.#run = opts.run ?? runConntrack;
    this.#log = opts.log ?? (() => undefined);
  }

  /** Deletes the flows of each filter, one conntrack run each; → how many runs deleted something. */
  async clean(flows: readonly StaleFlow[]): Promise<number> {
    let deleted = 0;
    for (const f of flows) {
      let r: { code: number; stderr: string };
      try {
        r = await this.#run(conntrackDeleteArgs(f));
      } catch (e) {
        // conntrack missing: say so once, the rules work without it
        if (!this.#missingLogged) this.#log(`stale UDP flows not cleared: ${(e as Error).message}`);
        this.#missingLogged = true;
        return deleted;
      }
      if (r.code === 0) deleted++;
      // exit 1 with "0 flow entries have been deleted": there was nothing to delete
      else if (!/0 flow entries/.test(r.stderr)) this.#log(`conntrack ${conntrackDeleteArgs(f).join(' ')}: exit ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
    }
    return deleted;
  }
}

// The machine side of the userspace mode: a dummy interface holding every virtual IP the proxy
// listens on as a /32 (cluster IPs, LoadBalancer ingress and external IPs that are not already
// local), and an `unreachable` route per service CIDR so that nothing sent to an unused service
// address leaves the node (the /32s are local routes, looked up before the main table, so they win).
import { ipBatch, ipJson } from '../../network/ip-command.js';
import { linkExists } from '../../network/bridge.js';
import { routeMetric, vipInterfaceName } from './names.js';

interface AddrJson {
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}
interface RouteJson {
  dst: string;
  type?: string;
  metric?: number;
}

/**
 * Creates the interface (idempotent) and brings it up: a `dummy` link, or — on kernels built
 * without the dummy driver (`Unknown device type`, as on this VM) — a bridge without ports, which
 * holds local addresses just as well. Resolves with the kind created ('existing' when it was there).
 */
export async function ensureVipInterface(name: string): Promise<'dummy' | 'bridge' | 'existing'> {
  let kind: 'dummy' | 'bridge' | 'existing' = 'existing';
  if (!linkExists(name)) {
    try {
      await ipBatch([`link add ${name} type dummy`]);
      kind = 'dummy';
    } catch (e) {
      if (linkExists(name)) {
        kind = 'existing';
      } else if (/Unknown device type/i.test(String((e as Error).message))) {
        await ipBatch([`link add ${name} type bridge`]).catch((e2: unknown) => {
          if (!linkExists(name)) throw e2;
        });
        kind = 'bridge';
      } else {
        throw e;
      }
    }
  }
  await ipBatch([`link set ${name} up`]);
  return kind;
}

/** The IPv4 addresses on the interface (empty when it does not exist). */
export async function vipAddresses(name: string): Promise<Set<string>> {
  if (!linkExists(name)) return new Set();
  const links = await ipJson<AddrJson>(['addr', 'show', 'dev', name]);
  return new Set((links[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local));
}

/** Adds and removes /32 addresses on the interface in one `ip -batch`. */
export async function changeVipAddresses(name: string, add: Iterable<string>, del: Iterable<string>): Promise<void> {
  const lines = [...[...del].map((a) => `addr del ${a}/32 dev ${name}`), ...[...add].map((a) => `addr replace ${a}/32 dev ${name}`)];
  await ipBatch(lines, { force: true });
}

/** The service CIDRs that have this tag's unreachable route. */
export async function unreachableRoutes(tag: string): Promise<Set<string>> {
  const metric = routeMetric(tag);
  const routes = await ipJson<RouteJson>(['route', 'show', 'type', 'unreachable']);
  return new Set(routes.filter((r) => r.metric === metric).map((r) => r.dst));
}

/** Makes the tag's unreachable routes exactly `cidrs` (IPv4). */
export async function syncUnreachableRoutes(tag: string, cidrs: readonly string[]): Promise<void> {
  const metric = routeMetric(tag);
  const have = await unreachableRoutes(tag);
  const want = new Set(cidrs.filter((c) => !c.includes(':')).map(normalizeCIDR));
  const lines: string[] = [];
  for (const c of have) if (!want.has(c)) lines.push(`route del unreachable ${c} metric ${metric}`);
  for (const c of want) if (!have.has(c)) lines.push(`route replace unreachable ${c} metric ${metric}`);
  await ipBatch(lines);
}

/**
 * Removes what the userspace mode of `tag` put on the machine: its unreachable routes and its
 * dummy interface (with every address on it). Sockets belong to the process and die with it.
 * Idempotent; for cleanup and `skiff killall`.
 */
export async function removeUserspaceProxy(tag: string): Promise<void> {
  const metric = routeMetric(tag);
  const lines = [...(await unreachableRoutes(tag))].map((c) => `route del unreachable ${c} metric ${metric}`);
  await ipBatch(lines, { force: true }).catch(() => undefined);
  const name = vipInterfaceName(tag);
  if (linkExists(name)) {
    await ipBatch([`link del ${name}`]).catch((e: unknown) => {
      if (linkExists(name)) throw e;
    });
  }
}

/** `198.18.177.0/24` as ip prints it (`/32` dropped, host bits cleared). */
function normalizeCIDR(c: string): string {
  const [addr, len = '32'] = c.split('/');
  const bits = Number(len);
  const n = addr!.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  const s = [24, 16, 8, 0].map((sh) => (net >>> sh) & 255).join('.');
  return bits === 32 ? s : `${s}/${bits}`;
}

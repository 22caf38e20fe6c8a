// Command-line flags of `skiff server`, with their defaults. Parsing errors name the flag and
// what was expected.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export interface ServerFlags {
  readonly dataDir: string;
  readonly port: number;
  readonly bind: string;
  /** 'sqlite' | 'memory' | a store URL */
  readonly storage: string;
  readonly disableAgent: boolean;
  readonly serviceCIDR: string;
  readonly clusterCIDR: string;
  readonly nodePortRange: readonly [number, number];
  readonly verbosity: number;
}

export function defaultDataDir(): string {
  return process.env.SKIFF_DATA_DIR || join(homedir(), '.skiff');
}

export const SERVER_USAGE = `Usage: skiff server [flags]

Starts the control plane (API server, store) on this machine.

Flags:
  --data-dir DIR                  state directory (default $SKIFF_DATA_DIR, else ~/.skiff)
  --port N                        HTTPS port of the API (default 6443; 0 picks a free port)
  --bind ADDR                     address to listen on (default 0.0.0.0)
  --storage sqlite|memory         the store (default sqlite in the data dir)
  --disable-agent                 control plane only, no node on this machine
  --service-cidr CIDR             ClusterIP range (default 10.43.0.0/16)
  --cluster-cidr CIDR             pod IP range (default 10.42.0.0/16)
  --service-node-port-range A-B   NodePort range (default 30000-32767)
  -v, --v N                       log verbosity (default 0; 4 logs every request)
`;

export class FlagError extends Error {}

export function parseServerFlags(argv: readonly string[]): ServerFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        bind: { type: 'string' },
        storage: { type: 'string' },
        'disable-agent': { type: 'boolean' },
        'service-cidr': { type: 'string' },
        'cluster-cidr': { type: 'string' },
        'service-node-port-range': { type: 'string' },
        v: { type: 'string', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) throw new FlagError('');
  const port = v.port === undefined ? 6443 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlagError(`--port: expected an integer 0-65535, got "${v.port}"`);
  const range = (v['service-node-port-range'] ?? '30000-32767').split('-').map(Number);
  if (range.length !== 2 || !range.every((n) => Number.isInteger(n) && n > 0 && n < 65536) || range[0] > range[1]) {
    throw new FlagError(`--service-node-port-range: expected FROM-TO such as 30000-32767, got "${v['service-node-port-range']}"`);
  }
  const cidr = (name: string, value: string) => {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value)) throw new FlagError(`--${name}: expected an IPv4 CIDR such as 10.43.0.0/16, got "${value}"`);
    return value;
  };
  const verbosity = v.v === undefined ? 0 : Number(v.v);
  if (!Number.isInteger(verbosity) || verbosity < 0) throw new FlagError(`--v: expected a non-negative integer, got "${v.v}"`);
  return {
    dataDir: v['data-dir'] ?? defaultDataDir(),
    port,
    bind: v.bind ?? '0.0.0.0',
    storage: v.storage ?? 'sqlite',
    disableAgent: v['disable-agent'] ?? false,
    serviceCIDR: cidr('service-cidr', v['service-cidr'] ?? '10.43.0.0/16'),
    clusterCIDR: cidr('cluster-cidr', v['cluster-cidr'] ?? '10.42.0.0/16'),
    nodePortRange: [range[0], range[1]],
    verbosity,
  };
}

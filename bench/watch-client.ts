// bench:api's watchers: many HTTPS watch streams whose events are timed as they arrive, either in
// the C program bench/watch-client.c (the headline figure) or in this process with node:https.
//
// Why a C program: the watchers share this 2-core machine with the server they measure. Reading
// 100 streams in Node cost 45–65 µs of CPU per event (5–6 ms per write with 100 watchers, against
// the server's ~5 ms to send them); the C program, on one epoll loop with OpenSSL, ~30 µs (most of
// it the kernel's loopback TCP), so the server has more of the machine (2026-11-27, 200 writes).
//
// Contract: a write's `sent` annotation is CLOCK_MONOTONIC in ms (nowMs() here; the C program
// reads the same clock), and each event's latency is its arrival minus `sent`. Both kinds of
// watcher fail loudly: a stream that errors, closes or answers other than 200 throws, so a
// figure never silently comes from fewer watchers.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './process-stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** the C source, in the repository (this file runs from dist/bench) */
const SOURCE = join(HERE, '..', '..', 'bench', 'watch-client.c');
const BINARY = join(HERE, 'watch-client');

/** CLOCK_MONOTONIC in ms, the clock of `sent` annotations and arrivals. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The `sent` annotation in an event's JSON text. */
const SENT = /"sent":"([0-9.]+)"/;

export interface WatchTarget {
  readonly port: number;
  readonly ca: string;
  readonly token: string;
  /** the watch request's path and query */
  readonly path: string;
  readonly watchers: number;
}

export interface Watchers {
  /** CPU time (ms) the watchers used so far outside this process (0 for watchers in this process) */
  externalCpuMs(): number;
  /** Ends the streams; resolves with every timed event's latency, ms. */
  stop(): Promise<number[]>;
}

/**
 * The C watch client's path, compiled (with cc, OpenSSL's headers: Debian's libssl-dev) when it is
 * missing or older than its source; undefined, with the reason on stderr, when it cannot be built.
 */
export function watchClientBinary(): string | undefined {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(dirname(BINARY), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-o', BINARY, SOURCE, '-lssl', '-lcrypto'], { encoding: 'utf8' });
  if (cc.status === 0) return BINARY;
  console.error(`bench: cannot build ${SOURCE} (${cc.error?.message ?? cc.stderr.trim()}); watchers run in Node only`);
  return undefined;
}

/** Starts `target.watchers` streams in the C program; resolves once every one answered 200. */
export async function startCWatchers(binary: string, target: WatchTarget, dir: string): Promise<Watchers> {
  const caFile = join(dir, 'watch-client-ca.pem');
  writeFileSync(caFile, target.ca);
  const child = spawn(binary, [String(target.port), caFile, target.path, String(target.watchers)], {
    env: { ...process.env, WATCH_TOKEN: target.token },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const failed = () => new Error(`watch-client exited early: ${err.trim() || 'no message'}`);
  await Promise.race([
    new Promise<void>((resolve) => {
      const check = () => (out.startsWith('ready\n') ? resolve() : child.stdout!.once('data', check));
      check();
    }),
    exited.then(() => Promise.reject(failed())),
  ]);
  return {
    externalCpuMs: () => processCpuMs(child.pid!),
    async stop() {
      child.stdin!.end();
      const code = await exited;
      if (code !== 0) throw failed();
      const lines = out.split('\n');
      const count = Number(/^events (\d+)$/.exec(lines[1] ?? '')?.[1]);
      const latencies = lines.slice(2, 2 + count).map(Number);
      if (!Number.isInteger(count) || latencies.length !== count) throw new Error(`watch-client: unexpected output ${out.slice(0, 200)}`);
      return latencies;
    },
  };
}

/** Starts `target.watchers` streams with node:https in this process; resolves once every one answered 200. */
export async function startNodeWatchers(target: WatchTarget): Promise<Watchers> {
  const latencies: number[] = [];
  const requests: { destroy(): void }[] = [];
  let failure: Error | undefined;
  let stopping = false;
  await new Promise<void>((resolve, reject) => {
    let connected = 0;
    const fail = (e: Error) => {
      if (stopping) return;
      failure ??= e;
      reject(e);
    };
    for (let i = 0; i < target.watchers; i++) {
      const req = request(
        { host: '127.0.0.1', port: target.port, path: target.path, ca: target.ca, servername: 'localhost', agent: false, headers: { Authorization: `Bearer ${target.token}` } },
        (res) => {
          if (res.statusCode !== 200) return fail(new Error(`watch answered ${res.statusCode}`));
          if (++connected === target.watchers) resolve();
          let buf = '';
          res.on('data', (d: Buffer) => {
            // The arrival time is read before anything is parsed: JSON.parse of 100 events per
            // write would delay the next lines' timestamps; `sent` is found in the text instead.
            const at = nowMs();
            buf += d.toString();
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const sent = Number(SENT.exec(buf.slice(0, nl))?.[1] ?? 0);
              buf = buf.slice(nl + 1);
              if (sent) latencies.push(at - sent);
            }
          });
          res.on('error', fail);
          res.on('close', () => fail(new Error('a watch stream closed')));
        },
      );
      req.on('error', fail);
      req.end();
      requests.push(req);
    }
  });
  return {
    externalCpuMs: () => 0,
    async stop() {
      stopping = true;
      for (const r of requests) r.destroy();
      if (failure) throw failure;
      return latencies;
    },
  };
}

// End-to-end test harness: starts a real `skiff server` process on a temporary data dir and a
// free port, and runs the real kubectl against it. Everything is removed when the test ends.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/main.js, relative to dist/test/e2e */
export const SKIFF_MAIN = join(here, '..', '..', 'src', 'cli', 'main.js');

/** Pod and Service CIDRs of test clusters (inside 198.18.0.0/15). */
export const TEST_CLUSTER_CIDR = '198.18.0.0/17';
export const TEST_SERVICE_CIDR = '198.18.128.0/17';

export interface Skiff {
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly port: number;
  readonly proc: ChildProcess;
  readonly output: () => string;
  /** SIGTERM and wait for exit; resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** stop and remove the data dir */
  destroy(): Promise<void>;
}

export interface StartOptions {
  readonly dataDir?: string;
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
  /** run the real node agent (runc containers; needs root) instead of `--disable-agent` */
  readonly agent?: boolean;
}

export async function startSkiff(opts: StartOptions = {}): Promise<Skiff> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  // Test clusters use CIDRs inside 198.18.0.0/15 (reserved for benchmarking), never real networks.
  const cidrs = ['--cluster-cidr', TEST_CLUSTER_CIDR, '--service-cidr', TEST_SERVICE_CIDR];
  // SKIFF_CONTAINER_RUNTIME=crun runs the node's containers with crun instead of runc
  // A node's NodePort rules catch the port on every local address of the machine: clusters with a
  // node take their node ports from 29000-29999, away from the proxy's own tests (30000-32999),
  // which run at the same time
  const nodePorts = opts.args?.includes('--service-node-port-range') ? [] : ['--service-node-port-range', E2E_NODE_PORTS];
  const agent = opts.agent
    ? [...(process.env.SKIFF_CONTAINER_RUNTIME && !opts.args?.includes('--container-runtime') ? ['--container-runtime', process.env.SKIFF_CONTAINER_RUNTIME] : []), ...nodePorts]
    : ['--disable-agent'];
  const proc = spawn(process.execPath, [SKIFF_MAIN, 'server', '--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', ...agent, ...cidrs, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  let port = 0;
  for (;;) {
    const m = /ready on https:\/\/[^:]+:(\d+)/.exec(out);
    if (m && existsSync(kubeconfig)) {
      port = Number(m[1]);
      break;
    }
    if (proc.exitCode !== null) throw new Error(`skiff server exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`skiff server did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  return {
    dataDir,
    kubeconfig,
    port,
    proc,
    output: () => out,
    stop,
    destroy: async () => {
      await stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real kubectl against a server; never throws on a non-zero exit. */
export function kubectl(s: Pick<Skiff, 'kubeconfig' | 'dataDir'>, args: readonly string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', s.kubeconfig, '--cache-dir', join(s.dataDir, 'kubectl-cache'), ...args],
      { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** Writes a manifest to a file in the data dir and returns its path. */
export function manifest(s: Pick<Skiff, 'dataDir'>, name: string, text: string): string {
  const p = join(s.dataDir, name);
  writeFileSync(p, text);
  return p;
}

/** kubectl that must succeed: resolves its stdout; otherwise fails the test with what kubectl printed. */
export async function kubectlOk(s: Pick<Skiff, 'kubeconfig' | 'dataDir'>, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const r = await kubectl(s, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/**
 * Tears down a cluster that ran the node agent: stops the server, removes everything its agent
 * made on this machine (`skiff killall`) and the data dir — each step even when the one before
 * failed. Rejects with the first failure.
 */
export async function removeAgentCluster(s: Skiff | undefined, dataDir: string): Promise<void> {
  try {
    await s?.stop();
  } finally {
    try {
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [SKIFF_MAIN, 'killall', '--data-dir', dataDir], { timeout: 60_000 }, (err) => (err ? reject(err) : resolve())),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

/**
 * Polls `check` every `stepMs` (default 250) until it resolves true; a throw counts as "not yet".
 * After `timeoutMs` (default 60 s) it fails the test with the last error and `context()` (e.g. the
 * server's log tail).
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, opts: { timeoutMs?: number; stepMs?: number; context?: () => string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, opts.stepMs ?? 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}${opts.context ? `\n${opts.context()}` : ''}`);
}

/** One plain-HTTP GET on a connection of its own (no keep-alive); resolves the body. */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A pod manifest: busybox httpd in `image` serving `body` from `docRoot` on container port 8080,
 * published on its node as `hostPort`, Ready once the port listens.
 */
/** The NodePort range of e2e clusters that run a node (startSkiff with agent). */
export const E2E_NODE_PORTS = '29000-29999';

export function hostPortPodYaml(opts: { name: string; image: string; hostPort: number; body: string; docRoot: string }): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${opts.name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: ${opts.image}
    command: [sh, -c, 'mkdir -p ${opts.docRoot} && echo ${opts.body} > ${opts.docRoot}/index.html && exec httpd -f -p 8080 -h ${opts.docRoot}']
    ports: [{containerPort: 8080, hostPort: ${opts.hostPort}}]
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
`;
}

/** `skiff killall --data-dir DIR`; throws with killall's whole output when it exits non-zero (so a failure says which step). */
export function killallOk(dataDir: string): string {
  const r = spawnSync(process.execPath, [SKIFF_MAIN, 'killall', '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`skiff killall --data-dir ${dataDir} exited ${r.status ?? r.signal ?? r.error?.message}:\n${output}`);
  return output;
}

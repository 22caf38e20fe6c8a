// A test double of the container runtime for the streaming end-to-end test: one pod whose
// "containers" are REAL host processes. exec spawns the command on the host (through `script`
// for a terminal), attach talks to a long-running `sh`, logs are lines the test appends, and
// port-forward connects to a TCP port on 127.0.0.1. What the test proves is the path
// kubectl → API server → kubelet server → runtime, not the runtime.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import {
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  NotFoundRuntimeError,
  type ContainerStatus,
  type ExecOptions,
  type LogOptions,
  type PodSandboxStatus,
  type Runtime,
  type TerminalSize,
} from '../../src/runtime/runtime.js';

interface LogLine {
  readonly time: number;
  readonly text: string;
}

interface Ctr {
  status: ContainerStatus;
  lines: LogLine[];
}

/** RFC 3339 with nanoseconds, as Kubernetes prints log timestamps. */
function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export class HostProcessRuntime implements Runtime {
  readonly sandbox: PodSandboxStatus;
  private readonly ctrs: Ctr[] = [];
  private readonly events = new EventEmitter();
  private main?: ChildProcess;
  /** terminal sizes exec'd commands were told about */
  readonly resizes: TerminalSize[] = [];
  /** exec'd processes still running */
  readonly running = new Set<ChildProcess>();

  constructor(readonly pod: { namespace: string; name: string; uid: string }) {
    const labels = { [LABEL_POD_NAMESPACE]: pod.namespace, [LABEL_POD_NAME]: pod.name, [LABEL_POD_UID]: pod.uid };
    this.sandbox = { id: 'sandbox-1', metadata: { ...pod, attempt: 0 }, state: 'ready', createdAt: Date.now(), ip: '127.0.0.1', hostNetwork: true, labels, annotations: {} };
  }

  /** Adds a container attempt; `running` ones are the current attempt. */
  addContainer(name: string, attempt: number, state: 'running' | 'exited'): string {
    const id = `${name}-${attempt}`;
    const labels = { ...this.sandbox.labels, [LABEL_CONTAINER_NAME]: name };
    this.ctrs.push({
      status: { id, sandboxId: this.sandbox.id, podUid: this.pod.uid, metadata: { name, attempt }, state, createdAt: Date.now() + attempt, image: 'busybox', imageRef: 'sha256:0', labels, annotations: {}, ...(state === 'exited' ? { exitCode: 1, finishedAt: Date.now() } : {}) },
      lines: [],
    });
    return id;
  }

  appendLog(id: string, text: string, time = Date.now()): void {
    const c = this.find(id);
    c.lines.push({ time, text });
    this.events.emit(`log:${id}`);
  }

  /** The container's own process for attach: answers `got LINE` per input line, exits on `quit`. */
  startMain(): void {
    this.main = spawn('sh', ['-c', 'echo ready; while read l; do [ "$l" = quit ] && exit 0; echo "got $l"; done'], { stdio: 'pipe' });
    this.main.on('exit', () => this.events.emit('main-exit'));
  }

  stopAll(): void {
    this.main?.kill('SIGKILL');
    for (const p of this.running) p.kill('SIGKILL');
  }

  private find(id: string): Ctr {
    const c = this.ctrs.find((x) => x.status.id === id);
    if (!c) throw new NotFoundRuntimeError('container', id);
    return c;
  }

  async version() {
    return { runtimeName: 'host-process', runtimeVersion: '0.1' };
  }
  async status() {
    return { conditions: [] };
  }
  async updateRuntimeConfig(): Promise<void> {}
  async runPodSandbox(): Promise<string> {
    throw new Error('not supported by the test runtime');
  }
  async stopPodSandbox(): Promise<void> {}
  async removePodSandbox(): Promise<void> {}
  async podSandboxStatus(id: string) {
    if (id !== this.sandbox.id) throw new NotFoundRuntimeError('sandbox', id);
    return { ...this.sandbox };
  }
  async listPodSandboxes() {
    return [{ ...this.sandbox }];
  }
  async createContainer(): Promise<string> {
    throw new Error('not supported by the test runtime');
  }
  async startContainer(): Promise<void> {}
  async stopContainer(): Promise<void> {}
  async removeContainer(): Promise<void> {}
  async containerStatus(id: string) {
    return { ...this.find(id).status };
  }
  async listContainers() {
    return this.ctrs.map((c) => ({ ...c.status }));
  }
  async imageStatus() {
    return undefined;
  }
  async pullImage(): Promise<string> {
    return 'sha256:0';
  }

  async logs(id: string, out: NodeJS.WritableStream, opts: LogOptions = {}): Promise<void> {
    const c = this.find(id);
    let bytes = 0;
    const write = (l: LogLine): boolean => {
      const text = `${opts.timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}\n`;
      if (opts.limitBytes !== undefined && bytes + text.length > opts.limitBytes) {
        out.write(text.slice(0, opts.limitBytes - bytes));
        return false;
      }
      bytes += text.length;
      out.write(text);
      return true;
    };
    let lines = c.lines.filter((l) => opts.sinceTime === undefined || l.time >= opts.sinceTime);
    if (opts.tailLines !== undefined) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
    for (const l of lines) if (!write(l)) return;
    if (!opts.follow) return;
    let sent = c.lines.length;
    await new Promise<void>((resolve) => {
      const onLog = () => {
        while (sent < c.lines.length) {
          if (!write(c.lines[sent++])) return done();
        }
      };
      const done = () => {
        this.events.off(`log:${id}`, onLog);
        resolve();
      };
      this.events.on(`log:${id}`, onLog);
      opts.signal?.addEventListener('abort', done, { once: true });
    });
  }

  async exec(id: string, command: readonly string[], opts: ExecOptions = {}): Promise<number> {
    const c = this.find(id);
    if (c.status.state !== 'running') throw new Error(`container ${id} is not running`);
    const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = opts.tty ? spawn('script', ['-qec', quoted, '/dev/null'], { stdio: 'pipe' }) : spawn(command[0], command.slice(1), { stdio: 'pipe' });
    this.running.add(child);
    opts.onResize?.((s) => this.resizes.push(s));
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdin!.on('error', () => undefined);
    if (opts.stdin) opts.stdin.pipe(child.stdin!);
    else child.stdin!.end();
    child.stdout!.on('data', (d: Buffer) => opts.stdout?.write(d));
    child.stderr!.on('data', (d: Buffer) => (opts.tty ? opts.stdout : opts.stderr)?.write(d));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        this.running.delete(child);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(code ?? (signal ? 128 + 9 : 1));
      });
    });
  }

  async attach(id: string, opts: ExecOptions): Promise<void> {
    this.find(id);
    const main = this.main;
    if (!main || main.exitCode !== null) throw new Error('the container is not running');
    const onOut = (d: Buffer) => opts.stdout?.write(d);
    main.stdout!.on('data', onOut);
    const onIn = (d: Buffer) => main.stdin!.write(d);
    opts.stdin?.on('data', onIn);
    await new Promise<void>((resolve) => {
      this.events.once('main-exit', resolve);
      opts.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    main.stdout!.off('data', onOut);
    opts.stdin?.off('data', onIn);
  }

  async portForward(sandboxId: string, port: number, stream: NodeJS.ReadWriteStream): Promise<void> {
    if (sandboxId !== this.sandbox.id) throw new NotFoundRuntimeError('sandbox', sandboxId);
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    await new Promise<void>((resolve) => {
      stream.pipe(sock);
      sock.pipe(stream as NodeJS.WritableStream);
      sock.on('close', resolve);
      sock.on('error', resolve);
      stream.on('close', () => {
        sock.destroy();
        resolve();
      });
    });
  }
}

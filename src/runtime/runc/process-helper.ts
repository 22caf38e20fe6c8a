// The process helper: a small child Node process that starts the node's helper programs (ip,
// unshare, mount + conmon, runc kill/delete, umount) for the server.
//
// Why: Node starts a program with fork(2), which copies the page tables of the whole process and
// blocks the event loop until the child has exec'd. From the server (130+ MB resident) that costs
// 10-13 ms per program on this 2-core VM against ~1 ms from a 45 MB process, and the API server,
// scheduler and kubelet share that event loop: 50 pods started at once spent ~1.7 s of it in
// fork. Through the helper the server only writes a message on a pipe.
//
// Contract: `run` keeps exec-file.ts's `Run` contract (output on exit 0, else CommandError);
// `runProcess` and `startMonitor` resolve process-start.ts's outcomes. The helper is started on
// first use and again after it died (requests in flight then reject); it never keeps the server
// alive while idle, and exits when the server exits or calls `close()`. Programs it started
// keep running after it exits. Streaming programs (exec, attach, port-forward) are not started
// through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runRequest, runResult, type Run } from './exec-file.js';
import type { MonitorOutcome, MonitorRequest, RunOutcome, RunRequest } from './process-start.js';

export interface HelperRequest {
  readonly id: number;
  readonly kind: 'run' | 'monitor';
  readonly req: RunRequest | MonitorRequest;
}

export interface HelperReply {
  readonly id: number;
  readonly result: RunOutcome | MonitorOutcome;
}

const HELPER_MAIN = fileURLToPath(new URL('./process-helper-main.js', import.meta.url));

interface Pending {
  resolve(r: RunOutcome | MonitorOutcome): void;
  reject(e: Error): void;
}

export class ProcessHelper {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** `Run` through the helper. */
  readonly run: Run = async (file, args, opts = {}) => {
    const req = runRequest(file, args, opts);
    return runResult(req, await this.runProcess(req));
  };

  /** Runs a program to its end; rejects only when the helper failed (not for the program's failure). */
  readonly runProcess = (req: RunRequest): Promise<RunOutcome> => this.request('run', req) as Promise<RunOutcome>;

  /** Starts a monitor (conmon) detached, with a sync pipe on fd 3 (process-start.ts `startMonitor`). */
  startMonitor(req: MonitorRequest): Promise<MonitorOutcome> {
    return this.request('monitor', req) as Promise<MonitorOutcome>;
  }

  /** pid of the helper process while it runs (for measurements) */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the helper once; requests after it reject. Resolves when it exited. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    child.ref(); // the wait for its exit keeps this process alive
    if (child.connected) child.disconnect();
    await exited;
  }

  private request(kind: HelperRequest['kind'], req: RunRequest | MonitorRequest): Promise<RunOutcome | MonitorOutcome> {
    if (this.closed) return Promise.reject(new Error('the process helper is closed'));
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) child.channel?.ref();
      child.send({ id, kind, req } satisfies HelperRequest, (err) => {
        if (!err) return;
        this.settle(id)?.reject(new Error(`the process helper did not take the request: ${err.message}`));
      });
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.child?.channel?.unref();
    return p;
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    // detached: its own process group, so a terminal's ^C reaches the server only (the helper
    // exits when the server's end of the channel closes)
    // a small young generation: the helper holds little (RSS ~55 MB, most of it the shared node binary; PSS ~20 MB)
    const child = spawn(process.execPath, ['--max-semi-space-size=1', HELPER_MAIN], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, serialization: 'json' });
    this.child = child;
    child.unref();
    child.channel?.unref();
    child.on('message', (m: HelperReply) => this.settle(m.id)?.resolve(m.result));
    const gone = (why: string): void => {
      if (this.child !== child) return;
      this.child = undefined;
      const left = [...this.pending.values()];
      this.pending.clear();
      for (const p of left) p.reject(new Error(`the process helper ${why}`));
    };
    child.once('disconnect', () => gone('exited'));
    child.once('exit', (code, signal) => gone(`exited (${signal ?? `status ${code}`})`));
    child.once('error', (e) => gone(`failed: ${e.message}`));
    return child;
  }
}

// Running a command in a running container with `runc exec` (or crun's, the same CLI; as CRI-O
// does for streaming exec).
// Without a terminal the process gets skiff's pipes directly (runc passes its stdio through).
// With one, runc needs a terminal of its own to copy from, so it runs under util-linux `script`,
// which provides a pseudo-terminal; window size changes are applied to the exec'd process's
// terminal with `stty -F /proc/<pid>/fd/0`. Aborting kills the exec'd process. When runc cannot
// start the command, the caller sees `OCI runtime exec failed: <why>` and exit code 127 (not
// found) or 126 (not executable), as with Docker.
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { ExecOptions, TerminalSize } from '../runtime.js';
import { run } from './exec-file.js';

export interface RuncExecOptions extends ExecOptions {
  readonly runcPath: string;
  readonly runcRoot: string;
  readonly id: string;
  /** the OCI process (args, env, cwd, user, terminal) */
  readonly process: Record<string, unknown>;
  /** scratch file prefix for the process spec and pid file (removed afterwards) */
  readonly scratch: string;
}

/** Resolves the exit code of the exec'd process (128+n when killed by signal n). */
export async function runcExec(o: RuncExecOptions): Promise<number> {
  const spec = `${o.scratch}.json`;
  const pidFile = `${o.scratch}.pid`;
  await writeFile(spec, JSON.stringify({ ...o.process, terminal: o.tty === true }));
  const runcArgs = ['--root', o.runcRoot, 'exec', ...(o.tty ? ['-t'] : []), '--process', spec, '--pid-file', pidFile, o.id];
  const child = o.tty
    ? spawn('script', ['-q', '-f', '-e', '-c', [o.runcPath, ...runcArgs].map(shellQuote).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(o.runcPath, runcArgs, { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let pid: number | undefined;
  const execPid = async (): Promise<number | undefined> => {
    if (pid) return pid;
    const n = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (n > 0) pid = n;
    return pid;
  };
  let lastSize: TerminalSize | undefined;
  let resizing = Promise.resolve();
  const applySize = (): void => {
    resizing = resizing.then(async () => {
      const p = await execPid();
      if (!p || !lastSize) return;
      await run('stty', ['-F', `/proc/${p}/fd/0`, 'rows', String(lastSize.height), 'cols', String(lastSize.width)]).catch(() => undefined);
    });
  };
  if (o.tty) {
    o.onResize?.((size) => {
      lastSize = size;
      applySize();
    });
  }
  child.stdout!.on('data', (d: Buffer) => o.stdout?.write(d));
  let startFailure: string | undefined;
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    // the runtime's own failure to start the process, not the process's output: runc's logrus
    // line, or crun's plain message (`executable file `x` not found in $PATH: ...`,
    // `open executable: Permission denied`)
    const m = /level=error msg="((?:[^"\\]|\\.)*)"/.exec(text);
    const crun = /^(?:crun: )?((?:executable file `[^`]*` not found|open executable: )[^\n]*)/.exec(text);
    if ((m && /exec failed|unable to start/.test(m[1]!)) || crun) {
      startFailure = crun ? crun[1]! : m![1]!.replace(/\\(.)/g, '$1');
      (o.tty ? o.stdout : o.stderr)?.write(`OCI runtime exec failed: ${startFailure}\n`);
      return;
    }
    if (o.tty) o.stdout?.write(d);
    else if (o.stderr) o.stderr.write(d);
  });
  if (child.stdin) {
    if (o.stdin) {
      o.stdin.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    } else if (!o.tty) child.stdin.end();
  }
  // With a terminal the first size may only apply once the process exists.
  const sizeTimer = o.tty ? setInterval(() => void execPid().then((p) => p && lastSize && (applySize(), clearInterval(sizeTimer))), 20) : undefined;
  const onAbort = (): void => {
    void execPid().then((p) => {
      if (p) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      child.kill('SIGKILL');
    });
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    if (code === null) return 128 + (signal === 'SIGKILL' ? 9 : 15);
    // as shells and Docker report them: 127 command not found, 126 found but not executable
    if (startFailure) return /not found|no such file/i.test(startFailure) ? 127 : 126;
    return code;
  } finally {
    if (sizeTimer) clearInterval(sizeTimer);
    o.signal?.removeEventListener('abort', onAbort);
    if (o.stdin) o.stdin.unpipe(child.stdin!);
    await resizing;
    await rm(spec, { force: true });
    await rm(pidFile, { force: true });
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

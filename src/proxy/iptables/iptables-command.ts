// Running iptables-save and iptables-restore (no shell). Failures carry the program's stderr.
import { execFile } from 'node:child_process';

export const IPTABLES_SAVE = 'iptables-save';
export const IPTABLES_RESTORE = 'iptables-restore';

/** An iptables program failed; `message` holds its stderr. */
export class IptablesError extends Error {
  readonly reason = 'IptablesRestoreFailed';
  constructor(message: string) {
    super(message);
    this.name = 'IptablesError';
  }
}

/** `iptables-save -t TABLE`; resolves with its output. */
export function iptablesSave(table: 'nat' | 'filter'): Promise<string> {
  return run(IPTABLES_SAVE, ['-t', table], undefined);
}

/**
 * `iptables-restore --noflush -w 5` fed `input`: built-in chains and other tables' rules are left
 * alone; each declared chain (`:NAME - [0:0]`) is created or flushed; every table between `*table`
 * and `COMMIT` is one transaction.
 */
export function iptablesRestore(input: string): Promise<void> {
  return run(IPTABLES_RESTORE, ['--noflush', '-w', '5'], input).then(() => undefined);
}

function run(cmd: string, args: string[], input: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      reject(new IptablesError(`${cmd} ${args.join(' ')}: ${(stderr || err.message).trim()}`));
    });
    child.stdin?.on('error', () => undefined);
    if (input !== undefined) child.stdin!.end(input);
  });
}

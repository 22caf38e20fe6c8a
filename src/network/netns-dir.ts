// The directory of named network namespaces (/run/netns) made a shared mount point of its own
// before skiff bind-mounts the first namespace into it, as `ip netns add` and CNI plugins do.
//
// Why: a namespace is named by bind-mounting it on a file in that directory. When the directory
// is a plain directory (a freshly booted machine), the first `ip netns add` by anyone (a user, a
// test, another tool) bind-mounts it on itself recursively. Namespaces skiff mounted before that
// are then copied into the new mount and stay mounted, hidden, below it: `ip netns del` removes
// the copy and then fails to remove the file with EBUSY, and the namespace leaks (seen on a
// freshly booted machine, where parallel tests raced `ip netns add` against pod set-ups). With the
// directory already a mount point, iproute2 only marks it shared, and every mount lands in it.
//
// Contract: `ensureNetnsDir` resolves once `dir` is a mount point with shared propagation (made
// so with `mount --rbind DIR DIR` when the kernel says it is not one, then `mount --make-rshared DIR`), under an
// flock on the directory, so concurrent skiff processes do not stack two bind mounts. It runs once
// per directory per process (later calls reuse the first call's promise; a failed call is retried
// by the next one) and rejects with a NetworkError (NetworkSetupFailed) when the mounts fail.
// The mount stays, as iproute2's does: it is the state `ip netns add` itself leaves.
import { mkdirSync } from 'node:fs';
import { NetworkError } from './errors.js';
import { failureText, localRunner, type ProcessRunner } from './ip-command.js';

const done = new Map<string, Promise<void>>();

/**
 * The shell steps, run under `flock DIR`, as iproute2 takes them: share the directory's mount; if
 * the kernel says it is no mount point, bind it on itself first. (Asking the kernel, not
 * `mountpoint`, which reads mountinfo and also answers yes for a mount hidden under another.)
 */
const SCRIPT = 'mount --make-rshared "$1" 2>/dev/null || { mount --rbind "$1" "$1" && mount --make-rshared "$1"; }';

export function ensureNetnsDir(dir: string, runner: ProcessRunner = localRunner): Promise<void> {
  let p = done.get(dir);
  if (!p) {
    p = (async () => {
      mkdirSync(dir, { recursive: true });
      const o = await runner({ file: 'flock', args: [dir, 'sh', '-c', SCRIPT, 'sh', dir] });
      if (o.code !== 0) throw new NetworkError('NetworkSetupFailed', `making ${dir} a shared mount point (mount --rbind, --make-rshared): ${failureText(o)}`);
    })();
    p.catch(() => done.delete(dir));
    done.set(dir, p);
  }
  return p;
}

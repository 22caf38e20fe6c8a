// Test-only: a small real pod network. Each sandbox gets a network namespace from `ip netns add`
// (<prefix><first 12 hex of the id>) with lo up and its pod IP as a /32 on lo: containers of a
// pod share it, nothing leaves it. UTS/IPC namespaces asked for come from a separate `unshare`. IPs come sequentially from the CIDR given to setPodCIDR.
import { execFileSync } from 'node:child_process';
import { run } from '../exec-file.js';
import type { PodNetworkProvider, PodNetworkSetup } from '../deps.js';

export class NetnsNetwork implements PodNetworkProvider {
  private cidr: string | undefined;
  private next = 2;
  readonly sandboxes = new Map<string, { netnsPath: string; ip: string; name: string }>();

  constructor(readonly prefix: string) {}

  setPodCIDR(cidr: string): void {
    this.cidr = cidr;
  }

  async setUp(sandboxId: string, _pod?: unknown, opts: { namespaces?: { uts?: string; ipc?: string } } = {}): Promise<PodNetworkSetup> {
    const n = opts.namespaces ?? {};
    if (n.uts || n.ipc) await run('unshare', [...(n.uts ? [`--uts=${n.uts}`] : []), ...(n.ipc ? [`--ipc=${n.ipc}`] : []), 'true']);
    const have = this.sandboxes.get(sandboxId);
    if (have) return have;
    if (!this.cidr) throw new Error('no pod CIDR');
    const base = this.cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
    const ip = `${base}.${this.next++}`;
    const name = `${this.prefix}${sandboxId.slice(0, 12)}`;
    const s = { netnsPath: `/run/netns/${name}`, ip, name };
    this.sandboxes.set(sandboxId, s);
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', name, 'addr', 'add', `${ip}/32`, 'dev', 'lo']);
    return s;
  }

  async tearDown(sandboxId: string): Promise<void> {
    const s = this.sandboxes.get(sandboxId);
    if (!s) return;
    this.sandboxes.delete(sandboxId);
    await run('ip', ['netns', 'delete', s.name]).catch(() => undefined);
  }

  get(sandboxId: string): { netnsPath: string; ip: string } | undefined {
    return this.sandboxes.get(sandboxId);
  }

  /** Deletes every namespace with the prefix (test cleanup). */
  removeAll(): void {
    const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(this.prefix));
    for (const n of names) {
      try {
        execFileSync('ip', ['netns', 'delete', n], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    }
    this.sandboxes.clear();
  }
}

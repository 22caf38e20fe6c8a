// Removing everything the iptables mode of one tag made, without any state (for cleanup and
// `skiff killall`): the jumps from built-in chains into the tag's chains, then the chains.
import { iptablesRestore, iptablesSave } from './iptables-command.js';
import { chainPrefix } from './names.js';

/**
 * Deletes, in one iptables-restore per table, every rule of a built-in chain that jumps to a chain
 * named `PREFIX-…` of `tag`, and every such chain, from the nat and filter tables. Idempotent;
 * resolves when there was nothing to remove (also when iptables has no such table).
 */
export async function removeIptablesRules(tag: string): Promise<void> {
  const prefix = `${chainPrefix(tag)}-`;
  for (const table of ['nat', 'filter'] as const) {
    const saved = await iptablesSave(table);
    const ours = [...saved.matchAll(/^:(\S+)/gm)].map((m) => m[1]!).filter((c) => c.startsWith(prefix));
    const deletes: string[] = [];
    for (const line of saved.split('\n')) {
      const m = /^-A (\S+) (.*)$/.exec(line);
      if (!m || m[1]!.startsWith(prefix)) continue;
      if (new RegExp(`(^| )-j ${escape(prefix)}\\S*( |$)`).test(m[2]!)) deletes.push(`-D ${m[1]} ${m[2]}`);
    }
    if (ours.length === 0 && deletes.length === 0) continue;
    const text = [
      `*${table}`,
      ...deletes,
      ...ours.map((c) => `:${c} - [0:0]`),
      ...ours.map((c) => `-X ${c}`),
      'COMMIT',
      '',
    ].join('\n');
    await iptablesRestore(text);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

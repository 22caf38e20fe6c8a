// Running `nft` without a shell: a script on stdin as one transaction (`nft -f -`), or one
// command; failures become Errors carrying nft's message.
import { execFile } from 'node:child_process';

export const NFT_BINARY = 'nft';

/** `nft ARGS...` with `input` on stdin; resolves with stdout, rejects with nft's stderr. */
export function nft(args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(NFT_BINARY, args, { encoding: 'utf8', maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      reject(new Error(`nft ${args.join(' ')}: ${(stderr || err.message).trim().slice(0, 4000)}`));
    });
    child.stdin?.on('error', () => undefined); // nft exiting early (EPIPE): its exit status tells
    child.stdin?.end(input ?? '');
  });
}

/** `nft -f -`: the whole script is one atomic transaction (all or nothing). */
export function nftApply(script: string): Promise<void> {
  return nft(['-f', '-'], script).then(() => undefined);
}

/** Whether table `ip <name>` exists. */
export async function nftTableExists(name: string): Promise<boolean> {
  const out = await nft(['list', 'tables', 'ip']);
  return out.split('\n').some((l) => l.trim() === `table ip ${name}`);
}

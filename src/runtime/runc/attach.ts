// Attaching to a container's own stdio through conmon's attach socket (`<bundle>/attach`, reached
// by the short link `<socketDir>/<id>/attach`). The socket is SOCK_SEQPACKET, which Node's net
// module cannot open, so a few lines of Perl (perl-base is part of every Debian system) bridge it:
// packets from conmon carry one leading byte naming the stream (conmon's 2 stdout, 3 stderr) and go to the
// bridge's stdout/stderr; the bridge's stdin goes to the container's stdin as is.
import { spawn } from 'node:child_process';
import type { ExecOptions } from '../runtime.js';

const BRIDGE = `
use strict; use Socket;
socket(my $s, PF_UNIX, 5, 0) or die "socket: $!\\n";
connect($s, pack_sockaddr_un($ARGV[0])) or die "connect $ARGV[0]: $!\\n";
$| = 1; binmode STDOUT; binmode STDERR; binmode STDIN;
my $pid = fork();
if (!$pid) { while (sysread(STDIN, my $b, 8192)) { send($s, $b, 0) or exit 0 } exit 0 }
while (1) { my $b; defined(recv($s, $b, 8193, 0)) or last; last if length($b) == 0;
  my $t = ord(substr($b, 0, 1)); my $d = substr($b, 1);
  if ($t == 3) { syswrite(STDERR, $d) } else { syswrite(STDOUT, $d) } }
kill 'TERM', $pid; exit 0;
`;

/**
 * Streams the container's output (from now on) to opts.stdout/stderr and opts.stdin to it.
 * Resolves when conmon closes the socket (the container exited) or `signal` aborts (detach).
 */
export async function attachConmon(socketPath: string, opts: ExecOptions & { resize?: (size: { width: number; height: number }) => void }): Promise<void> {
  const resize = opts.resize;
  const child = spawn('perl', ['-e', BRIDGE, socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => opts.stdout?.write(d));
  child.stderr.on('data', (d: Buffer) => (opts.tty ? opts.stdout : opts.stderr)?.write(d));
  if (opts.stdin) {
    opts.stdin.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
  } else child.stdin.end();
  if (opts.tty && resize) opts.onResize?.(resize);
  const onAbort = (): void => void child.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    if (code !== 0 && code !== null && !opts.signal?.aborted) throw new Error(`attach failed (bridge exit ${code})`);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    opts.stdin?.unpipe(child.stdin);
  }
}

// Port forwarding into a pod's network namespace: Node cannot enter a namespace, so
// `nsenter --net=<netns> busybox nc 127.0.0.1 PORT` (the node's static busybox) carries the bytes,
// with its stdin/stdout wired to the stream. Host-network pods are reached directly.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

export const BUSYBOX = '/bin/busybox';

/** Connects `stream` to 127.0.0.1:`port` in `netnsPath` (absent: the node's); resolves when either side closes, rejects when nothing listens. */
export async function forwardPort(stream: NodeJS.ReadWriteStream, o: { port: number; netnsPath?: string; busybox?: string }): Promise<void> {
  const { port, netnsPath, busybox = BUSYBOX } = o;
  if (!netnsPath) return forwardDirect(port, stream);
  const child = spawn('nsenter', [`--net=${netnsPath}`, busybox, 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let received = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    received = true;
    stream.write(d);
  });
  stream.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  const onEnd = (): void => void child.kill('SIGTERM');
  stream.once('end', onEnd);
  stream.once('close', onEnd);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    if (code !== 0 && code !== null && !received) throw new Error(`error forwarding port ${port}: ${stderr.trim() || `exit ${code}`}`);
  } finally {
    stream.unpipe(child.stdin);
    stream.removeListener('end', onEnd);
    stream.removeListener('close', onEnd);
  }
}

function forwardDirect(port: number, stream: NodeJS.ReadWriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let connected = false;
    sock.on('connect', () => {
      connected = true;
      stream.pipe(sock);
      sock.pipe(stream as NodeJS.WritableStream, { end: false });
    });
    sock.on('error', (e) => (connected ? resolve() : reject(new Error(`error forwarding port ${port}: ${e.message}`))));
    sock.on('close', () => resolve());
    stream.once('end', () => sock.end());
  });
}

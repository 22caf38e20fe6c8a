// exec and attach over SPDY (kubectl's fallback when the WebSocket upgrade fails): the client
// opens one stream per role, named by its `streamType` header (error, stdin, stdout, stderr,
// resize); the session starts once every expected stream is there.
import type { Status } from '../../api/errors.js';
import { ResizeQueue, type RemoteCommandRequest, type RemoteCommandStreams } from './remote-command.js';
import { headerValue } from './spdy/header-block.js';
import type { SpdySession, SpdyStream } from './spdy/session.js';

/** X-Stream-Protocol-Version values served over SPDY, most capable first. */
export const REMOTE_COMMAND_SPDY_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;

/** How long the client has to open every stream (Kubernetes' streamCreationTimeout is 30 s). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** How long the server waits for the client to close the connection after the status. */
const CLIENT_CLOSE_GRACE_MS = 2_000;

export function protocolVersion(name: string): number {
  const m = /^v(\d+)\./.exec(name);
  return m ? Number(m[1]) : 1;
}

/** Waits for the streams `req` needs and presents them as RemoteCommandStreams. Rejects on timeout or when the connection closes first. */
export function remoteCommandOverSpdy(session: SpdySession, protocol: string, req: RemoteCommandRequest, timeoutMs = STREAM_CREATION_TIMEOUT_MS): Promise<RemoteCommandStreams> {
  const version = protocolVersion(protocol);
  const expected = new Set<string>(['error']);
  if (req.stdin) expected.add('stdin');
  if (req.stdout) expected.add('stdout');
  if (req.stderr && !req.tty) expected.add('stderr');
  if (req.tty && version >= 3) expected.add('resize');
  const got = new Map<string, SpdyStream>();
  const aborter = new AbortController();
  session.on('close', () => aborter.abort());

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.off('stream', onStream);
      reject(new Error(`timed out waiting for client to create streams: want ${[...expected].join(', ')}, have ${[...got.keys()].join(', ') || 'none'}`));
    }, timeoutMs);
    const onClosed = () => {
      clearTimeout(timer);
      reject(new Error('connection closed before the client created its streams'));
    };
    session.once('close', onClosed);
    const onStream = (s: SpdyStream) => {
      const type = headerValue(s.headers, 'streamtype') ?? '';
      if (!expected.has(type) || got.has(type)) {
        s.reset();
        return;
      }
      got.set(type, s);
      s.on('error', () => undefined);
      if (got.size < expected.size) return;
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClosed);
      const errorStream = got.get('error')!;
      const resizeStream = got.get('resize');
      const resizes = resizeStream ? new ResizeQueue() : undefined;
      if (resizeStream && resizes) {
        let pending = '';
        resizeStream.on('data', (d: Buffer) => {
          pending += d.toString('utf8');
          const cut = pending.lastIndexOf('\n');
          if (cut >= 0) {
            resizes.pushJSON(pending.slice(0, cut));
            pending = pending.slice(cut + 1);
          }
        });
      }
      // The error stream is write-only for the server: drain whatever the client sends.
      errorStream.resume();
      resolve({
        stdin: got.get('stdin'),
        stdout: got.get('stdout'),
        stderr: got.get('stderr'),
        resizes,
        signal: aborter.signal,
        finish: async (status: Status) => {
          if (!session.isClosed) {
            const text = version >= 4 ? JSON.stringify(status) : status.status === 'Success' ? '' : (status.message ?? 'error');
            await new Promise<void>((r) => errorStream.end(text, () => r()));
            for (const s of got.values()) if (s !== errorStream && !s.writableEnded) s.end();
          }
          // The client closes the connection once it has read everything; make sure it goes.
          if (!session.isClosed) {
            await new Promise<void>((r) => {
              const t = setTimeout(r, CLIENT_CLOSE_GRACE_MS);
              session.once('close', () => {
                clearTimeout(t);
                r();
              });
            });
          }
          session.close();
        },
      });
    };
    session.on('stream', onStream);
  });
}

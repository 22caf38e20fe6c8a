// exec and attach, independent of the wire protocol (WebSocket channels or SPDY streams): runs
// the runtime call with the client's streams and reports the outcome as a Status (Success;
// NonZeroExitCode with the code; or the error), then lets the transport close.
import type { Readable, Writable } from 'node:stream';
import type { Status } from '../../api/errors.js';
import type { Runtime, TerminalSize } from '../../runtime/runtime.js';
import { errorStatus, exitCodeStatus, successStatus } from './status.js';

/** What the client asked for (query of /exec and /attach). */
export interface RemoteCommandRequest {
  readonly kind: 'exec' | 'attach';
  readonly containerId: string;
  /** exec only */
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** The client's side of a session, as a transport presents it. */
export interface RemoteCommandStreams {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly resizes?: ResizeQueue;
  /** aborts when the client goes away */
  readonly signal: AbortSignal;
  /** writes the status (error channel/stream) and closes the session */
  finish(status: Status): Promise<void>;
}

/** Terminal sizes from the client; a listener registered late gets the last size at once. */
export class ResizeQueue {
  private last?: TerminalSize;
  private readonly listeners: ((s: TerminalSize) => void)[] = [];

  push(size: TerminalSize): void {
    this.last = size;
    for (const l of this.listeners) l(size);
  }

  /** Parses one or more JSON objects `{"Width":W,"Height":H}` (newline separated, as Go's encoder writes them). */
  pushJSON(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const v = JSON.parse(line) as { Width?: unknown; Height?: unknown };
        if (typeof v.Width === 'number' && typeof v.Height === 'number') this.push({ width: v.Width, height: v.Height });
      } catch {
        /* a malformed resize message is ignored, as Kubernetes does */
      }
    }
  }

  listen(listener: (s: TerminalSize) => void): void {
    this.listeners.push(listener);
    if (this.last) listener(this.last);
  }
}

function endWritable(w: Writable | undefined): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', resolve);
    w.once('close', resolve);
    w.once('error', () => resolve());
    w.end();
  });
}

/** Runs the exec/attach and finishes the session with its outcome. Never throws. */
export async function runRemoteCommand(runtime: Runtime, req: RemoteCommandRequest, streams: RemoteCommandStreams): Promise<void> {
  let status: Status;
  try {
    const opts = {
      stdin: req.stdin ? streams.stdin : undefined,
      stdout: req.stdout ? streams.stdout : undefined,
      stderr: req.stderr && !req.tty ? streams.stderr : undefined,
      tty: req.tty,
      onResize: req.tty && streams.resizes ? (l: (s: TerminalSize) => void) => streams.resizes!.listen(l) : undefined,
      signal: streams.signal,
    };
    if (req.kind === 'exec') {
      if (!runtime.exec) throw new Error('the container runtime does not support exec');
      const code = await runtime.exec(req.containerId, req.command, opts);
      status = code === 0 ? successStatus() : exitCodeStatus(req.command, code);
    } else {
      if (!runtime.attach) throw new Error('the container runtime does not support attach');
      await runtime.attach(req.containerId, opts);
      status = successStatus();
    }
  } catch (e) {
    status = errorStatus(e);
  }
  await Promise.all([endWritable(streams.stdout), endWritable(streams.stderr)]);
  await streams.finish(status);
}

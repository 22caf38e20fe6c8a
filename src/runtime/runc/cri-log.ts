// Reading the Kubernetes CRI log format conmon writes (`-l k8s-file:PATH`):
//   <RFC 3339 nano timestamp> <stdout|stderr> <P|F> <content>
// P marks a partial line (the process wrote no newline yet; the next record continues it), F a
// full one. `streamLogs` turns a log file back into the plain text lines `kubectl logs` shows.
import { open } from 'node:fs/promises';

export interface LogRecord {
  /** as written (conmon writes `+00:00`; output uses `Z`) */
  readonly timestamp: string;
  /** milliseconds since the epoch */
  readonly time: number;
  readonly stream: 'stdout' | 'stderr';
  readonly partial: boolean;
  readonly content: string;
}

/** One line of a CRI log file; undefined for malformed lines. */
export function parseLogLine(line: string): LogRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a <= 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const timestamp = line.slice(0, a);
  const time = parseTimestamp(timestamp);
  if (Number.isNaN(time)) return undefined;
  return { timestamp, time, stream, partial: tag.split(':')[0] === 'P', content: c < 0 ? '' : line.slice(c + 1) };
}

/** RFC 3339 with any number of fraction digits to milliseconds. */
export function parseTimestamp(ts: string): number {
  return Date.parse(ts.replace(/(\.\d{3})\d*/, '$1'));
}

/** A timestamp as Kubernetes prints it: UTC with `Z`. */
export function formatTimestamp(ts: string): string {
  return ts.replace(/\+00:00$/, 'Z');
}

export interface StreamLogOptions {
  readonly follow?: boolean;
  readonly tailLines?: number;
  readonly sinceTime?: number;
  readonly timestamps?: boolean;
  readonly limitBytes?: number;
  readonly signal?: AbortSignal;
  /** follow: poll interval (default 100 ms) */
  readonly pollMs?: number;
  /** follow: whether the writer is done (the container exited); following ends once it is and the file is drained */
  readonly exited?: () => boolean;
}

/**
 * Writes the log file's lines to `out` (partial records joined; each line ends with `\n`, prefixed
 * with `<timestamp> ` when `timestamps`). Without `follow` resolves after the current content;
 * with it, keeps reading until `opts.exited()` is true and the file is drained, or `signal` aborts.
 * A missing file counts as empty.
 */
export async function streamLogs(file: string, out: NodeJS.WritableStream, opts: StreamLogOptions = {}): Promise<void> {
  const exited = opts.exited ?? (() => true);
  let budget = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  let offset = 0;
  let rest = '';
  let pending: LogRecord | undefined;
  let pendingText = '';

  const readNew = async (): Promise<LogRecord[]> => {
    let fh;
    try {
      fh = await open(file, 'r');
    } catch {
      return [];
    }
    try {
      const chunks: Buffer[] = [];
      for (;;) {
        const buf = Buffer.allocUnsafe(256 * 1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        chunks.push(buf.subarray(0, bytesRead));
      }
      const text = rest + Buffer.concat(chunks).toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      const recs: LogRecord[] = [];
      for (const l of lines) {
        const r = parseLogLine(l);
        if (r) recs.push(r);
      }
      return recs;
    } finally {
      await fh.close();
    }
  };

  /** Joins partial records into whole lines. */
  const lines = (recs: LogRecord[]): Array<{ ts: string; time: number; text: string }> => {
    const outLines: Array<{ ts: string; time: number; text: string }> = [];
    for (const r of recs) {
      if (!pending) pending = r;
      pendingText += r.content;
      if (!r.partial) {
        outLines.push({ ts: pending.timestamp, time: pending.time, text: pendingText });
        pending = undefined;
        pendingText = '';
      }
    }
    return outLines;
  };

  const emit = async (ls: Array<{ ts: string; time: number; text: string }>): Promise<boolean> => {
    for (const l of ls) {
      if (opts.sinceTime !== undefined && l.time < opts.sinceTime) continue;
      let s = `${opts.timestamps ? `${formatTimestamp(l.ts)} ` : ''}${l.text}\n`;
      if (Buffer.byteLength(s) > budget) s = Buffer.from(s).subarray(0, budget).toString('utf8');
      budget -= Buffer.byteLength(s);
      if (!out.write(s)) await new Promise<void>((resolve) => out.once('drain', resolve));
      if (budget <= 0) return false;
    }
    return true;
  };

  let first = lines(await readNew());
  if (opts.sinceTime !== undefined) first = first.filter((l) => l.time >= opts.sinceTime!);
  if (opts.tailLines !== undefined && opts.tailLines >= 0) first = opts.tailLines === 0 ? [] : first.slice(-opts.tailLines);
  if (!(await emit(first)) || !opts.follow) return;
  const pollMs = opts.pollMs ?? 100;
  while (!opts.signal?.aborted) {
    const done = exited();
    if (!(await emit(lines(await readNew())))) return;
    if (done) {
      // the container is gone and everything it wrote is read; flush a trailing partial line
      if (pending) await emit([{ ts: pending.timestamp, time: pending.time, text: pendingText }]);
      return;
    }
    await sleep(pollMs, opts.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

// Serves one watch: a chunked HTTP response with one JSON event per line, flushed at once.
// resourceVersion "" or "0" starts with ADDED events for the current state; a resourceVersion N
// streams what happened after N; too old → an ERROR event carrying a 410 Expired Status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, BadRequestError } from '../api/errors.js';
import { groupVersion } from '../api/resources.js';
import type { Entry, GenericRegistry, WatchEventKind } from '../registry/generic-registry.js';
import { parseRV } from '../registry/generic-registry.js';
import type { KeyValue } from '../storage/store.js';
import { ResponseWriter } from './response-writer.js';
import { buildTable, type IncludeObject } from './table.js';

export interface WatchRequest {
  readonly registry: GenericRegistry;
  readonly namespace: string | undefined;
  readonly query: URLSearchParams;
  /** Table version when the client asked for tables */
  readonly table: string | undefined;
  readonly include: IncludeObject;
  readonly now: () => Date;
  readonly bookmarkIntervalMs: number;
  readonly onStart?: () => void;
  readonly onEnd?: () => void;
}

/** Resolves when the watch has ended (timeout, client gone, or server shutdown via socket close). */
export async function serveWatch(req: IncomingMessage, res: ServerResponse, w: WatchRequest): Promise<void> {
  const { registry, query } = w;
  const labelSelector = query.get('labelSelector') ?? undefined;
  const fieldSelector = query.get('fieldSelector') ?? undefined;
  const rvParam = query.get('resourceVersion') ?? '';
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const timeoutParam = query.get('timeoutSeconds');
  let timeoutMs = 30 * 60_000 * (1 + Math.random()); // as the apiserver's min-request-timeout spreading
  if (timeoutParam) {
    const t = Number(timeoutParam);
    if (!Number.isFinite(t) || t < 0) throw new BadRequestError(`invalid timeoutSeconds: ${timeoutParam}`);
    timeoutMs = t * 1000;
  }
  const sendInitial = query.get('sendInitialEvents') === 'true';

  // Initial state (synthetic ADDED events) for "" / "0", or an explicit sendInitialEvents.
  let initial: Entry[] = [];
  let after: number;
  if (rvParam === '' || rvParam === '0' || sendInitial) {
    const list = await registry.list(w.namespace, { labelSelector, fieldSelector });
    initial = list.items;
    after = Number(list.resourceVersion);
  } else {
    after = parseRV(rvParam);
  }

  const encode = (type: WatchEventKind, entry: Entry): string => {
    if (w.table) {
      const t = buildTable(registry.strategyFor.table, [entry.object], { version: w.table, include: w.include, now: w.now() });
      return `{"type":"${type}","object":${JSON.stringify(t)}}\n`;
    }
    return `{"type":"${type}","object":${entry.json}}\n`;
  };
  const bookmark = (rv: number): string =>
    `{"type":"BOOKMARK","object":{"kind":${JSON.stringify(registry.info.kind)},"apiVersion":${JSON.stringify(groupVersion(registry.info))},"metadata":{"resourceVersion":"${rv}"${sendInitial ? ',"annotations":{"k8s.io/initial-events-end":"true"}' : ''}}}}\n`;

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  // Events go to the socket as shared chunks (sharedEventChunk) when the body is chunked and has
  // content (not HEAD). Objects read through a storage conversion (events.k8s.io) encode
  // differently from the same key-value read through its own resource: only plain ones share.
  const shared = !w.table && !registry.strategyFor.storage && res.chunkedEncoding && req.method !== 'HEAD';
  w.onStart?.();

  let lastRV = after;
  await new Promise<void>((resolve) => {
    let done = false;
    let handle: { cancel(): void } | undefined;
    let timeout: NodeJS.Timeout | undefined;
    let ticker: NodeJS.Timeout | undefined;
    /** the socket holds this turn's events until the turn is over */
    let corked = false;
    const finish = () => {
      if (done) return;
      done = true;
      handle?.cancel();
      clearTimeout(timeout);
      clearTimeout(ticker);
      w.onEnd?.();
      if (!res.writableEnded) res.end();
      resolve();
    };
    req.on('close', finish);
    res.on('close', finish);
    res.on('error', finish);

    void (async () => {
      if (!(await writeInitial()) || done) return finish();
      watchFrom(after);
    })();

    /** The synthetic ADDED events (and the initial-events-end bookmark); false when the client left. */
    async function writeInitial(): Promise<boolean> {
      if (initial.length === 0 && !(sendInitial && bookmarks)) return true;
      const out = new ResponseWriter(res);
      for (const e of initial) {
        const written = out.appendAll(w.table ? [encode('ADDED', e)] : ['{"type":"ADDED","object":', ...e.jsonPieces, '}\n']);
        if (written !== true && !(await written)) return false;
      }
      const end = sendInitial && bookmarks ? out.append(bookmark(after)) : true;
      return (end === true || (await end)) && out.flush();
    }

    function watchFrom(from: number): void {
      try {
        handle = registry.watch(w.namespace, { labelSelector, fieldSelector, afterRevision: from }, (type: WatchEventKind, entry: Entry) => {
          if (done) return;
          lastRV = entry.kv.modRevision;
          // The headers went out with flushHeaders, so the socket carries only this response's
          // body from here on: a shared chunk (HTTP chunk framing included) goes straight to it,
          // in order with what res.write wrote before, at a fraction of res.write's cost.
          const socket = res.socket;
          // The events of one store commit arrive in one turn: they leave in one write (one
          // syscall, and over TLS one record, instead of one each), once the turn is over.
          if (socket && !socket.destroyed && !corked) {
            corked = true;
            socket.cork();
            process.nextTick(() => {
              corked = false;
              socket.uncork();
            });
          }
          if (shared && socket && !socket.destroyed) socket.write(sharedEventChunk(type, entry));
          else res.write(encode(type, entry));
        });
      } catch (e) {
        const status = e instanceof ApiError ? e.toStatus() : new ApiError(500, 'InternalError', String(e)).toStatus();
        res.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
        finish();
        return;
      }
      timeout = setTimeout(finish, timeoutMs);
      if (bookmarks) {
        const tick = () => {
          if (done) return;
          res.write(bookmark(Math.max(lastRV, from)));
          ticker = setTimeout(tick, w.bookmarkIntervalMs);
        };
        ticker = setTimeout(tick, w.bookmarkIntervalMs);
      }
    }
  });
}

/**
 * Encoded events of recent writes, shared by every watch that sends them: a fan-out to many
 * watchers encodes each event once, and hands each watcher's socket the same bytes.
 */
const SHARED_CHUNKS = 256;
const sharedChunks = new Map<KeyValue, Partial<Record<WatchEventKind, Buffer>>>();

/**
 * The event of `entry` (not storage-converted) as one HTTP/1.1 chunk — its size line, the JSON
 * line, CRLF — made once per key-value and type.
 */
export function sharedEventChunk(type: WatchEventKind, entry: Entry): Buffer {
  let chunks = sharedChunks.get(entry.kv);
  if (!chunks) {
    if (sharedChunks.size >= SHARED_CHUNKS) sharedChunks.delete(sharedChunks.keys().next().value as KeyValue);
    sharedChunks.set(entry.kv, (chunks = {}));
  }
  return (chunks[type] ??= httpChunk(`{"type":"${type}","object":${entry.json}}\n`));
}

/** text as one chunk of a chunked HTTP/1.1 body */
function httpChunk(text: string): Buffer {
  const size = Buffer.byteLength(text);
  const head = `${size.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafe(head.length + size + 2);
  chunk.write(head, 0, 'latin1');
  chunk.write(text, head.length);
  chunk.write('\r\n', head.length + size, 'latin1');
  return chunk;
}

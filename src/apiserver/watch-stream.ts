// Serves one watch: a chunked HTTP response with one JSON event per line, flushed at once.
// resourceVersion "" or "0" starts with ADDED events for the current state; a resourceVersion N
// streams what happened after N; too old → an ERROR event carrying a 410 Expired Status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, BadRequestError } from '../api/errors.js';
import { groupVersion } from '../api/resources.js';
import type { Entry, GenericRegistry, WatchEventKind } from '../registry/generic-registry.js';
import { parseRV } from '../registry/generic-registry.js';
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

  const encode = (type: string, entry: Entry): string => {
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
  w.onStart?.();

  let lastRV = after;
  await new Promise<void>((resolve) => {
    let done = false;
    let handle: { cancel(): void } | undefined;
    let timeout: NodeJS.Timeout | undefined;
    let ticker: NodeJS.Timeout | undefined;
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

    let chunk = '';
    for (const e of initial) chunk += encode('ADDED', e);
    if (sendInitial && bookmarks) chunk += bookmark(after);
    if (chunk) res.write(chunk);

    try {
      handle = registry.watch(w.namespace, { labelSelector, fieldSelector, afterRevision: after }, (type: WatchEventKind, entry: Entry) => {
        if (done) return;
        lastRV = entry.kv.modRevision;
        res.write(encode(type, entry));
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
        res.write(bookmark(Math.max(lastRV, after)));
        ticker = setTimeout(tick, w.bookmarkIntervalMs);
      };
      ticker = setTimeout(tick, w.bookmarkIntervalMs);
    }
  });
}

// The sqlite revision log, in the spirit of kine: one row per revision in table `log`; table
// `meta` holds the compacted revision. A row is
//   create: created = 1, create_revision = id, prev_revision = 0, value = new value
//   update: prev_revision = the key's previous row, value = new value
//   delete: deleted = 1, prev_revision = the key's previous row, value = the deleted value
// so every event's prevKv is either in the row itself (delete) or in its prev_revision row.
// The database is opened in exclusive locking mode: LogStore caches the latest state, so no other
// connection may write behind its back.
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { KeyStates } from './key-index.js';
import { prefixEnd } from './key-order.js';
import type { RecoveredState, RevisionLog } from './revision-log.js';
import { StoreClosedError, type KeyValue, type WatchEvent } from './store.js';

/** Schema version kept in PRAGMA user_version. */
const SCHEMA_VERSION = 1;

/** Revisions pruned per transaction, so pruning never blocks the event loop for long. */
const PRUNE_STEP_REVISIONS = 5000;

/** Free pages returned to the file system per incremental_vacuum step. */
const VACUUM_STEP_PAGES = 2048;

/**
 * SQLite's page cache, KiB. better-sqlite3 builds SQLite with a 16 MiB default, which a server
 * fills within minutes of writes; LogStore answers reads of the latest state from memory, so the
 * cache serves only appends (the table's last pages, the name index), replays of recent history
 * and past-revision lists, and the OS page cache is behind it.
 */
const PAGE_CACHE_KIB = 2048;

/** The WAL file is truncated to at most this after checkpoints. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

// No index on name: reads of the latest state are served from memory, and the queries below
// read recent revisions by id; only opening groups the rows by name, once. An index on
// (name, id) cost every write a b-tree insert at a random place (and its page in the WAL):
// without it the store's CPU per create fell from 51–61 to 36–48 µs (10,000 creates of 2.4 KB,
// 32 at a time, alternated runs), and opening a database of 10,000 keys takes ~40 ms longer
// (160–175 → 180–230 ms). Databases made by earlier versions lose the index on open; a version
// that still creates it opens this schema too.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
DROP INDEX IF EXISTS log_name_id;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

// A row with its prev_revision row's value joined in (null for creates and deletes). The unary
// `+` on name keeps the planner on the primary key: these queries read recent revisions.
const EVENT_COLUMNS = `l.id, l.name, l.created, l.deleted, l.create_revision, l.prev_revision, l.value, p.value AS prev_value
  FROM log l LEFT JOIN log p ON p.id = l.prev_revision AND l.created = 0 AND l.deleted = 0`;

interface LogRow {
  readonly id: number;
  readonly name: string;
  readonly created: number;
  readonly deleted: number;
  readonly create_revision: number;
  readonly prev_revision: number;
  readonly value: string;
  readonly prev_value: string | null;
}

interface LatestRow {
  readonly id: number;
  readonly name: string;
  readonly create_revision: number;
  readonly value: string;
}

type Row = [number, string, number, number, number, number, string];

export interface SqliteLogOptions {
  /** how long opening waits for a lock held by another connection; default 2000 ms */
  readonly busyTimeoutMs?: number;
}

export interface SqliteLogStats {
  /** rows in the log table: live keys plus kept history */
  readonly rows: number;
  readonly pageSize: number;
  /** pages in the database file */
  readonly pages: number;
  /** unused pages in the database file (reused by writes, returned by reclaimSpace) */
  readonly freePages: number;
}

export class SqliteLog implements RevisionLog {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #insert: Database.Statement<Row>;
  readonly #appendTx: Database.Transaction<(events: readonly WatchEvent[]) => void>;
  readonly #eventsAfterIn: Database.Statement<[number, string, string], LogRow>;
  readonly #eventsAfterFrom: Database.Statement<[number, string], LogRow>;
  readonly #statesAtIn: Database.Statement<[number, string, string], LogRow>;
  readonly #statesAtFrom: Database.Statement<[number, string], LogRow>;
  readonly #setMeta: Database.Statement<[string, number]>;
  readonly #pruneStep: (lo: number, hi: number) => void;
  #compacted: number;
  #pruneFloor: number;
  #pruning: Promise<void> | undefined;
  #walFd: number | undefined;

  /** Opens (creating if needed, with its directory) the log at path and recovers its state. */
  static open(path: string, options: SqliteLogOptions = {}): { log: SqliteLog; recovered: RecoveredState } {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: options.busyTimeoutMs ?? 2000 });
    try {
      configure(db, path);
      const log = new SqliteLog(db, path);
      return { log, recovered: log.#recover() };
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.#path = path;
    this.#insert = db.prepare<Row>(
      'INSERT INTO log (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#appendTx = db.transaction((events: readonly WatchEvent[]) => {
      for (const e of events) this.#insert.run(...toRow(e));
    });
    this.#eventsAfterIn = db.prepare(
      `SELECT ${EVENT_COLUMNS} WHERE l.id > ? AND +l.name >= ? AND +l.name < ? ORDER BY l.id`,
    );
    this.#eventsAfterFrom = db.prepare(`SELECT ${EVENT_COLUMNS} WHERE l.id > ? AND +l.name >= ? ORDER BY l.id`);
    this.#statesAtIn = db.prepare(
      `SELECT ${EVENT_COLUMNS} WHERE l.id IN (SELECT MIN(id) FROM log WHERE id > ? AND +name >= ? AND +name < ? GROUP BY +name)`,
    );
    this.#statesAtFrom = db.prepare(
      `SELECT ${EVENT_COLUMNS} WHERE l.id IN (SELECT MIN(id) FROM log WHERE id > ? AND +name >= ? GROUP BY +name)`,
    );
    this.#setMeta = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    // Rows superseded by a row in [lo, hi) and tombstones in [lo, hi) are history only: with
    // hi <= compacted, the state at compacted - 1 and every later event stay complete.
    const deleteSuperseded = db.prepare<[number, number]>(
      'DELETE FROM log WHERE id IN (SELECT prev_revision FROM log WHERE id >= ? AND id < ? AND prev_revision > 0)',
    );
    const deleteTombstones = db.prepare<[number, number]>('DELETE FROM log WHERE id >= ? AND id < ? AND deleted = 1');
    this.#pruneStep = db.transaction((lo: number, hi: number) => {
      deleteSuperseded.run(lo, hi);
      deleteTombstones.run(lo, hi);
      this.#setMeta.run('prune_floor', hi);
    });
    const meta = db.prepare<[string], number>('SELECT value FROM meta WHERE key = ?').pluck();
    this.#compacted = meta.get('compact_revision') ?? 0;
    this.#pruneFloor = meta.get('prune_floor') ?? 0;
  }

  /**
   * Writes the batch in one transaction (synchronous = NORMAL: into the WAL, no fsync), then
   * fsyncs the WAL on the thread pool; resolves once the batch is on disk. The event loop is free
   * during the fsync, which is what lets group commit gather the next batch.
   */
  append(events: readonly WatchEvent[]): Promise<void> {
    this.#appendTx.immediate(events);
    const fd = this.#wal();
    return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(new Error(`sqlite store ${this.#path}: fsync of the WAL failed: ${err.message}`, { cause: err })) : resolve())));
  }

  eventsAfter(prefix: string, after: number): WatchEvent[] {
    const end = prefixEnd(prefix);
    const rows = end === undefined ? this.#eventsAfterFrom.all(after, prefix) : this.#eventsAfterIn.all(after, prefix, end);
    return rows.map(toEvent);
  }

  statesAt(prefix: string, revision: number): KeyStates {
    const end = prefixEnd(prefix);
    const rows =
      end === undefined ? this.#statesAtFrom.all(revision, prefix) : this.#statesAtIn.all(revision, prefix, end);
    const states = new Map<string, KeyValue | null>();
    for (const row of rows) states.set(row.name, stateBefore(row));
    return states;
  }

  markCompacted(revision: number): void {
    this.#setMeta.run('compact_revision', revision);
    fsyncSync(this.#wal());
    this.#compacted = revision;
  }

  /** Runs one pruning at a time; a call during a run joins it (the run reads the latest target). */
  prune(): Promise<void> {
    this.#pruning ??= this.#pruneLoop().finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  /**
   * Checkpoints the WAL into the database file and truncates it, then returns the free pages of
   * the database file to the file system in steps. Pages are only returned for databases created
   * by this version (auto_vacuum = INCREMENTAL is fixed when a database is created).
   */
  async reclaimSpace(): Promise<void> {
    this.#checkOpen();
    await this.#pruning;
    while (this.#db.open && this.#pragmaNumber('freelist_count') > 0) {
      this.#db.pragma(`incremental_vacuum(${VACUUM_STEP_PAGES})`);
      await nextTurn();
    }
    if (this.#db.open) this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  stats(): SqliteLogStats {
    this.#checkOpen();
    const rows = this.#db.prepare<[], number>('SELECT COUNT(*) FROM log').pluck().get() ?? 0;
    return {
      rows,
      pageSize: this.#pragmaNumber('page_size'),
      pages: this.#pragmaNumber('page_count'),
      freePages: this.#pragmaNumber('freelist_count'),
    };
  }

  close(): void {
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
    if (this.#db.open) this.#db.close();
  }

  /**
   * A descriptor of the WAL file, opened on first use (its directory entry made durable then).
   * With locking_mode EXCLUSIVE, SQLite keeps this file (truncating, never deleting it) until
   * the connection closes; fsync through any descriptor flushes the file's data.
   */
  #wal(): number {
    if (this.#walFd === undefined) {
      const wal = `${this.#path}-wal`;
      if (!existsSync(wal)) throw new Error(`sqlite store ${this.#path}: expected the WAL file ${wal} after a write`);
      this.#walFd = openSync(wal, 'r');
      const dir = openSync(dirname(wal), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.#walFd;
  }

  #recover(): RecoveredState {
    const db = this.#db;
    const lastId = db.prepare<[], number | null>('SELECT MAX(id) FROM log').pluck().get() ?? null;
    const latest = db
      .prepare<[], LatestRow>(
        `SELECT l.id, l.name, l.create_revision, l.value
         FROM log l JOIN (SELECT MAX(id) AS id FROM log GROUP BY name) m ON l.id = m.id
         WHERE l.deleted = 0`,
      )
      .all();
    const kvs = latest.map(
      (r): KeyValue => ({ key: r.name, value: r.value, createRevision: r.create_revision, modRevision: r.id }),
    );
    return { kvs, revision: Math.max(lastId ?? 0, this.#compacted), compacted: this.#compacted };
  }

  async #pruneLoop(): Promise<void> {
    while (this.#db.open && this.#pruneFloor < this.#compacted) {
      const lo = this.#pruneFloor;
      const hi = Math.min(this.#compacted, lo + PRUNE_STEP_REVISIONS);
      this.#pruneStep(lo, hi);
      this.#pruneFloor = hi;
      if (hi < this.#compacted) await nextTurn();
    }
  }

  #pragmaNumber(name: string): number {
    const value = this.#db.pragma(name, { simple: true });
    if (typeof value !== 'number') throw new Error(`sqlite store ${this.#path}: PRAGMA ${name}: expected a number, got ${String(value)}`);
    return value;
  }

  #checkOpen(): void {
    if (!this.#db.open) throw new StoreClosedError();
  }
}

function configure(db: Database.Database, path: string): void {
  try {
    // Exclusive locking must precede the switch to WAL (no shared-memory index is needed then);
    // auto_vacuum only takes effect on a database without tables yet.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('auto_vacuum = INCREMENTAL');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`sqlite store ${path}: expected journal_mode wal, got ${String(mode)}`);
  } catch (err) {
    if (err instanceof Database.SqliteError && err.code === 'SQLITE_BUSY') {
      throw new Error(`sqlite store ${path}: database is locked (is another skiff server using it?)`, { cause: err });
    }
    throw err;
  }
  // Commits are made durable by append()'s own fsync of the WAL, off the event loop; NORMAL still
  // syncs around checkpoints, so the database file never depends on an unsynced WAL.
  db.pragma('synchronous = NORMAL');
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  const version = db.pragma('user_version', { simple: true });
  if (typeof version !== 'number' || version > SCHEMA_VERSION) {
    throw new Error(`sqlite store ${path}: expected schema version <= ${SCHEMA_VERSION}, got ${String(version)} (written by a newer skiff?)`);
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

function toRow(e: WatchEvent): Row {
  const { key, createRevision } = e.kv;
  switch (e.type) {
    case 'create':
      return [e.revision, key, 1, 0, createRevision, 0, e.kv.value];
    case 'update':
      return [e.revision, key, 0, 0, createRevision, e.prevKv?.modRevision ?? 0, e.kv.value];
    case 'delete':
      return [e.revision, key, 0, 1, createRevision, e.prevKv?.modRevision ?? 0, e.kv.value];
  }
}

function toEvent(row: LogRow): WatchEvent {
  const kv: KeyValue = { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id };
  if (row.created) return { type: 'create', revision: row.id, kv };
  return { type: row.deleted ? 'delete' : 'update', revision: row.id, kv, prevKv: previousKv(row) };
}

/** The key's kv just before the row's write: null for a create. */
function stateBefore(row: LogRow): KeyValue | null {
  return row.created ? null : previousKv(row);
}

/** The kv an update or delete row replaced. */
function previousKv(row: LogRow): KeyValue {
  const value = row.deleted ? row.value : row.prev_value;
  if (value === null) {
    throw new Error(`sqlite log: revision ${row.prev_revision} of ${row.name} (before ${row.id}) is missing`);
  }
  return { key: row.name, value, createRevision: row.create_revision, modRevision: row.prev_revision };
}

// The sqlite driver (the default, embedded store): a LogStore over a SqliteLog in WAL mode; a
// write's promise resolves only once its transaction is on disk (the WAL fsynced after each
// commit, as synchronous=FULL does, but on the thread pool instead of the event loop). Writes
// submitted while a commit is in flight share the next transaction (group commit). The latest value of every key is kept
// in memory; the database holds history for watches, past-revision lists and restarts.
import { LogStore, type LogStoreOptions } from './log-store.js';
import { SqliteLog, type SqliteLogOptions, type SqliteLogStats } from './sqlite-log.js';

export interface SqliteStoreOptions extends LogStoreOptions, SqliteLogOptions {}

export type SqliteStoreStats = SqliteLogStats;

export class SqliteStore extends LogStore {
  /** the database file */
  readonly path: string;
  readonly #log: SqliteLog;

  private constructor(path: string, opened: ReturnType<typeof SqliteLog.open>, options: SqliteStoreOptions) {
    super(opened.log, opened.recovered, options);
    this.path = path;
    this.#log = opened.log;
  }

  /**
   * Opens the store in the database file at path, creating the file and its directory if needed,
   * and recovers the latest revision, the compacted revision and every key. Fails if another
   * connection holds the database.
   */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    return new SqliteStore(path, SqliteLog.open(path, options), options);
  }

  /**
   * Returns space freed by compaction to the file system (incremental vacuum) and truncates the
   * WAL. Compaction alone keeps the file bounded (freed pages are reused); this shrinks it.
   */
  reclaimSpace(): Promise<void> {
    return this.#log.reclaimSpace();
  }

  stats(): SqliteStoreStats {
    return this.#log.stats();
  }
}

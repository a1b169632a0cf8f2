import Database from 'better-sqlite3'
import type { ExecPersistence, ExecSnapshot } from '@dexec/exec-store'

import { decodeSnapshot, encodeSnapshot } from './codec.js'
import { DatabaseInUseError, UnsupportedSchemaError } from './errors.js'

/** The schema version that this code writes. */
export const SCHEMA_VERSION = 1

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE execs (
      id TEXT PRIMARY KEY,
      container_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      status TEXT NOT NULL,
      snapshot TEXT NOT NULL
    );
    CREATE INDEX execs_by_container ON execs (container_id);
  `,
}

/**
 * Exec records in one SQLite file (WAL mode, synchronous=NORMAL). Each save or delete is its
 * own transaction, so a crash never leaves part of a change. A power loss can undo the last
 * committed changes, because NORMAL does not sync the WAL on each commit.
 */
export class ExecDb implements ExecPersistence {
  readonly path: string
  private readonly db: Database.Database
  private readonly upsert: Database.Statement
  private readonly remove: Database.Statement
  private readonly selectAll: Database.Statement

  /**
   * Opens or creates the database at `path` and brings its schema up to date. The file stays
   * locked until close(), so a second server on the same state directory fails here with
   * DatabaseInUseError instead of adopting the first one's execs. The lock dies with the process.
   */
  constructor(path: string) {
    this.path = path
    this.db = new Database(path, { timeout: 0 })
    try {
      this.db.pragma('locking_mode = EXCLUSIVE')
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      // An empty write transaction takes the exclusive lock now rather than at the first save.
      this.db.exec('BEGIN EXCLUSIVE; COMMIT')
      migrate(this.db, path)
    } catch (err) {
      this.db.close()
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DatabaseInUseError(path, { cause: err })
      throw err
    }
    this.upsert = this.db.prepare(
      `INSERT INTO execs (id, container_id, created_at, status, snapshot)
       VALUES (@id, @containerId, @createdAt, @status, @snapshot)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, snapshot = excluded.snapshot`,
    )
    this.remove = this.db.prepare('DELETE FROM execs WHERE id = ?')
    this.selectAll = this.db.prepare('SELECT id, snapshot FROM execs ORDER BY created_at, rowid')
  }

  /** Returns every stored record, oldest first. Throws CorruptRecordError on an unreadable row. */
  loadAll(): ExecSnapshot[] {
    const rows = this.selectAll.all() as { id: string; snapshot: string }[]
    return rows.map((row) => decodeSnapshot(row.id, row.snapshot))
  }

  save(snapshot: ExecSnapshot): void {
    this.db.transaction(() => {
      this.upsert.run({
        id: snapshot.id,
        containerId: snapshot.config.containerId,
        createdAt: snapshot.createdAt.getTime(),
        status: snapshot.status,
        snapshot: encodeSnapshot(snapshot),
      })
    })()
  }

  delete(id: string): void {
    this.db.transaction(() => {
      this.remove.run(id)
    })()
  }

  /** Returns a PRAGMA's value, for checks of the settings. */
  pragma(name: string): unknown {
    return this.db.pragma(name, { simple: true })
  }

  /** Closes the database; later calls throw. */
  close(): void {
    this.db.close()
  }
}

/** Applies the migrations past the stored version, each in a transaction with its version row. */
function migrate(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)')
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null }
  const current = row.version ?? 0
  if (current > SCHEMA_VERSION) throw new UnsupportedSchemaError(path, current, SCHEMA_VERSION)
  for (let version = current + 1; version <= SCHEMA_VERSION; version += 1) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!)
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version)
    })()
  }
}

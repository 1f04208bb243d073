import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** An open SQLite database (better-sqlite3 handle). */
export type SqliteDatabase = Database.Database;

/** One schema step: applied once, in order, inside a transaction. */
export interface Migration {
  /** Monotonic within its scope, starting at 1. */
  version: number;
  description: string;
  sql: string;
}

/**
 * Opens (creating if needed) a SQLite database in WAL mode with foreign keys on.
 * `:memory:` is accepted for unit tests.
 */
export function openSqlite(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Applies the migrations of one scope (a capability: 'signer', 'keys', …) that this
 * database has not seen yet. Each capability owns its tables and its migration list;
 * the `schema_migrations` table records what ran.
 */
export function migrate(db: SqliteDatabase, scope: string, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    scope TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (scope, version))`);
  const done = new Set(
    db.prepare('SELECT version FROM schema_migrations WHERE scope = ?').pluck().all(scope) as number[],
  );
  const record = db.prepare('INSERT INTO schema_migrations (scope, version, description, applied_at) VALUES (?, ?, ?, ?)');
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(scope, m.version, m.description, new Date().toISOString());
    })();
  }
}

import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../log/index.js';

/** Folders of the data directory: the server's user only. */
export const DATA_DIR_MODE = 0o700;
/** Files of the data directory (state.db and its -wal/-shm, master.key, credentials, objects): the server's user only. */
export const DATA_FILE_MODE = 0o600;

/**
 * Makes the data directory the server's own, before anything in it is opened:
 * - the process umask becomes 077, so every file and folder made later (SQLite's -wal/-shm,
 *   objects, temporary files) is created 0600/0700;
 * - the database file is created 0600 when missing (SQLite gives -wal/-shm its mode);
 * - everything already under `dataDir` (and the database, wherever it is) is re-chmodded to
 *   0700/0600, fixing a tree left world-readable by an older version. Symbolic links are
 *   neither followed nor changed. Each path that cannot be fixed is named in one warning.
 *
 * Returns the paths it could not fix.
 */
export function secureDataDir(dataDir: string, opts: { databaseFile?: string; logger: Logger }): string[] {
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot change the umask; the chmod pass below and explicit modes still apply.
  }
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const db = opts.databaseFile && opts.databaseFile !== ':memory:' ? opts.databaseFile : undefined;
  if (db) {
    mkdirSync(dirname(db), { recursive: true, mode: DATA_DIR_MODE });
    closeSync(openSync(db, 'a', DATA_FILE_MODE));
  }
  const failed: string[] = [];
  const fix = (path: string, mode: number) => {
    try {
      chmodSync(path, mode);
    } catch {
      failed.push(path);
    }
  };
  // Iterative walk: depth of the tree is the object store's, not bounded by the stack.
  const stack = [dataDir];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    fix(dir, DATA_DIR_MODE);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      failed.push(dir);
      continue;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.isFile()) fix(path, DATA_FILE_MODE);
    }
  }
  if (db && !db.startsWith(dataDir)) {
    for (const f of [db, `${db}-wal`, `${db}-shm`]) {
      try {
        if (lstatSync(f).isFile()) fix(f, DATA_FILE_MODE);
      } catch {
        // absent: SQLite creates it later with the database's mode
      }
    }
  }
  if (failed.length > 0) {
    opts.logger.warn('could not restrict permissions of data directory paths to the server user (0700/0600); fix them by hand', { paths: failed });
  }
  return failed;
}

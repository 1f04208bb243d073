import { AsyncLocalStorage } from 'node:async_hooks';
import type { Statement } from 'better-sqlite3';
import { encodeRecord } from './json-codec.js';
import type { AuditRecord } from './records.types.js';
import type { SqliteDatabase } from './sqlite.js';

/**
 * The audit record of one state-changing call, waiting for the write that makes the change.
 *
 * The API layer opens a scope around a mutating handler; the store's change-making writes
 * ({@link auditedWrite}) insert the record in the same SQLite transaction as the change, so
 * a change is committed with its record or not at all. `written` tells the API layer whether
 * the record went in with a change; a call that changed nothing gets its record written alone.
 */
export interface PendingAudit {
  readonly record: AuditRecord;
  written: boolean;
  /** Set when the call has answered: later writes in this async context (a job it queued) are not the call's. */
  closed: boolean;
}

const scopes = new AsyncLocalStorage<PendingAudit>();

/** The largest audit row (encoded JSON) the store accepts: a record that does not fit fails its write, and the change with it. */
export const MAX_AUDIT_RECORD_BYTES = 16_384;

/** Runs `fn` with `pending` as the audit scope of every write it makes. */
export function runInAuditScope<T>(pending: PendingAudit, fn: () => Promise<T>): Promise<T> {
  return scopes.run(pending, fn);
}

/**
 * Runs `fn` outside any audit scope: for work that a call starts but that is not its change
 * (the job runner's signing, a lazily issued server key shared by many calls).
 */
export function outsideAuditScope<T>(fn: () => T): T {
  return scopes.exit(fn);
}

const inserts = new WeakMap<SqliteDatabase, Statement>();

/** Inserts one audit row (any open transaction of `db` includes it). Throws when the record exceeds {@link MAX_AUDIT_RECORD_BYTES}. */
export function insertAuditRow(db: SqliteDatabase, r: AuditRecord): void {
  const data = encodeRecord(r);
  if (Buffer.byteLength(data) > MAX_AUDIT_RECORD_BYTES) {
    throw new Error(`audit record of ${r.eventName} is ${Buffer.byteLength(data)} bytes; the limit is ${MAX_AUDIT_RECORD_BYTES}`);
  }
  let insert = inserts.get(db);
  if (!insert) {
    insert = db.prepare('INSERT INTO audit (event_time, account_id, event_name, data) VALUES (?, ?, ?, ?)');
    inserts.set(db, insert);
  }
  insert.run(
    r.eventTime.getTime(),
    r.accountId ?? null,
    r.eventName,
    data,
  );
}

/**
 * Runs `write` (synchronous SQL on `db`) in one transaction. When it runs inside an open audit
 * scope whose record is not written yet and `changed(result)` says state changed, the scope's
 * record is inserted in that same transaction; if the insert fails, the change rolls back and
 * the error propagates to the caller.
 */
export function auditedWrite<T>(db: SqliteDatabase, write: () => T, changed: (result: T) => boolean = () => true): T {
  const pending = scopes.getStore();
  return db.transaction((): T => {
    const result = write();
    if (pending && !pending.written && !pending.closed && changed(result)) {
      insertAuditRow(db, pending.record);
      pending.written = true;
    }
    return result;
  })();
}

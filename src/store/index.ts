/** Durable state behind one interface. SQLite is the embedded default. */
export type { StateStore, Page } from './state-store.types.js';
export type * from './records.types.js';
export { SqliteStateStore } from './sqlite-state-store.js';
export { openSqlite, migrate, type SqliteDatabase, type Migration } from './sqlite.js';
export {
  auditedWrite,
  insertAuditRow,
  outsideAuditScope,
  runInAuditScope,
  MAX_AUDIT_RECORD_BYTES,
  type PendingAudit,
} from './audit-scope.js';

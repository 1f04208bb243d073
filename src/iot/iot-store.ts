/**
 * The IoT capability's tables (migration scope `iot`) in the server's SQLite file, next to the
 * Signer and keys tables. Rows keep their indexed columns plus the full record as JSON (`data`),
 * like the Signer store. better-sqlite3 is synchronous, so a `transaction()` here is atomic
 * against every other caller in the process.
 */
import type { Statement } from 'better-sqlite3';
import { migrate, type Migration, type SqliteDatabase } from '../store/sqlite.js';

export const IOT_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'things, thing groups, device certificates, streams, jobs, job executions, OTA updates',
    sql: `
      CREATE TABLE iot_things (account_id TEXT NOT NULL, thing_name TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_id, thing_name));
      CREATE TABLE iot_thing_groups (account_id TEXT NOT NULL, group_name TEXT NOT NULL, parent_name TEXT, data TEXT NOT NULL, PRIMARY KEY (account_id, group_name));
      CREATE TABLE iot_group_members (account_id TEXT NOT NULL, group_name TEXT NOT NULL, thing_name TEXT NOT NULL, PRIMARY KEY (account_id, group_name, thing_name));
      CREATE INDEX iot_group_members_thing ON iot_group_members (account_id, thing_name);
      CREATE TABLE iot_certificates (
        certificate_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE INDEX iot_certificates_account ON iot_certificates (account_id, created_at);
      CREATE TABLE iot_principals (account_id TEXT NOT NULL, thing_name TEXT NOT NULL, certificate_id TEXT NOT NULL, PRIMARY KEY (account_id, thing_name, certificate_id));
      CREATE INDEX iot_principals_cert ON iot_principals (certificate_id);
      CREATE TABLE iot_streams (account_id TEXT NOT NULL, stream_id TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_id, stream_id));
      CREATE TABLE iot_jobs (account_id TEXT NOT NULL, job_id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_id, job_id));
      CREATE TABLE iot_job_executions (
        account_id TEXT NOT NULL, job_id TEXT NOT NULL, thing_name TEXT NOT NULL, execution_number INTEGER NOT NULL,
        status TEXT NOT NULL, queued_seq INTEGER NOT NULL, timeout_at INTEGER, released INTEGER NOT NULL DEFAULT 1, data TEXT NOT NULL,
        PRIMARY KEY (account_id, job_id, thing_name, execution_number));
      CREATE INDEX iot_job_executions_thing ON iot_job_executions (account_id, thing_name, status, queued_seq);
      CREATE INDEX iot_job_executions_unreleased ON iot_job_executions (account_id, job_id, queued_seq) WHERE released = 0;
      CREATE INDEX iot_job_executions_timeout ON iot_job_executions (timeout_at) WHERE timeout_at IS NOT NULL;
      CREATE TABLE iot_ota_updates (account_id TEXT NOT NULL, ota_update_id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_id, ota_update_id));
    `,
  },
]);

/** Dates are stored as ISO strings inside `data`; this revives them. */
const DATE_KEYS = new Set(['createdAt', 'lastUpdatedAt', 'completedAt', 'queuedAt', 'startedAt', 'timeoutAt', 'creationDate', 'lastModifiedDate', 'notBefore', 'notAfter']);

export function encode(record: unknown): string {
  return JSON.stringify(record);
}
export function decode<T>(text: string): T {
  return JSON.parse(text, (k, v) => (DATE_KEYS.has(k) && typeof v === 'string' ? new Date(v) : v)) as T;
}

/** The open database plus a statement cache. */
export class IotDb {
  private readonly statements = new Map<string, Statement>();
  constructor(readonly db: SqliteDatabase) {
    migrate(db, 'iot', IOT_MIGRATIONS);
  }
  q(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase, Migration } from './sqlite.js';
import { migrate, openSqlite } from './sqlite.js';
import { auditedWrite, insertAuditRow } from './audit-scope.js';
import { decodeRecord, encodeRecord } from './json-codec.js';
import type { Page, StateStore } from './state-store.types.js';
import type {
  AccessKeyRecord,
  AccountRecord,
  AuditRecord,
  JobFilter,
  JobRecord,
  PolicyRecord,
  ProfileRecord,
  ProfileStatus,
  ProfileVersionRecord,
  UnauthenticatedCount,
} from './records.types.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'accounts, access keys, profiles, profile versions, policies, jobs, audit',
    sql: `
      CREATE TABLE accounts (account_id TEXT PRIMARY KEY, data TEXT NOT NULL);
      CREATE TABLE access_keys (access_key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(account_id), data TEXT NOT NULL);
      CREATE INDEX access_keys_account ON access_keys(account_id);
      CREATE TABLE profiles (
        account_id TEXT NOT NULL, profile_name TEXT NOT NULL, status TEXT NOT NULL, platform_id TEXT NOT NULL,
        current_version TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_id, profile_name));
      CREATE TABLE profile_versions (
        account_id TEXT NOT NULL, profile_name TEXT NOT NULL, profile_version TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (account_id, profile_name, profile_version));
      CREATE TABLE policies (
        account_id TEXT NOT NULL, profile_name TEXT NOT NULL, revision_id TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (account_id, profile_name));
      CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY, job_owner TEXT NOT NULL, job_invoker TEXT NOT NULL, status TEXT NOT NULL,
        platform_id TEXT NOT NULL, requested_by TEXT NOT NULL, is_revoked INTEGER NOT NULL,
        signature_expires_at INTEGER, created_at INTEGER NOT NULL, client_request_token TEXT, data TEXT NOT NULL);
      CREATE UNIQUE INDEX jobs_token ON jobs(job_invoker, client_request_token) WHERE client_request_token IS NOT NULL;
      CREATE INDEX jobs_owner ON jobs(job_owner, created_at DESC, job_id DESC);
      CREATE INDEX jobs_invoker ON jobs(job_invoker, created_at DESC, job_id DESC);
      CREATE INDEX jobs_status ON jobs(status);
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, event_time INTEGER NOT NULL, account_id TEXT, event_name TEXT NOT NULL, data TEXT NOT NULL);
      CREATE INDEX audit_account_time ON audit(account_id, event_time);
    `,
  },
  {
    version: 2,
    description: 'access key change counter: bumped by every update or delete of an access key, from any process',
    sql: `
      CREATE TABLE access_keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
      INSERT INTO access_keys_version (id, version) VALUES (1, 0);
      CREATE TRIGGER access_keys_updated AFTER UPDATE ON access_keys BEGIN UPDATE access_keys_version SET version = version + 1 WHERE id = 1; END;
      CREATE TRIGGER access_keys_deleted AFTER DELETE ON access_keys BEGIN UPDATE access_keys_version SET version = version + 1 WHERE id = 1; END;
    `,
  },
  {
    version: 3,
    description: 'per-minute counters of unauthenticated failures (instead of one audit row each)',
    sql: `
      CREATE TABLE audit_unauthenticated (
        minute INTEGER NOT NULL, event_source TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (minute, event_source, reason));
    `,
  },
];

interface ProfileRow {
  data: string;
  current: string;
}

/** The default state store: one SQLite file in WAL mode. */
export class SqliteStateStore implements StateStore {
  readonly kind = 'sqlite';
  private readonly statements = new Map<string, Statement>();
  private constructor(readonly db: SqliteDatabase) {}

  /** Prepared statements are cached: preparing costs more than running a point query. */
  private q(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Opens `file` (or `:memory:`) and applies pending migrations. */
  static open(file: string): SqliteStateStore {
    const db = openSqlite(file);
    migrate(db, 'state', MIGRATIONS);
    return new SqliteStateStore(db);
  }

  async createAccount(account: AccountRecord): Promise<void> {
    this.q('INSERT INTO accounts (account_id, data) VALUES (?, ?)').run(account.accountId, encodeRecord(account));
  }
  async getAccount(accountId: string): Promise<AccountRecord | undefined> {
    const row = this.q('SELECT data FROM accounts WHERE account_id = ?').pluck().get(accountId) as string | undefined;
    return row === undefined ? undefined : decodeRecord<AccountRecord>(row);
  }
  async listAccounts(): Promise<AccountRecord[]> {
    return (this.q('SELECT data FROM accounts ORDER BY account_id').pluck().all() as string[]).map((r) => decodeRecord<AccountRecord>(r));
  }
  async putAccessKey(key: AccessKeyRecord): Promise<void> {
    this.q('INSERT INTO access_keys (access_key_id, account_id, data) VALUES (?, ?, ?) ON CONFLICT(access_key_id) DO UPDATE SET data = excluded.data')
      .run(key.accessKeyId, key.accountId, encodeRecord(key));
  }
  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const row = this.q('SELECT data FROM access_keys WHERE access_key_id = ?').pluck().get(accessKeyId) as string | undefined;
    return row === undefined ? undefined : decodeRecord<AccessKeyRecord>(row);
  }
  accessKeysVersion(): number {
    return this.q('SELECT version FROM access_keys_version WHERE id = 1').pluck().get() as number;
  }
  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.q('DELETE FROM access_keys WHERE access_key_id = ?').run(accessKeyId).changes > 0;
  }
  async listAccessKeys(accountId: string): Promise<AccessKeyRecord[]> {
    return (this.q('SELECT data FROM access_keys WHERE account_id = ? ORDER BY access_key_id').pluck().all(accountId) as string[]).map((r) =>
      decodeRecord<AccessKeyRecord>(r),
    );
  }

  private profileFromRow(row: ProfileRow): ProfileRecord {
    return { ...decodeRecord<Omit<ProfileRecord, 'current'>>(row.data), current: decodeRecord<ProfileVersionRecord>(row.current) };
  }
  private static readonly PROFILE_SELECT = `SELECT p.data AS data, v.data AS current FROM profiles p
    JOIN profile_versions v ON v.account_id = p.account_id AND v.profile_name = p.profile_name AND v.profile_version = p.current_version`;

  async getProfile(accountId: string, profileName: string): Promise<ProfileRecord | undefined> {
    const row = this.q(`${SqliteStateStore.PROFILE_SELECT} WHERE p.account_id = ? AND p.profile_name = ?`).get(accountId, profileName) as
      | ProfileRow
      | undefined;
    return row && this.profileFromRow(row);
  }

  async putProfileVersion(
    profile: Omit<ProfileRecord, 'current'>,
    version: ProfileVersionRecord,
    expectedCurrentVersion: string | undefined,
  ): Promise<boolean> {
    return auditedWrite(this.db, (): boolean => {
      const stored = this.q('SELECT current_version FROM profiles WHERE account_id = ? AND profile_name = ?')
        .pluck()
        .get(profile.accountId, profile.profileName) as string | undefined;
      if (stored !== expectedCurrentVersion) return false;
      this.q('INSERT INTO profile_versions (account_id, profile_name, profile_version, data) VALUES (?, ?, ?, ?)')
        .run(version.accountId, version.profileName, version.profileVersion, encodeRecord(version));
      this.q(
          `INSERT INTO profiles (account_id, profile_name, status, platform_id, current_version, data) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(account_id, profile_name) DO UPDATE SET status = excluded.status, platform_id = excluded.platform_id,
             current_version = excluded.current_version, data = excluded.data`,
        )
        .run(profile.accountId, profile.profileName, profile.status, version.platformId, version.profileVersion, encodeRecord(profile));
      return true;
    }, (ok) => ok);
  }

  async getProfileVersion(accountId: string, profileName: string, profileVersion: string): Promise<ProfileVersionRecord | undefined> {
    const row = this.q('SELECT data FROM profile_versions WHERE account_id = ? AND profile_name = ? AND profile_version = ?')
      .pluck()
      .get(accountId, profileName, profileVersion) as string | undefined;
    return row === undefined ? undefined : decodeRecord<ProfileVersionRecord>(row);
  }

  async updateProfile(
    accountId: string,
    profileName: string,
    patch: { status?: ProfileStatus; statusReason?: string; tags?: Record<string, string>; updatedAt: Date },
  ): Promise<void> {
    auditedWrite(this.db, () => this.patchProfile(accountId, profileName, patch), (changed) => changed);
  }

  private patchProfile(
    accountId: string,
    profileName: string,
    patch: { status?: ProfileStatus; statusReason?: string; tags?: Record<string, string>; updatedAt: Date },
  ): boolean {
    const row = this.q('SELECT data FROM profiles WHERE account_id = ? AND profile_name = ?').pluck().get(accountId, profileName) as
      | string
      | undefined;
    if (row === undefined) return false;
    const next = { ...decodeRecord<Omit<ProfileRecord, 'current'>>(row), ...patch };
    this.q('UPDATE profiles SET status = ?, data = ? WHERE account_id = ? AND profile_name = ?')
      .run(next.status, encodeRecord(next), accountId, profileName);
    return true;
  }

  async updateProfileVersion(version: ProfileVersionRecord): Promise<void> {
    this.q('UPDATE profile_versions SET data = ? WHERE account_id = ? AND profile_name = ? AND profile_version = ?')
      .run(encodeRecord(version), version.accountId, version.profileName, version.profileVersion);
  }

  async revokeProfileVersion(
    version: ProfileVersionRecord,
    profilePatch: { status: ProfileStatus; statusReason: string; updatedAt: Date } | undefined,
  ): Promise<void> {
    auditedWrite(this.db, () => {
      this.q('UPDATE profile_versions SET data = ? WHERE account_id = ? AND profile_name = ? AND profile_version = ?')
        .run(encodeRecord(version), version.accountId, version.profileName, version.profileVersion);
      if (profilePatch) this.patchProfile(version.accountId, version.profileName, profilePatch);
    });
  }


  async listProfiles(
    accountId: string,
    filter: { statuses: ProfileStatus[]; platformId?: string },
    afterKey: string | undefined,
    limit: number,
  ): Promise<Page<ProfileRecord>> {
    const where = ['p.account_id = ?', `p.status IN (${filter.statuses.map(() => '?').join(',') || "''"})`];
    const args: unknown[] = [accountId, ...filter.statuses];
    if (filter.platformId !== undefined) {
      where.push('p.platform_id = ?');
      args.push(filter.platformId);
    }
    if (afterKey !== undefined) {
      where.push('p.profile_name > ?');
      args.push(afterKey);
    }
    const rows = this.q(`${SqliteStateStore.PROFILE_SELECT} WHERE ${where.join(' AND ')} ORDER BY p.profile_name LIMIT ?`)
      .all(...args, limit + 1) as ProfileRow[];
    const items = rows.slice(0, limit).map((r) => this.profileFromRow(r));
    return { items, nextKey: rows.length > limit ? items[items.length - 1]?.profileName : undefined };
  }

  async profilesUsingCertificate(certificateArn: string): Promise<string[]> {
    const rows = this.q(
      `SELECT p.account_id AS a, p.profile_name AS n FROM profiles p JOIN profile_versions v
         ON v.account_id = p.account_id AND v.profile_name = p.profile_name AND v.profile_version = p.current_version
       WHERE p.status = 'Active' AND json_extract(v.data, '$.signingMaterial.certificateArn') = ?`,
    ).all(certificateArn) as { a: string; n: string }[];
    const region = /^arn:aws:acm:([a-z0-9-]+):/.exec(certificateArn)?.[1] ?? 'us-east-1';
    return rows.map((r) => `arn:aws:signer:${region}:${r.a}:/signing-profiles/${r.n}`);
  }

  async getPolicy(accountId: string, profileName: string): Promise<PolicyRecord | undefined> {
    const row = this.q('SELECT data FROM policies WHERE account_id = ? AND profile_name = ?').pluck().get(accountId, profileName) as
      | string
      | undefined;
    return row === undefined ? undefined : decodeRecord<PolicyRecord>(row);
  }

  async swapPolicy(
    accountId: string,
    profileName: string,
    expectedRevisionId: string | undefined,
    next: PolicyRecord | undefined,
  ): Promise<boolean> {
    return auditedWrite(this.db, (): boolean => {
      const stored = this.q('SELECT revision_id FROM policies WHERE account_id = ? AND profile_name = ?')
        .pluck()
        .get(accountId, profileName) as string | undefined;
      if (stored !== expectedRevisionId) return false;
      if (next === undefined) {
        this.q('DELETE FROM policies WHERE account_id = ? AND profile_name = ?').run(accountId, profileName);
      } else {
        this.q(
            `INSERT INTO policies (account_id, profile_name, revision_id, data) VALUES (?, ?, ?, ?)
             ON CONFLICT(account_id, profile_name) DO UPDATE SET revision_id = excluded.revision_id, data = excluded.data`,
          )
          .run(accountId, profileName, next.revisionId, encodeRecord(next));
      }
      return true;
    }, (ok) => ok);
  }

  private jobArgs(job: JobRecord): unknown[] {
    return [
      job.jobOwner, job.jobInvoker, job.status, job.platformId, job.requestedBy, job.revocation ? 1 : 0,
      job.signatureExpiresAt?.getTime() ?? null, job.createdAt.getTime(), job.clientRequestToken ?? null, encodeRecord(job),
    ];
  }

  async insertJob(job: JobRecord): Promise<{ inserted: boolean; job: JobRecord }> {
    return auditedWrite(this.db, (): { inserted: boolean; job: JobRecord } => {
      if (job.clientRequestToken !== undefined) {
        const existing = this.q('SELECT data FROM jobs WHERE job_invoker = ? AND client_request_token = ?')
          .pluck()
          .get(job.jobInvoker, job.clientRequestToken) as string | undefined;
        if (existing !== undefined) return { inserted: false, job: decodeRecord<JobRecord>(existing) };
      }
      this.q(
          `INSERT INTO jobs (job_id, job_owner, job_invoker, status, platform_id, requested_by, is_revoked, signature_expires_at,
             created_at, client_request_token, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(job.jobId, ...this.jobArgs(job));
      return { inserted: true, job };
    }, (r) => r.inserted);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const row = this.q('SELECT data FROM jobs WHERE job_id = ?').pluck().get(jobId) as string | undefined;
    return row === undefined ? undefined : decodeRecord<JobRecord>(row);
  }

  /**
   * Writers hold copies read earlier (the signing engine finishing a job, RevokeSignature on a
   * job in flight), so two invariants are kept here, atomically: a revocation is never undone,
   * and a finished job (Succeeded/Failed) never goes back to InProgress.
   */
  async updateJob(job: JobRecord): Promise<void> {
    auditedWrite(this.db, () => {
      const row = this.q('SELECT data FROM jobs WHERE job_id = ?').pluck().get(job.jobId) as string | undefined;
      const stored = row === undefined ? undefined : decodeRecord<JobRecord>(row);
      let next = job;
      if (stored && stored.status !== 'InProgress' && job.status === 'InProgress') next = { ...stored, revocation: job.revocation ?? stored.revocation };
      else if (stored?.revocation && !job.revocation) next = { ...job, revocation: stored.revocation };
      this.q(
        `UPDATE jobs SET job_owner = ?, job_invoker = ?, status = ?, platform_id = ?, requested_by = ?, is_revoked = ?,
           signature_expires_at = ?, created_at = ?, client_request_token = ?, data = ? WHERE job_id = ?`,
      ).run(...this.jobArgs(next), next.jobId);
    });
  }

  async listJobs(filter: JobFilter, afterKey: string | undefined, limit: number): Promise<Page<JobRecord>> {
    const where = ['(job_owner = ? OR job_invoker = ?)'];
    const args: unknown[] = [filter.visibleTo, filter.visibleTo];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      args.push(value);
    };
    if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.platformId !== undefined) add('platform_id = ?', filter.platformId);
    if (filter.requestedBy !== undefined) add('requested_by = ?', filter.requestedBy);
    if (filter.isRevoked !== undefined) add('is_revoked = ?', filter.isRevoked ? 1 : 0);
    if (filter.signatureExpiresBefore !== undefined) add('signature_expires_at < ?', filter.signatureExpiresBefore.getTime());
    if (filter.signatureExpiresAfter !== undefined) add('signature_expires_at > ?', filter.signatureExpiresAfter.getTime());
    if (filter.jobInvoker !== undefined) add('job_invoker = ?', filter.jobInvoker);
    if (afterKey !== undefined) {
      const [ms, id] = afterKey.split('|');
      where.push('(created_at < ? OR (created_at = ? AND job_id < ?))');
      args.push(Number(ms), Number(ms), id);
    }
    const rows = this.q(`SELECT data FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, job_id DESC LIMIT ?`)
      .pluck()
      .all(...args, limit + 1) as string[];
    const items = rows.slice(0, limit).map((r) => decodeRecord<JobRecord>(r));
    const last = items[items.length - 1];
    return { items, nextKey: rows.length > limit && last ? `${last.createdAt.getTime()}|${last.jobId}` : undefined };
  }

  async listInProgressJobs(): Promise<JobRecord[]> {
    return (this.q("SELECT data FROM jobs WHERE status = 'InProgress' ORDER BY created_at").pluck().all() as string[]).map((r) =>
      decodeRecord<JobRecord>(r),
    );
  }

  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    // Not an audited write: these are records of reads, failures and no-op calls, never a scope's record.
    this.db.transaction(() => {
      for (const r of records) insertAuditRow(this.db, r);
    })();
  }

  async countUnauthenticated(counts: readonly UnauthenticatedCount[], samples: readonly AuditRecord[]): Promise<void> {
    const add = this.q(
      `INSERT INTO audit_unauthenticated (minute, event_source, reason, count) VALUES (?, ?, ?, ?)
       ON CONFLICT(minute, event_source, reason) DO UPDATE SET count = count + excluded.count`,
    );
    this.db.transaction(() => {
      for (const c of counts) add.run(c.minute.getTime(), c.eventSource, c.reason, c.count);
      for (const r of samples) insertAuditRow(this.db, r);
    })();
  }

  async queryUnauthenticatedCounts(since?: Date): Promise<UnauthenticatedCount[]> {
    const rows = this.q('SELECT minute, event_source, reason, count FROM audit_unauthenticated WHERE minute >= ? ORDER BY minute, event_source, reason')
      .all(since?.getTime() ?? 0) as { minute: number; event_source: string; reason: string; count: number }[];
    return rows.map((r) => ({ minute: new Date(r.minute), eventSource: r.event_source, reason: r.reason, count: r.count }));
  }

  async queryAudit(filter: { accountId?: string; eventName?: string; since?: Date }, limit: number): Promise<AuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.accountId !== undefined) {
      where.push('account_id = ?');
      args.push(filter.accountId);
    }
    if (filter.eventName !== undefined) {
      where.push('event_name = ?');
      args.push(filter.eventName);
    }
    if (filter.since !== undefined) {
      where.push('event_time >= ?');
      args.push(filter.since.getTime());
    }
    const sql = `SELECT data FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.q(sql).pluck().all(...args, limit) as string[]).map((r) => decodeRecord<AuditRecord>(r));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export { openSqlite };

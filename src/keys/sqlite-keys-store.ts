import { auditedWrite } from '../store/audit-scope.js';
import { migrate, openSqlite, type Migration, type SqliteDatabase } from '../store/sqlite.js';
import type {
  CertificateKind,
  CertificateRecord,
  CertificateReplacement,
  CertificateRepository,
  Tag,
  WrappedKeyRecord,
  WrappedKeyRepository,
} from './repository.types.js';
import type { KeyBackendKind, KeyType } from './key-backend.types.js';
import type { WrappedKeyEnvelope } from './master-key.js';

/** Schema of the keys capability (scope `keys`). Tables are prefixed `keys_` / `acm_`. */
export const KEYS_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'wrapped private keys, ACM certificates and their tags',
    sql: `
      CREATE TABLE keys_wrapped_keys (
        key_id TEXT PRIMARY KEY,
        key_type TEXT NOT NULL,
        public_key_spki BLOB NOT NULL,
        envelope TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE acm_certificates (
        arn TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('IMPORTED','SERVER_KEY','INTERNAL_CA')),
        certificate_der BLOB NOT NULL,
        chain_der TEXT NOT NULL,
        key_backend TEXT NOT NULL,
        key_id TEXT NOT NULL,
        key_type TEXT NOT NULL,
        profile_name TEXT,
        not_before INTEGER NOT NULL,
        not_after INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        imported_at INTEGER NOT NULL
      );
      CREATE INDEX acm_certificates_account ON acm_certificates (account_id, region, kind, created_at);
      CREATE TABLE acm_certificate_tags (
        arn TEXT NOT NULL REFERENCES acm_certificates (arn) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        tag_key TEXT NOT NULL,
        tag_value TEXT,
        PRIMARY KEY (arn, tag_key)
      );`,
  },
]);

interface CertRow {
  arn: string;
  account_id: string;
  region: string;
  kind: CertificateKind;
  certificate_der: Buffer;
  chain_der: string;
  key_backend: KeyBackendKind;
  key_id: string;
  key_type: KeyType;
  profile_name: string | null;
  not_before: number;
  not_after: number;
  created_at: number;
  imported_at: number;
}

/** Both repositories over one SQLite database. */
export interface SqliteKeysStore {
  readonly db: SqliteDatabase;
  readonly certificates: CertificateRepository;
  readonly wrappedKeys: WrappedKeyRepository;
  /** Closes the database when this store opened it. */
  close(): void;
}

/**
 * Opens the keys tables on a SQLite database: pass an open handle (shared with the other
 * capabilities) or a file path (`:memory:` for tests). Applies `KEYS_MIGRATIONS`.
 */
export function createSqliteKeysStore(dbOrFile: SqliteDatabase | string): SqliteKeysStore {
  const owned = typeof dbOrFile === 'string';
  const db = typeof dbOrFile === 'string' ? openSqlite(dbOrFile) : dbOrFile;
  migrate(db, 'keys', KEYS_MIGRATIONS);

  const tagsOf = db.prepare('SELECT tag_key, tag_value FROM acm_certificate_tags WHERE arn = ? ORDER BY position');
  const toRecord = (r: CertRow): CertificateRecord => {
    const rec: CertificateRecord = {
      arn: r.arn,
      accountId: r.account_id,
      region: r.region,
      kind: r.kind,
      certificateDer: new Uint8Array(r.certificate_der),
      chainDer: (JSON.parse(r.chain_der) as string[]).map((b) => new Uint8Array(Buffer.from(b, 'base64'))),
      keyBackend: r.key_backend,
      keyId: r.key_id,
      keyType: r.key_type,
      notBefore: new Date(r.not_before),
      notAfter: new Date(r.not_after),
      createdAt: new Date(r.created_at),
      importedAt: new Date(r.imported_at),
      tags: (tagsOf.all(r.arn) as { tag_key: string; tag_value: string | null }[]).map((t) =>
        t.tag_value === null ? { Key: t.tag_key } : { Key: t.tag_key, Value: t.tag_value },
      ),
    };
    if (r.profile_name !== null) rec.profileName = r.profile_name;
    return rec;
  };
  const chainText = (chain: readonly Uint8Array[]) => JSON.stringify(chain.map((c) => Buffer.from(c).toString('base64')));

  const insertCert = db.prepare(`INSERT INTO acm_certificates
    (arn, account_id, region, kind, certificate_der, chain_der, key_backend, key_id, key_type, profile_name, not_before, not_after, created_at, imported_at)
    VALUES (@arn, @account_id, @region, @kind, @certificate_der, @chain_der, @key_backend, @key_id, @key_type, @profile_name, @not_before, @not_after, @created_at, @imported_at)`);
  const deleteTags = db.prepare('DELETE FROM acm_certificate_tags WHERE arn = ?');
  const insertTag = db.prepare('INSERT INTO acm_certificate_tags (arn, position, tag_key, tag_value) VALUES (?, ?, ?, ?)');
  const writeTags = (arn: string, tags: readonly Tag[]) => {
    deleteTags.run(arn);
    tags.forEach((t, i) => insertTag.run(arn, i, t.Key, t.Value ?? null));
  };
  // Certificate writes are the change of an ACM call: each commits with the call's pending audit record (store/audit-scope.ts).
  const insertTx = (rec: CertificateRecord) => auditedWrite(db, () => {
    insertCert.run({
      arn: rec.arn,
      account_id: rec.accountId,
      region: rec.region,
      kind: rec.kind,
      certificate_der: Buffer.from(rec.certificateDer),
      chain_der: chainText(rec.chainDer),
      key_backend: rec.keyBackend,
      key_id: rec.keyId,
      key_type: rec.keyType,
      profile_name: rec.profileName ?? null,
      not_before: rec.notBefore.getTime(),
      not_after: rec.notAfter.getTime(),
      created_at: rec.createdAt.getTime(),
      imported_at: rec.importedAt.getTime(),
    });
    writeTags(rec.arn, rec.tags);
  });
  const replaceStmt = db.prepare(`UPDATE acm_certificates SET certificate_der = ?, chain_der = ?, key_backend = ?, key_id = ?, key_type = ?,
    not_before = ?, not_after = ?, imported_at = ? WHERE arn = ?`);
  const getStmt = db.prepare('SELECT * FROM acm_certificates WHERE arn = ?');
  const countStmt = db.prepare('SELECT COUNT(*) FROM acm_certificates WHERE account_id = ? AND kind = ?').pluck();
  const deleteStmt = db.prepare('DELETE FROM acm_certificates WHERE arn = ?');
  const setTagsTx = (arn: string, tags: readonly Tag[]) => auditedWrite(db, () => writeTags(arn, tags));

  const certificates: CertificateRepository = {
    async insert(rec) {
      insertTx(rec);
    },
    async replace(arn, r: CertificateReplacement) {
      return auditedWrite(
        db,
        () => replaceStmt.run(Buffer.from(r.certificateDer), chainText(r.chainDer), r.keyBackend, r.keyId, r.keyType,
          r.notBefore.getTime(), r.notAfter.getTime(), r.importedAt.getTime(), arn).changes > 0,
        (changed) => changed,
      );
    },
    async get(arn) {
      const row = getStmt.get(arn) as CertRow | undefined;
      return row ? toRecord(row) : undefined;
    },
    async list(accountId, region, kinds) {
      if (kinds.length === 0) return [];
      const rows = db
        .prepare(`SELECT * FROM acm_certificates WHERE account_id = ? AND region = ? AND kind IN (${kinds.map(() => '?').join(',')})
                  ORDER BY created_at, arn`)
        .all(accountId, region, ...kinds) as CertRow[];
      return rows.map(toRecord);
    },
    async count(accountId, kind) {
      return countStmt.get(accountId, kind) as number;
    },
    async delete(arn) {
      return auditedWrite(db, () => deleteStmt.run(arn).changes > 0, (changed) => changed);
    },
    async setTags(arn, tags) {
      setTagsTx(arn, tags);
    },
  };

  const putKey = db.prepare('INSERT INTO keys_wrapped_keys (key_id, key_type, public_key_spki, envelope, created_at) VALUES (?, ?, ?, ?, ?)');
  const getKey = db.prepare('SELECT * FROM keys_wrapped_keys WHERE key_id = ?');
  const delKey = db.prepare('DELETE FROM keys_wrapped_keys WHERE key_id = ?');
  const listKeys = db.prepare('SELECT key_id FROM keys_wrapped_keys ORDER BY created_at, key_id').pluck();
  const updKey = db.prepare('UPDATE keys_wrapped_keys SET envelope = ? WHERE key_id = ?');
  const wrappedKeys: WrappedKeyRepository = {
    async put(r: WrappedKeyRecord) {
      putKey.run(r.keyId, r.keyType, Buffer.from(r.publicKeySpki), JSON.stringify(r.envelope), r.createdAt.getTime());
    },
    async get(keyId) {
      const row = getKey.get(keyId) as
        | { key_id: string; key_type: KeyType; public_key_spki: Buffer; envelope: string; created_at: number }
        | undefined;
      if (!row) return undefined;
      return {
        keyId: row.key_id,
        keyType: row.key_type,
        publicKeySpki: new Uint8Array(row.public_key_spki),
        envelope: JSON.parse(row.envelope) as WrappedKeyEnvelope,
        createdAt: new Date(row.created_at),
      };
    },
    async delete(keyId) {
      delKey.run(keyId);
    },
    async listIds() {
      return listKeys.all() as string[];
    },
    async updateEnvelope(keyId, envelope) {
      updKey.run(JSON.stringify(envelope), keyId);
    },
  };

  return {
    db,
    certificates,
    wrappedKeys,
    close() {
      if (owned) db.close();
    },
  };
}

import type { KeyBackendKind, KeyType } from './key-backend.types.js';
import type { WrappedKeyEnvelope } from './master-key.js';

/** An ACM tag. */
export interface Tag {
  Key: string;
  Value?: string;
}

/**
 * Why a certificate exists:
 * - `IMPORTED`: ImportCertificate (visible through the ACM API);
 * - `SERVER_KEY`: issued by the account's internal CA for a profile without a certificate (Lambda/Notation);
 * - `INTERNAL_CA`: the account's internal CA itself.
 * The last two are managed by the signer and hidden from the ACM API.
 */
export type CertificateKind = 'IMPORTED' | 'SERVER_KEY' | 'INTERNAL_CA';

/** One stored certificate and where its private key is. No secret fields. */
export interface CertificateRecord {
  arn: string;
  accountId: string;
  region: string;
  kind: CertificateKind;
  /** Leaf certificate, DER. */
  certificateDer: Uint8Array;
  /** Issuer chain, DER, nearest issuer first (not including the leaf). */
  chainDer: Uint8Array[];
  keyBackend: KeyBackendKind;
  keyId: string;
  keyType: KeyType;
  /** For `SERVER_KEY`: the signing profile it was issued for. */
  profileName?: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  importedAt: Date;
  tags: Tag[];
}

/** Fields replaced by a re-import (ImportCertificate with CertificateArn). */
export type CertificateReplacement = Pick<CertificateRecord, 'certificateDer' | 'chainDer' | 'keyBackend' | 'keyId' | 'keyType' | 'notBefore' | 'notAfter' | 'importedAt'>;

/**
 * Durable certificate metadata. SQLite now (`createSqliteKeysStore`); a PostgreSQL
 * implementation can follow behind the same interface.
 */
export interface CertificateRepository {
  /** Inserts a new record (tags included). */
  insert(record: CertificateRecord): Promise<void>;
  /** Replaces certificate and key of an existing record; returns false when absent. */
  replace(arn: string, replacement: CertificateReplacement): Promise<boolean>;
  get(arn: string): Promise<CertificateRecord | undefined>;
  /** Records of one account and region and the given kinds, oldest first (then by ARN). */
  list(accountId: string, region: string, kinds: readonly CertificateKind[]): Promise<CertificateRecord[]>;
  /** Number of records of one account (all regions) of one kind. */
  count(accountId: string, kind: CertificateKind): Promise<number>;
  /** Returns false when absent. */
  delete(arn: string): Promise<boolean>;
  /** Replaces the tag set. */
  setTags(arn: string, tags: readonly Tag[]): Promise<void>;
}

/** A wrapped private key row of the encrypted file backend. */
export interface WrappedKeyRecord {
  keyId: string;
  keyType: KeyType;
  publicKeySpki: Uint8Array;
  envelope: WrappedKeyEnvelope;
  createdAt: Date;
}

/** Where the encrypted file backend keeps wrapped keys (ciphertext only). */
export interface WrappedKeyRepository {
  put(record: WrappedKeyRecord): Promise<void>;
  get(keyId: string): Promise<WrappedKeyRecord | undefined>;
  delete(keyId: string): Promise<void>;
  /** Every key id (for master key rotation). */
  listIds(): Promise<string[]>;
  /** Replaces the envelope of one key (master key rotation). */
  updateEnvelope(keyId: string, envelope: WrappedKeyEnvelope): Promise<void>;
}

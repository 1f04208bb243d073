/**
 * Certificates and their private keys, managed like ACM imports, plus server-issued keys
 * for platforms whose profiles carry no certificate (Lambda, Notation).
 *
 * Nothing returned from here contains private key material: records hold the key's
 * backend and id; signing goes through {@link SigningKey}.
 */
import { randomUUID } from 'node:crypto';
import { buildCertificate, OID_CODE_SIGNING, subjectNameDer, toPem } from './certificate-builder.js';
import { checkCodeSigningImport, certificateFacts, parsePrivateKeyPem, type CertificateFacts } from './certificate-checks.js';
import { KeysError } from './errors.js';
import type { KeyBackend, KeyBackendKind, KeyType, SigningKey } from './key-backend.types.js';
import type { CertificateKind, CertificateRecord, CertificateRepository, Tag } from './repository.types.js';
import { zeroize } from './signature-encoding.js';
import { toSigningKey } from './signing-key.js';

/** Who owns a certificate: an account in a region. */
export interface CertificateOwner {
  accountId: string;
  region: string;
}

/** Dependencies of {@link createCertificateManager}. */
export interface CertificateManagerDeps {
  repository: CertificateRepository;
  /** Backend that receives new keys (imports and server-generated keys). */
  backend: KeyBackend;
  /** Other backends that hold keys recorded earlier (looked up by `KeyRef.backend`). */
  otherBackends?: readonly KeyBackend[];
  /** Clock (tests). */
  now?: () => Date;
  /** Imported certificates per account (ACM's default quota is 2500). */
  maxImportedCertificates?: number;
  /** Key type of the per-account internal CA (default EC P-384). */
  internalCaKeyType?: KeyType;
  /** Validity of the internal CA (default 20 years) and of server-issued leaves (default 135 months, the longest signature validity). */
  internalCaValidityDays?: number;
  serverKeyValidityDays?: number;
}

/** Input of {@link CertificateManager.importCertificate}. */
export interface ImportCertificateInput {
  certificatePem: string;
  privateKeyPem: string;
  chainPem?: string | undefined;
  tags?: readonly Tag[] | undefined;
  /** Re-import: replace this certificate (and its key). Tags are not allowed then. */
  certificateArn?: string | undefined;
}

/** A certificate with its parsed facts (no secrets). */
export interface CertificateView {
  record: CertificateRecord;
  facts: CertificateFacts;
}

/** Input of {@link CertificateManager.issueServerKey}. */
export interface IssueServerKeyInput extends CertificateOwner {
  /** Signing profile the key is for (goes into the subject CN). */
  profileName: string;
  /** Default EC P-384 (the Lambda and Notation platforms sign with SHA384-ECDSA). */
  keyType?: KeyType;
}

/** The certificate and key service. */
export interface CertificateManager {
  /** Checks and stores a certificate with its private key; returns its ARN. */
  importCertificate(input: ImportCertificateInput, owner: CertificateOwner): Promise<{ certificateArn: string }>;
  /** A certificate of `owner` (any kind), or NOT_FOUND. */
  getCertificate(arn: string, owner: CertificateOwner): Promise<CertificateView>;
  /** Certificates of `owner` of the given kinds (default: imported only), oldest first. */
  listCertificates(owner: CertificateOwner, kinds?: readonly CertificateKind[]): Promise<CertificateView[]>;
  /** Deletes the certificate and destroys its key. */
  deleteCertificate(arn: string, owner: CertificateOwner): Promise<void>;
  /** Replaces the tag set of a certificate. */
  setTags(arn: string, tags: readonly Tag[]): Promise<void>;
  /**
   * The signing key of a certificate, with its chain (leaf first). `accountId` must own the
   * ARN. Refuses a certificate outside its validity period.
   */
  getSigningKey(certificateArn: string, accountId: string): Promise<SigningKey>;
  /** A server-generated key with a certificate from the account's internal CA. */
  issueServerKey(input: IssueServerKeyInput): Promise<{ certificateArn: string; signingKey: SigningKey }>;
  /** PEM of the account's internal CA (the trust anchor verifiers of server keys need); created on first use. */
  getInternalCaCertificate(owner: CertificateOwner): Promise<string>;
}

const ARN_RE = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Builds `arn:aws:acm:<region>:<account>:certificate/<uuid>`. */
export function certificateArn(region: string, accountId: string, id: string = randomUUID()): string {
  return `arn:aws:acm:${region}:${accountId}:certificate/${id}`;
}

/** Splits a certificate ARN, or throws INVALID_ARN. */
export function parseCertificateArn(arn: unknown): { region: string; accountId: string; id: string } {
  const m = typeof arn === 'string' ? ARN_RE.exec(arn) : null;
  if (!m) throw new KeysError('INVALID_ARN', `The certificate ARN is not valid: expected arn:aws:acm:<region>:<account>:certificate/<uuid>.`);
  return { region: m[1] as string, accountId: m[2] as string, id: m[3] as string };
}

const DAY = 86_400_000;

/** Creates the certificate manager. */
export function createCertificateManager(deps: CertificateManagerDeps): CertificateManager {
  const repo = deps.repository;
  const now = deps.now ?? (() => new Date());
  const maxImported = deps.maxImportedCertificates ?? 2500;
  const backends = new Map<KeyBackendKind, KeyBackend>();
  for (const b of deps.otherBackends ?? []) backends.set(b.kind, b);
  backends.set(deps.backend.kind, deps.backend);

  function backendFor(kind: KeyBackendKind): KeyBackend {
    const b = backends.get(kind);
    if (!b) throw new KeysError('BACKEND', `key backend ${kind} is not configured`);
    return b;
  }

  async function load(arn: string, owner: CertificateOwner): Promise<CertificateRecord> {
    const p = parseCertificateArn(arn);
    const rec = p.accountId === owner.accountId && p.region === owner.region ? await repo.get(arn) : undefined;
    if (!rec) throw new KeysError('NOT_FOUND', `Could not find certificate ${arn}.`);
    return rec;
  }

  async function importPrivateKey(privateKeyPem: string): Promise<{ key: ReturnType<typeof parsePrivateKeyPem> }> {
    return { key: parsePrivateKeyPem(privateKeyPem) };
  }

  // One internal CA per account and region; serialize its creation inside this process.
  const caLocks = new Map<string, Promise<CertificateRecord>>();
  async function internalCa(owner: CertificateOwner): Promise<CertificateRecord> {
    const lockKey = `${owner.accountId}/${owner.region}`;
    const pending = caLocks.get(lockKey);
    if (pending) return pending;
    const p = (async () => {
      const existing = (await repo.list(owner.accountId, owner.region, ['INTERNAL_CA'])).find((r) => r.notAfter > now());
      if (existing) return existing;
      const keyType = deps.internalCaKeyType ?? 'EC_secp384r1';
      const ref = await deps.backend.generateKey(keyType);
      const t = now();
      const notAfter = new Date(t.getTime() + (deps.internalCaValidityDays ?? 7305) * DAY);
      const der = await buildCertificate(
        {
          subject: `CN=iot-signer internal code-signing CA ${owner.accountId} ${owner.region}, O=iot-signer`,
          publicKeySpki: ref.publicKeySpki,
          notBefore: new Date(t.getTime() - 5 * 60_000),
          notAfter,
          ca: { pathLength: 0 },
          keyUsage: ['keyCertSign', 'crlSign'],
        },
        { key: toSigningKey(deps.backend, ref) },
      );
      const rec: CertificateRecord = {
        arn: certificateArn(owner.region, owner.accountId),
        accountId: owner.accountId,
        region: owner.region,
        kind: 'INTERNAL_CA',
        certificateDer: der,
        chainDer: [],
        keyBackend: ref.backend,
        keyId: ref.keyId,
        keyType: ref.keyType,
        notBefore: new Date(t.getTime() - 5 * 60_000),
        notAfter,
        createdAt: t,
        importedAt: t,
        tags: [],
      };
      await repo.insert(rec);
      return rec;
    })();
    caLocks.set(lockKey, p);
    try {
      return await p;
    } finally {
      caLocks.delete(lockKey);
    }
  }

  return {
    async importCertificate(input, owner) {
      const { key } = await importPrivateKey(input.privateKeyPem);
      const checked = checkCodeSigningImport({ certificatePem: input.certificatePem, privateKey: key, chainPem: input.chainPem }, now());
      let existing: CertificateRecord | undefined;
      if (input.certificateArn !== undefined) {
        existing = await load(input.certificateArn, owner);
        if (existing.kind !== 'IMPORTED') throw new KeysError('NOT_FOUND', `Could not find certificate ${input.certificateArn}.`);
        if (input.tags && input.tags.length > 0) throw new KeysError('VALIDATION', 'Tags cannot be applied when re-importing a certificate.');
      } else if ((await repo.count(owner.accountId, 'IMPORTED')) >= maxImported) {
        throw new KeysError('LIMIT_EXCEEDED', `The account already holds ${maxImported} imported certificates.`);
      }
      const pkcs8 = new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
      let ref;
      try {
        ref = await deps.backend.importKey(pkcs8);
      } finally {
        zeroize(pkcs8);
      }
      const t = now();
      if (existing) {
        await repo.replace(existing.arn, {
          certificateDer: checked.leafDer,
          chainDer: checked.chainDer,
          keyBackend: ref.backend,
          keyId: ref.keyId,
          keyType: ref.keyType,
          notBefore: checked.facts.notBefore,
          notAfter: checked.facts.notAfter,
          importedAt: t,
        });
        await backendFor(existing.keyBackend).deleteKey(existing.keyId);
        return { certificateArn: existing.arn };
      }
      const rec: CertificateRecord = {
        arn: certificateArn(owner.region, owner.accountId),
        accountId: owner.accountId,
        region: owner.region,
        kind: 'IMPORTED',
        certificateDer: checked.leafDer,
        chainDer: checked.chainDer,
        keyBackend: ref.backend,
        keyId: ref.keyId,
        keyType: ref.keyType,
        notBefore: checked.facts.notBefore,
        notAfter: checked.facts.notAfter,
        createdAt: t,
        importedAt: t,
        tags: [...(input.tags ?? [])],
      };
      try {
        await repo.insert(rec);
      } catch (e) {
        await deps.backend.deleteKey(ref.keyId);
        throw e;
      }
      return { certificateArn: rec.arn };
    },

    async getCertificate(arn, owner) {
      const record = await load(arn, owner);
      return { record, facts: certificateFacts(record.certificateDer) };
    },

    async listCertificates(owner, kinds = ['IMPORTED']) {
      const recs = await repo.list(owner.accountId, owner.region, kinds);
      return recs.map((record) => ({ record, facts: certificateFacts(record.certificateDer) }));
    },

    async deleteCertificate(arn, owner) {
      const rec = await load(arn, owner);
      await repo.delete(arn);
      await backendFor(rec.keyBackend).deleteKey(rec.keyId);
    },

    async setTags(arn, tags) {
      await repo.setTags(arn, tags);
    },

    async getSigningKey(arn, accountId) {
      const p = parseCertificateArn(arn);
      if (p.accountId !== accountId) throw new KeysError('NOT_FOUND', `Could not find certificate ${arn}.`);
      const rec = await repo.get(arn);
      if (!rec || rec.kind === 'INTERNAL_CA') throw new KeysError('NOT_FOUND', `Could not find certificate ${arn}.`);
      const t = now();
      if (t < rec.notBefore) throw new KeysError('CERT_NOT_YET_VALID', `The certificate ${arn} is not valid before ${rec.notBefore.toISOString()}.`);
      if (t > rec.notAfter) throw new KeysError('CERT_EXPIRED', `The certificate ${arn} expired at ${rec.notAfter.toISOString()}.`);
      const backend = backendFor(rec.keyBackend);
      const ref = await backend.getKey(rec.keyId);
      return toSigningKey(backend, ref, [rec.certificateDer, ...rec.chainDer]);
    },

    async issueServerKey(input) {
      if (typeof input.profileName !== 'string' || !/^[A-Za-z0-9_]{2,64}$/.test(input.profileName)) {
        throw new KeysError('VALIDATION', 'profileName must be 2–64 letters, digits or underscores (the signing profile name).');
      }
      const ca = await internalCa(input);
      const caBackend = backendFor(ca.keyBackend);
      const caKey = toSigningKey(caBackend, await caBackend.getKey(ca.keyId));
      const ref = await deps.backend.generateKey(input.keyType ?? 'EC_secp384r1');
      const t = now();
      const notBefore = new Date(t.getTime() - 5 * 60_000);
      const wanted = new Date(t.getTime() + (deps.serverKeyValidityDays ?? 4110) * DAY);
      const notAfter = wanted < ca.notAfter ? wanted : ca.notAfter;
      try {
        const der = await buildCertificate(
          {
            subject: `CN=${input.profileName}, OU=signing-profile, O=iot-signer ${input.accountId}`,
            publicKeySpki: ref.publicKeySpki,
            notBefore,
            notAfter,
            keyUsage: ['digitalSignature'],
            extendedKeyUsage: [OID_CODE_SIGNING],
          },
          { key: caKey, nameDer: subjectNameDer(ca.certificateDer) },
        );
        const rec: CertificateRecord = {
          arn: certificateArn(input.region, input.accountId),
          accountId: input.accountId,
          region: input.region,
          kind: 'SERVER_KEY',
          certificateDer: der,
          chainDer: [ca.certificateDer],
          keyBackend: ref.backend,
          keyId: ref.keyId,
          keyType: ref.keyType,
          profileName: input.profileName,
          notBefore,
          notAfter,
          createdAt: t,
          importedAt: t,
          tags: [],
        };
        await repo.insert(rec);
        return { certificateArn: rec.arn, signingKey: toSigningKey(deps.backend, ref, [der, ca.certificateDer]) };
      } catch (e) {
        await deps.backend.deleteKey(ref.keyId);
        throw e;
      }
    },

    async getInternalCaCertificate(owner) {
      return toPem((await internalCa(owner)).certificateDer);
    },
  };
}

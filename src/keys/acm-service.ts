/**
 * ACM-compatible operations as pure handlers: input is the decoded AWS JSON 1.1 request
 * body (blobs as base64 strings, as the SDK sends them), output the response body
 * (timestamps as epoch seconds). The API layer mounts them under
 * `X-Amz-Target: CertificateManager.<Operation>` and turns a thrown {@link KeysError} into
 * `awsType` / `httpStatus` / `{ message }`.
 */
import { toPem } from './certificate-builder.js';
import { KeysError } from './errors.js';
import type { CertificateManager, CertificateOwner, CertificateView } from './certificate-manager.js';
import { parseCertificateArn } from './certificate-manager.js';
import type { KeyType } from './key-backend.types.js';
import type { Tag } from './repository.types.js';

/** The ACM operations implemented. */
export const ACM_OPERATIONS = [
  'ImportCertificate',
  'DescribeCertificate',
  'GetCertificate',
  'ListCertificates',
  'DeleteCertificate',
  'AddTagsToCertificate',
  'ListTagsForCertificate',
  'RemoveTagsFromCertificate',
] as const;

/** One implemented ACM operation name. */
export type AcmOperation = (typeof ACM_OPERATIONS)[number];

/** The authenticated caller, as the API layer resolved it. */
export interface AcmCaller {
  accountId: string;
  arn: string;
  region: string;
}

/** A handler: decoded request body in, response body out. */
export type AcmHandler = (input: unknown, caller: AcmCaller) => Promise<unknown>;

/** Dependencies of {@link createAcmService}. */
export interface AcmServiceDeps {
  certificates: CertificateManager;
  /** ARNs of resources (signing profiles) using a certificate: InUseBy, and DeleteCertificate refuses when non-empty. */
  inUseBy?: (certificateArn: string) => Promise<readonly string[]>;
  /** Clock (status EXPIRED). */
  now?: () => Date;
  /**
   * Key types ListCertificates returns when the request has no `Includes.keyTypes`.
   * ACM's documented default is RSA_1024 and RSA_2048 only; pass `'all'` to list every key type.
   */
  defaultListKeyTypes?: readonly string[] | 'all';
}

// Wire constraints from the ACM model.
const MAX_CERTIFICATE_BYTES = 32_768;
const MAX_PRIVATE_KEY_BYTES = 5_120;
const MAX_CHAIN_BYTES = 2_097_152;
const MAX_TAGS = 50;
const ARN_PATTERN = /^arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(\/[\w+=,.@-]+)*$/;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const KEY_ALGORITHMS = ['RSA_1024', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1', 'EC_secp521r1', 'ED25519'];
const STATUSES = ['PENDING_VALIDATION', 'ISSUED', 'INACTIVE', 'EXPIRED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'FAILED'];
const EKU_FILTER = ['TLS_WEB_SERVER_AUTHENTICATION', 'TLS_WEB_CLIENT_AUTHENTICATION', 'CODE_SIGNING', 'EMAIL_PROTECTION', 'TIME_STAMPING', 'OCSP_SIGNING', 'IPSEC_END_SYSTEM', 'IPSEC_TUNNEL', 'IPSEC_USER', 'ANY', 'NONE', 'CUSTOM'];
const KU_FILTER = ['DIGITAL_SIGNATURE', 'NON_REPUDIATION', 'KEY_ENCIPHERMENT', 'DATA_ENCIPHERMENT', 'KEY_AGREEMENT', 'CERTIFICATE_SIGNING', 'CRL_SIGNING', 'ENCIPHER_ONLY', 'DECIPHER_ONLY', 'ANY', 'CUSTOM'];

function invalid(member: string, constraint: string): KeysError {
  // Values are never echoed: some members (PrivateKey) are secret.
  return new KeysError('VALIDATION', `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`);
}

function asObject(input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new KeysError('VALIDATION', 'The request body must be a JSON object.');
  return input as Record<string, unknown>;
}

function requiredString(o: Record<string, unknown>, key: string, member: string): string {
  const v = o[key];
  if (v === undefined || v === null) throw invalid(member, 'Member must not be null');
  if (typeof v !== 'string') throw invalid(member, 'Member must be a string');
  return v;
}

function arnOf(o: Record<string, unknown>, key = 'CertificateArn', member = 'certificateArn'): string {
  const v = requiredString(o, key, member);
  if (v.length < 20 || v.length > 2048) throw invalid(member, 'Member must have length between 20 and 2048');
  if (!ARN_PATTERN.test(v)) throw invalid(member, 'Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:acm:[\\w+=/,.@-]*:[0-9]+:[\\w+=,.@-]+(/[\\w+=,.@-]+)*');
  parseCertificateArn(v); // InvalidArnException for ARNs that are well formed but not a certificate ARN
  return v;
}

/** Decodes a JSON 1.1 blob (base64 string) to text, checking the model's length bounds. */
function blobText(o: Record<string, unknown>, key: string, member: string, max: number, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw invalid(member, 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'string' || !BASE64.test(v)) throw invalid(member, 'Member must be a base64-encoded blob');
  const bytes = Buffer.from(v, 'base64');
  try {
    if (bytes.length < 1 || bytes.length > max) throw invalid(member, `Member must have length between 1 and ${max}`);
    return bytes.toString('utf8');
  } finally {
    bytes.fill(0);
  }
}

function tagsOf(o: Record<string, unknown>, required: boolean, forRemoval = false): Tag[] | undefined {
  const v = o.Tags;
  if (v === undefined || v === null) {
    if (required) throw invalid('tags', 'Member must not be null');
    return undefined;
  }
  if (!Array.isArray(v)) throw invalid('tags', 'Member must be a list');
  if (v.length < 1 || v.length > MAX_TAGS) throw invalid('tags', `Member must have length between 1 and ${MAX_TAGS}`);
  return v.map((t: unknown, i) => {
    if (typeof t !== 'object' || t === null) throw invalid(`tags.${i + 1}.member`, 'Member must be a structure');
    const { Key, Value } = t as Record<string, unknown>;
    if (typeof Key !== 'string') throw invalid(`tags.${i + 1}.member.key`, 'Member must not be null');
    if (Key.length < 1 || Key.length > 128) throw invalid(`tags.${i + 1}.member.key`, 'Member must have length between 1 and 128');
    if (!TAG_PATTERN.test(Key)) throw invalid(`tags.${i + 1}.member.key`, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*');
    if (Value !== undefined && Value !== null) {
      if (typeof Value !== 'string') throw invalid(`tags.${i + 1}.member.value`, 'Member must be a string');
      if (Value.length > 256) throw invalid(`tags.${i + 1}.member.value`, 'Member must have length less than or equal to 256');
      if (!TAG_PATTERN.test(Value)) throw invalid(`tags.${i + 1}.member.value`, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*');
    }
    if (Key.toLowerCase().startsWith('aws:')) {
      throw new KeysError('INVALID_TAG', `Tag keys beginning with "aws:" are reserved and cannot be ${forRemoval ? 'removed' : 'added'}.`);
    }
    return typeof Value === 'string' ? { Key, Value } : { Key };
  });
}

function enumList(v: unknown, member: string, allowed: readonly string[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !allowed.includes(x))) {
    throw invalid(member, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return v as string[];
}

const epoch = (d: Date) => d.getTime() / 1000;

/** ListCertificates spells key algorithms RSA_2048; DescribeCertificate (live service) RSA-2048. */
const describeKeyAlgorithm = (k: KeyType) => k.replace('_', '-');

/** Creates the ACM-compatible handlers. */
export function createAcmService(deps: AcmServiceDeps): { handlers: Record<AcmOperation, AcmHandler> } {
  const mgr = deps.certificates;
  const now = deps.now ?? (() => new Date());
  const inUseBy = deps.inUseBy ?? (async () => []);
  const owner = (c: AcmCaller): CertificateOwner => ({ accountId: c.accountId, region: c.region });

  // Only imported certificates are visible through ACM; server keys and internal CAs belong to the signer.
  async function imported(arn: string, caller: AcmCaller): Promise<CertificateView> {
    const v = await mgr.getCertificate(arn, owner(caller));
    if (v.record.kind !== 'IMPORTED') throw new KeysError('NOT_FOUND', `Could not find certificate ${arn}.`);
    return v;
  }
  const status = (v: CertificateView) => (now() > v.record.notAfter ? 'EXPIRED' : 'ISSUED');

  const handlers: Record<AcmOperation, AcmHandler> = {
    async ImportCertificate(input, caller) {
      const o = asObject(input);
      const certificateArn = o.CertificateArn === undefined || o.CertificateArn === null ? undefined : arnOf(o);
      const certificatePem = blobText(o, 'Certificate', 'certificate', MAX_CERTIFICATE_BYTES, true) as string;
      const privateKeyPem = blobText(o, 'PrivateKey', 'privateKey', MAX_PRIVATE_KEY_BYTES, true) as string;
      const chainPem = blobText(o, 'CertificateChain', 'certificateChain', MAX_CHAIN_BYTES, false);
      const tags = tagsOf(o, false);
      if (tags && new Set(tags.map((t) => t.Key)).size !== tags.length) throw new KeysError('INVALID_PARAMETER', 'Tag keys must be unique.');
      const r = await mgr.importCertificate({ certificatePem, privateKeyPem, chainPem, tags, certificateArn }, owner(caller));
      return { CertificateArn: r.certificateArn };
    },

    async DescribeCertificate(input, caller) {
      const arn = arnOf(asObject(input));
      const v = await imported(arn, caller);
      const f = v.facts;
      const users = await inUseBy(arn);
      const detail: Record<string, unknown> = {
        CertificateArn: arn,
        Subject: f.subject,
        SubjectAlternativeNames: f.subjectAlternativeNames,
        Issuer: f.issuer,
        Serial: f.serial,
        CreatedAt: epoch(v.record.createdAt),
        ImportedAt: epoch(v.record.importedAt),
        Status: status(v),
        NotBefore: epoch(f.notBefore),
        NotAfter: epoch(f.notAfter),
        KeyAlgorithm: describeKeyAlgorithm(f.keyType),
        SignatureAlgorithm: f.signatureAlgorithm,
        InUseBy: [...users],
        Type: 'IMPORTED',
        KeyUsages: (f.keyUsages ?? []).map((Name) => ({ Name })),
        ExtendedKeyUsages: f.extendedKeyUsages ?? [],
        RenewalEligibility: 'INELIGIBLE',
      };
      if (f.domainName !== undefined) detail.DomainName = f.domainName;
      return { Certificate: detail };
    },

    async GetCertificate(input, caller) {
      const arn = arnOf(asObject(input));
      const v = await imported(arn, caller);
      const out: Record<string, string> = { Certificate: toPem(v.record.certificateDer) };
      if (v.record.chainDer.length > 0) out.CertificateChain = v.record.chainDer.map((d) => toPem(d)).join('');
      return out;
    },

    async ListCertificates(input, caller) {
      const o = asObject(input);
      const statuses = enumList(o.CertificateStatuses, 'certificateStatuses', STATUSES);
      const origins = enumList(o.CertificateKeyPairOrigins, 'certificateKeyPairOrigins', ['ACME', 'AWS_MANAGED', 'CUSTOMER_PROVIDED']);
      let includes: Record<string, unknown> = {};
      if (o.Includes !== undefined && o.Includes !== null) {
        if (typeof o.Includes !== 'object' || Array.isArray(o.Includes)) throw invalid('includes', 'Member must be a structure');
        includes = o.Includes as Record<string, unknown>;
      }
      const keyTypes = enumList(includes.keyTypes, 'includes.keyTypes', KEY_ALGORITHMS);
      const ekus = enumList(includes.extendedKeyUsage, 'includes.extendedKeyUsage', EKU_FILTER);
      const kus = enumList(includes.keyUsage, 'includes.keyUsage', KU_FILTER);
      if (o.MaxItems !== undefined && o.MaxItems !== null && (!Number.isInteger(o.MaxItems) || (o.MaxItems as number) < 1 || (o.MaxItems as number) > 1000)) {
        throw invalid('maxItems', 'Member must have value between 1 and 1000');
      }
      const maxItems = (o.MaxItems as number | undefined) ?? 1000;
      const sortBy = o.SortBy ?? undefined;
      const sortOrder = o.SortOrder ?? undefined;
      if (sortBy !== undefined && sortBy !== 'CREATED_AT') throw invalid('sortBy', 'Member must satisfy enum value set: [CREATED_AT]');
      if (sortOrder !== undefined && sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') throw invalid('sortOrder', 'Member must satisfy enum value set: [ASCENDING, DESCENDING]');
      if ((sortBy === undefined) !== (sortOrder === undefined)) throw new KeysError('VALIDATION', 'SortBy and SortOrder must be specified together.');

      const wantTypes = keyTypes ?? (deps.defaultListKeyTypes === 'all' ? undefined : (deps.defaultListKeyTypes ?? ['RSA_1024', 'RSA_2048']));
      let views = await mgr.listCertificates(owner(caller), ['IMPORTED']);
      views = views.filter((v) => {
        if (statuses && !statuses.includes(status(v))) return false;
        if (origins && !origins.includes('CUSTOMER_PROVIDED')) return false;
        if (wantTypes && !wantTypes.includes(v.facts.keyType)) return false;
        if (ekus) {
          const names = v.facts.extendedKeyUsages?.map((e) => e.Name) ?? ['NONE'];
          if (!ekus.includes('ANY') && !names.some((n) => ekus.includes(n))) return false;
        }
        if (kus) {
          const names = v.facts.keyUsages ?? [];
          if (!kus.includes('ANY') && !names.some((n) => kus.includes(n))) return false;
        }
        return true;
      });
      if (sortOrder === 'DESCENDING') views.reverse();

      let offset = 0;
      const queryKey = JSON.stringify([statuses, origins, wantTypes, ekus, kus, sortOrder]);
      if (o.NextToken !== undefined && o.NextToken !== null) {
        if (typeof o.NextToken !== 'string' || o.NextToken.length < 1 || o.NextToken.length > 10000) throw invalid('nextToken', 'Member must have length between 1 and 10000');
        const parsed = decodeToken(o.NextToken);
        if (!parsed || parsed.q !== hashQuery(queryKey)) throw new KeysError('INVALID_ARGS', 'The NextToken is not valid for this request.');
        offset = parsed.o;
      }
      const page = views.slice(offset, offset + maxItems);
      const out: Record<string, unknown> = {
        CertificateSummaryList: await Promise.all(
          page.map(async (v) => {
            const users = await inUseBy(v.record.arn);
            const s: Record<string, unknown> = {
              CertificateArn: v.record.arn,
              SubjectAlternativeNameSummaries: v.facts.subjectAlternativeNames.slice(0, 100),
              HasAdditionalSubjectAlternativeNames: v.facts.subjectAlternativeNames.length > 100,
              Status: status(v),
              Type: 'IMPORTED',
              KeyAlgorithm: v.facts.keyType,
              KeyUsages: v.facts.keyUsages ?? [],
              ExtendedKeyUsages: (v.facts.extendedKeyUsages ?? []).map((e) => e.Name),
              ExportOption: 'DISABLED',
              InUse: users.length > 0,
              Exported: false,
              RenewalEligibility: 'INELIGIBLE',
              NotBefore: epoch(v.facts.notBefore),
              NotAfter: epoch(v.facts.notAfter),
              CreatedAt: epoch(v.record.createdAt),
              ImportedAt: epoch(v.record.importedAt),
              CertificateKeyPairOrigin: 'CUSTOMER_PROVIDED',
            };
            if (v.facts.domainName !== undefined) s.DomainName = v.facts.domainName;
            return s;
          }),
        ),
      };
      if (offset + maxItems < views.length) out.NextToken = encodeToken({ o: offset + maxItems, q: hashQuery(queryKey) });
      return out;
    },

    async DeleteCertificate(input, caller) {
      const arn = arnOf(asObject(input));
      await imported(arn, caller);
      const users = await inUseBy(arn);
      if (users.length > 0) throw new KeysError('IN_USE', `Certificate ${arn} is in use by ${users.length} resource(s) and cannot be deleted.`);
      await mgr.deleteCertificate(arn, owner(caller));
      return {};
    },

    async AddTagsToCertificate(input, caller) {
      const o = asObject(input);
      const arn = arnOf(o);
      const tags = tagsOf(o, true) as Tag[];
      const v = await imported(arn, caller);
      const merged = new Map(v.record.tags.map((t) => [t.Key, t]));
      for (const t of tags) merged.set(t.Key, t);
      if (merged.size > MAX_TAGS) throw new KeysError('TOO_MANY_TAGS', `A certificate can have at most ${MAX_TAGS} tags.`);
      await mgr.setTags(arn, [...merged.values()]);
      return {};
    },

    async ListTagsForCertificate(input, caller) {
      const arn = arnOf(asObject(input));
      const v = await imported(arn, caller);
      return { Tags: v.record.tags.map((t) => ({ ...t })) };
    },

    async RemoveTagsFromCertificate(input, caller) {
      const o = asObject(input);
      const arn = arnOf(o);
      const tags = tagsOf(o, true, true) as Tag[];
      const v = await imported(arn, caller);
      const remaining = v.record.tags.filter((t) => !tags.some((r) => r.Key === t.Key && (r.Value === undefined || r.Value === (t.Value ?? ''))));
      await mgr.setTags(arn, remaining);
      return {};
    },
  };
  return { handlers };
}

/** The request members of each ACM operation, as the model names them: the only ones an audit record keeps. */
const REQUEST_MEMBERS: Record<AcmOperation, readonly string[]> = {
  ImportCertificate: ['CertificateArn', 'Certificate', 'PrivateKey', 'CertificateChain', 'Tags'],
  DescribeCertificate: ['CertificateArn'],
  GetCertificate: ['CertificateArn'],
  ListCertificates: ['CertificateStatuses', 'Includes', 'NextToken', 'MaxItems', 'SortBy', 'SortOrder'],
  DeleteCertificate: ['CertificateArn'],
  AddTagsToCertificate: ['CertificateArn', 'Tags'],
  ListTagsForCertificate: ['CertificateArn'],
  RemoveTagsFromCertificate: ['CertificateArn', 'Tags'],
};

/**
 * The members of an ACM request that its audit record may keep: the operation's model members
 * only (an extra member, however large or deep, is dropped unread). Secrets and blobs are
 * redacted by the audit trail, which also bounds what is kept.
 */
export function acmAuditParameters(operation: string, input: unknown): Record<string, unknown> | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const members = REQUEST_MEMBERS[operation as AcmOperation] ?? [];
  const out: Record<string, unknown> = {};
  for (const m of members) {
    const v = (input as Record<string, unknown>)[m];
    if (v !== undefined) out[m] = v;
  }
  return out;
}

function hashQuery(q: string): string {
  let h = 2166136261;
  for (let i = 0; i < q.length; i++) h = Math.imul(h ^ q.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36);
}

function encodeToken(t: { o: number; q: string }): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeToken(s: string): { o: number; q: string } | undefined {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (typeof t === 'object' && t !== null && Number.isInteger((t as { o: unknown }).o) && (t as { o: number }).o >= 0 && typeof (t as { q: unknown }).q === 'string') {
      return t as { o: number; q: string };
    }
  } catch {
    // fall through
  }
  return undefined;
}

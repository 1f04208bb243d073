/** Durable records of the signing server. Timestamps are Dates; JSON-ish members are plain objects. */

export type ProfileStatus = 'Active' | 'Canceled' | 'Revoked';
export type JobStatus = 'InProgress' | 'Failed' | 'Succeeded';
export type ValidityType = 'DAYS' | 'MONTHS' | 'YEARS';

export interface AccountRecord {
  accountId: string;
  name: string;
  createdAt: Date;
}

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  /** The secret access key, sealed under the server's master key (never stored in clear). */
  secretSealed: Uint8Array;
  principalArn: string;
  status: 'Active' | 'Inactive';
  createdAt: Date;
}

export interface SigningOverrides {
  signingConfiguration?: { encryptionAlgorithm?: string; hashAlgorithm?: string };
  signingImageFormat?: string;
}

export interface ProfileRevocation {
  revocationEffectiveFrom: Date;
  revokedAt: Date;
  revokedBy: string;
  reason: string;
}

/** One version of a signing profile; a profile name's current version is the newest one. */
export interface ProfileVersionRecord {
  accountId: string;
  profileName: string;
  profileVersion: string;
  platformId: string;
  signingMaterial?: { certificateArn: string };
  signatureValidityPeriod: { value: number; type: ValidityType };
  overrides?: SigningOverrides;
  signingParameters?: Record<string, string>;
  createdAt: Date;
  revocation?: ProfileRevocation;
  /** For platforms without a customer certificate: the server-issued key's certificate (first job creates it). */
  serverCertificateArn?: string;
}

/** The profile name's state: its status, tags and the current version. */
export interface ProfileRecord {
  accountId: string;
  profileName: string;
  status: ProfileStatus;
  statusReason?: string;
  tags: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  current: ProfileVersionRecord;
}

export interface PermissionStatement {
  statementId: string;
  action: string;
  principal: string;
  profileVersion?: string;
}

export interface PolicyRecord {
  accountId: string;
  profileName: string;
  revisionId: string;
  statements: PermissionStatement[];
}

export interface JobRevocation {
  reason: string;
  revokedAt: Date;
  revokedBy: string;
}

export interface JobRecord {
  jobId: string;
  /** 'job' for StartSigningJob, 'payload' for SignPayload. */
  kind: 'job' | 'payload';
  jobOwner: string;
  jobInvoker: string;
  requestedBy: string;
  profileName: string;
  profileVersion: string;
  platformId: string;
  platformDisplayName: string;
  source?: { s3: { bucketName: string; key: string; version: string } };
  destination?: { s3: { bucketName?: string; prefix?: string } };
  signingMaterial?: { certificateArn: string };
  overrides?: SigningOverrides;
  signingParameters?: Record<string, string>;
  status: JobStatus;
  statusReason?: string;
  createdAt: Date;
  completedAt?: Date;
  signatureExpiresAt?: Date;
  signedObject?: { s3: { bucketName: string; key: string } };
  revocation?: JobRevocation;
  /** StartSigningJob idempotency: the token and a fingerprint of the request it came with. */
  clientRequestToken?: string;
  requestFingerprint?: string;
  /** The raw signature (base64; DER for ECDSA) kept for OTA job documents. Not an API member. */
  rawSignature?: string;
}

export interface JobFilter {
  /** Jobs the caller may see: owned by or invoked by this account. */
  visibleTo: string;
  status?: JobStatus;
  platformId?: string;
  requestedBy?: string;
  isRevoked?: boolean;
  signatureExpiresBefore?: Date;
  signatureExpiresAfter?: Date;
  jobInvoker?: string;
}

export interface AuditRecord {
  eventId: string;
  eventTime: Date;
  eventName: string;
  eventSource: string;
  accountId?: string;
  principalArn?: string;
  accessKeyId?: string;
  sourceIPAddress: string;
  userAgent?: string;
  requestId: string;
  requestParameters?: Record<string, unknown>;
  errorCode?: string;
  errorMessage?: string;
}

/** How many unauthenticated requests failed with `reason` (an error type) in one minute. */
export interface UnauthenticatedCount {
  /** Start of the minute. */
  minute: Date;
  eventSource: string;
  reason: string;
  count: number;
}

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

/** One page of a keyset-paginated listing: `nextKey` is the sort key to continue after. */
export interface Page<T> {
  items: T[];
  nextKey?: string;
}

/**
 * Durable state of the signing server. Every backend (SQLite now, PostgreSQL for scale-out)
 * implements this and passes the shared contract suite in `state-store.contract.ts`.
 * Methods that must be atomic across processes say so; the domain relies on it.
 */
export interface StateStore {
  readonly kind: string;

  createAccount(account: AccountRecord): Promise<void>;
  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  listAccounts(): Promise<AccountRecord[]>;
  putAccessKey(key: AccessKeyRecord): Promise<void>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listAccessKeys(accountId: string): Promise<AccessKeyRecord[]>;
  /**
   * A counter that changes whenever an access key is updated (deactivated) or deleted, by this process
   * or another one (`signer keys deactivate|delete`). A credential cache compares it on every lookup.
   */
  accessKeysVersion(): number;
  /** Removes an access key for good; false when there was none. */
  deleteAccessKey(accessKeyId: string): Promise<boolean>;

  getProfile(accountId: string, profileName: string): Promise<ProfileRecord | undefined>;
  /**
   * Creates the profile name, or moves it to a new current version. Atomic: fails with
   * `false` when `expectedCurrentVersion` (undefined = must not exist yet) is not what is stored.
   */
  putProfileVersion(
    profile: Omit<ProfileRecord, 'current'>,
    version: ProfileVersionRecord,
    expectedCurrentVersion: string | undefined,
  ): Promise<boolean>;
  getProfileVersion(accountId: string, profileName: string, profileVersion: string): Promise<ProfileVersionRecord | undefined>;
  /** Updates status, statusReason, tags and updatedAt of a profile name. */
  updateProfile(
    accountId: string,
    profileName: string,
    patch: { status?: ProfileStatus; statusReason?: string; tags?: Record<string, string>; updatedAt: Date },
  ): Promise<void>;
  /** Rewrites a stored profile version, e.g. its revocation or server key (its identity fields must not change). */
  updateProfileVersion(version: ProfileVersionRecord): Promise<void>;
  /**
   * RevokeSigningProfile's one write: the version's revocation and, when it is the current version,
   * the profile's status, in one transaction.
   */
  revokeProfileVersion(
    version: ProfileVersionRecord,
    profilePatch: { status: ProfileStatus; statusReason: string; updatedAt: Date } | undefined,
  ): Promise<void>;
  listProfiles(
    accountId: string,
    filter: { statuses: ProfileStatus[]; platformId?: string },
    afterKey: string | undefined,
    limit: number,
  ): Promise<Page<ProfileRecord>>;

  /** ARNs of Active profiles whose current version signs with `certificateArn`. */
  profilesUsingCertificate(certificateArn: string): Promise<string[]>;

  getPolicy(accountId: string, profileName: string): Promise<PolicyRecord | undefined>;
  /**
   * Compare-and-swap of a profile's permission policy. Atomic: returns false (and writes
   * nothing) unless the stored revision equals `expectedRevisionId` (undefined = no policy yet).
   * `next` undefined deletes the policy.
   */
  swapPolicy(
    accountId: string,
    profileName: string,
    expectedRevisionId: string | undefined,
    next: PolicyRecord | undefined,
  ): Promise<boolean>;

  /** Inserts a job; returns the existing job instead when (jobInvoker, clientRequestToken) is taken. */
  insertJob(job: JobRecord): Promise<{ inserted: boolean; job: JobRecord }>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  updateJob(job: JobRecord): Promise<void>;
  listJobs(filter: JobFilter, afterKey: string | undefined, limit: number): Promise<Page<JobRecord>>;
  /** Jobs still InProgress (for recovery after a restart). */
  listInProgressJobs(): Promise<JobRecord[]>;

  /**
   * Appends audit records in one transaction (callers batch them).
   *
   * The audit promise: every write that makes the change of a state-changing API call
   * (profile versions and status, tags, policies, jobs, certificates) runs through
   * `auditedWrite`, which commits the call's pending record (see `audit-scope.ts`) in the same
   * transaction as the change; a backend must keep that: change and record commit together or not at all.
   */
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
  /** Adds to the per-minute counters of unauthenticated failures and appends their sampled records, in one transaction. */
  countUnauthenticated(counts: readonly UnauthenticatedCount[], samples: readonly AuditRecord[]): Promise<void>;
  /** The per-minute counters of unauthenticated failures since `since` (all when absent), oldest first. */
  queryUnauthenticatedCounts(since?: Date): Promise<UnauthenticatedCount[]>;
  queryAudit(filter: { accountId?: string; eventName?: string; since?: Date }, limit: number): Promise<AuditRecord[]>;

  close(): Promise<void>;
}

import type { PermissionStatement, PolicyRecord, ProfileRecord } from '../store/index.js';
import { profileArn, profileVersionArn } from './arns.js';
import type { Caller, SignerDeps } from './context.js';
import { newRevisionId } from './ids.js';
import { SignerError } from './signer-error.js';

/** Largest permission policy of one profile, in bytes of its IAM-style JSON (as Lambda's 20 KB). */
export const MAX_POLICY_BYTES = 20_480;
const STATEMENT_ID = /^[0-9A-Za-z_-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const PROFILE_VERSION = /^[a-zA-Z0-9]{10}$/;

/** The account a principal belongs to (a 12-digit id, or the account inside a role ARN). */
export function principalAccount(principal: string): string | undefined {
  if (ACCOUNT_ID.test(principal)) return principal;
  return ROLE_ARN.exec(principal)?.[1];
}

/** The policy as an IAM-style document: what `policySizeBytes` measures. */
export function policyDocument(region: string, policy: { accountId: string; profileName: string; statements: PermissionStatement[] }): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: policy.statements.map((s) => ({
      Sid: s.statementId,
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT_ID.test(s.principal) ? `arn:aws:iam::${s.principal}:root` : s.principal },
      Action: s.action,
      Resource: s.profileVersion
        ? profileVersionArn(region, policy.accountId, policy.profileName, s.profileVersion)
        : profileArn(region, policy.accountId, policy.profileName),
    })),
  });
}

/** Does `statement` grant `action` to `caller` (on `profileVersion` when the statement is locked to one)? */
function grants(s: PermissionStatement, caller: Caller, action: string, profileVersion: string): boolean {
  if (s.action !== action) return false;
  if (s.profileVersion !== undefined && s.profileVersion !== profileVersion) return false;
  if (ACCOUNT_ID.test(s.principal)) return s.principal === caller.accountId;
  // A role principal matches that role (sessions of it carry the role ARN as principal).
  return s.principal === caller.principalArn;
}

/**
 * Checks that `caller` may do `action` on `owner`'s profile through a profile permission.
 * Unknown profile and missing permission answer the same AccessDeniedException, so a
 * foreign account cannot probe which profile names exist.
 */
export async function authorizeOnProfile(
  deps: Pick<SignerDeps, 'store'>,
  caller: Caller,
  owner: string,
  profileName: string,
  action: string,
  /** The version the action is on (a job re-checked when it is taken signs with its own version); default the current one. */
  profileVersion?: string,
): Promise<{ profile: ProfileRecord }> {
  const denied = () =>
    new SignerError('AccessDeniedException', `Account ${caller.accountId} is not authorized to perform ${action} on signing profile ${profileName} of account ${owner}.`);
  const profile = await deps.store.getProfile(owner, profileName);
  if (!profile) throw denied();
  const policy = await deps.store.getPolicy(owner, profileName);
  if (!policy || !policy.statements.some((s) => grants(s, caller, action, profileVersion ?? profile.current.profileVersion))) throw denied();
  return { profile };
}

export interface AddPermissionInput {
  profileName: string;
  profileVersion?: string;
  action: string;
  principal: string;
  revisionId?: string;
  statementId: string;
}

/** Cross-account profile permissions with optimistic concurrency on `revisionId`. */
export class Permissions {
  constructor(private readonly deps: SignerDeps) {}

  private async profile(accountId: string, name: string): Promise<ProfileRecord> {
    const p = await this.deps.store.getProfile(accountId, name);
    if (!p) throw new SignerError('ResourceNotFoundException', `Signing profile ${name} does not exist.`);
    return p;
  }

  async add(caller: Caller, input: AddPermissionInput) {
    const p = await this.profile(caller.accountId, input.profileName);
    const platform = this.deps.platforms.get(p.current.platformId);
    const allowed = platform?.extras.allowedPermissionActions ?? [];
    if (!allowed.includes(input.action)) {
      throw new SignerError(
        'ValidationException',
        `Action ${input.action} not supported for platform ${p.current.platformId}. Action must be one of [${allowed.join(', ')}].`,
      );
    }
    if (!principalAccount(input.principal)) {
      throw new SignerError('ValidationException', 'Principal is not a valid AWS account id or IAM Role Arn.');
    }
    if (!STATEMENT_ID.test(input.statementId)) {
      throw new SignerError('ValidationException', 'statementId must be 1-64 characters of A-Z, a-z, 0-9, _ and -.');
    }
    if (input.profileVersion !== undefined) {
      if (!PROFILE_VERSION.test(input.profileVersion) || !(await this.deps.store.getProfileVersion(caller.accountId, input.profileName, input.profileVersion))) {
        throw new SignerError('ValidationException', `Signing profile ${input.profileName} has no version '${input.profileVersion}'.`);
      }
    }
    const current = await this.deps.store.getPolicy(caller.accountId, input.profileName);
    if (current?.revisionId !== input.revisionId) {
      throw new SignerError(
        'ConflictException',
        current
          ? 'The policy has changed: pass the current revisionId (from ListProfilePermissions).'
          : 'The profile has no policy yet: omit revisionId.',
      );
    }
    const statements = current?.statements ?? [];
    if (statements.some((s) => s.statementId === input.statementId)) {
      throw new SignerError('ConflictException', `A permission with statementId ${input.statementId} already exists.`);
    }
    const next: PolicyRecord = {
      accountId: caller.accountId,
      profileName: input.profileName,
      revisionId: newRevisionId(),
      statements: [
        ...statements,
        {
          statementId: input.statementId,
          action: input.action,
          principal: input.principal,
          ...(input.profileVersion !== undefined ? { profileVersion: input.profileVersion } : {}),
        },
      ],
    };
    if (Buffer.byteLength(policyDocument(this.deps.region, next)) > MAX_POLICY_BYTES) {
      throw new SignerError('ServiceLimitExceededException', `The permission policy of a profile may not exceed ${MAX_POLICY_BYTES} bytes.`);
    }
    if (!(await this.deps.store.swapPolicy(caller.accountId, input.profileName, current?.revisionId, next))) {
      throw new SignerError('ConflictException', 'The policy was changed by another request; read the new revisionId and retry.');
    }
    return { revisionId: next.revisionId };
  }

  async list(caller: Caller, input: { profileName: string; nextToken?: string }) {
    await this.profile(caller.accountId, input.profileName);
    const policy = await this.deps.store.getPolicy(caller.accountId, input.profileName);
    const statements = policy?.statements ?? [];
    const scope = JSON.stringify(['ListProfilePermissions', caller.accountId, input.profileName, policy?.revisionId ?? null]);
    const start = Number(this.deps.tokens.open(scope, input.nextToken) ?? 0);
    const pageSize = 25;
    const page = statements.slice(start, start + pageSize);
    return {
      revisionId: policy?.revisionId,
      policySizeBytes: policy ? Buffer.byteLength(policyDocument(this.deps.region, policy)) : 0,
      permissions: page.map((s) => ({ action: s.action, principal: s.principal, statementId: s.statementId, profileVersion: s.profileVersion })),
      nextToken: start + pageSize < statements.length ? this.deps.tokens.seal(scope, String(start + pageSize)) : undefined,
    };
  }

  async remove(caller: Caller, input: { profileName: string; revisionId: string; statementId: string }) {
    await this.profile(caller.accountId, input.profileName);
    const current = await this.deps.store.getPolicy(caller.accountId, input.profileName);
    if (!current || !current.statements.some((s) => s.statementId === input.statementId)) {
      throw new SignerError('ResourceNotFoundException', `No permission with statementId ${input.statementId} on profile ${input.profileName}.`);
    }
    if (current.revisionId !== input.revisionId) {
      throw new SignerError('ConflictException', 'The policy has changed: pass the current revisionId (from ListProfilePermissions).');
    }
    const statements = current.statements.filter((s) => s.statementId !== input.statementId);
    const next: PolicyRecord = { ...current, revisionId: newRevisionId(), statements };
    if (!(await this.deps.store.swapPolicy(caller.accountId, input.profileName, current.revisionId, next))) {
      throw new SignerError('ConflictException', 'The policy was changed by another request; read the new revisionId and retry.');
    }
    return { revisionId: next.revisionId };
  }
}

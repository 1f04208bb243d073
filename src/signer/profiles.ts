import type { ProfileRecord, ProfileStatus, ProfileVersionRecord, SigningOverrides } from '../store/index.js';
import { profileArn, profileVersionArn } from './arns.js';
import type { Caller, SignerDeps } from './context.js';
import { newProfileVersion } from './ids.js';
import { authorizeOnProfile } from './permissions.js';
import { SignerError } from './signer-error.js';
import { checkValidity } from './validity.js';
import { PlatformInputError, type PlatformDescriptorFile } from '../../platforms/platform.types.js';
import { checkAlgorithms, checkKeyType, resolveSigningParameters } from '../../platforms/_shared/request-checks.js';

export interface PutSigningProfileInput {
  profileName: string;
  platformId: string;
  signingMaterial?: { certificateArn: string };
  signatureValidityPeriod?: { value?: number; type?: string };
  overrides?: SigningOverrides;
  signingParameters?: Record<string, string>;
  tags?: Record<string, string>;
}

const ACM_ARN = /^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]{1,128}$/;
const LIST_DEFAULT = 10;
/** The model's pattern is anchored at the start only; the name must match as a whole. */
const PROFILE_NAME = /^[a-zA-Z0-9_]{2,64}$/;

/**
 * Answers the key type of a certificate of `accountId` (the keys module answers); throws
 * SignerError ResourceNotFoundException when the account has no such certificate.
 */
export type CertificateKeyType = (certificateArn: string, accountId: string) => Promise<string>;

/** Runs one of the platform descriptor checks (platforms/_shared/request-checks.ts), as a ValidationException. */
function descriptorCheck<T>(check: () => T, prefix = ''): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof PlatformInputError) throw new SignerError('ValidationException', `${prefix}${e.message}.`);
    throw e;
  }
}

/** Canonical JSON of what defines a profile version (so an identical Put is recognised). */
function fingerprint(v: Omit<ProfileVersionRecord, 'accountId' | 'profileName' | 'profileVersion' | 'createdAt' | 'revocation'>): string {
  const sort = (x: unknown): unknown =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, y]) => [k, sort(y)]))
      : x;
  return JSON.stringify(sort({ ...v }));
}

function definition(v: ProfileVersionRecord) {
  return {
    platformId: v.platformId,
    signingMaterial: v.signingMaterial,
    signatureValidityPeriod: v.signatureValidityPeriod,
    overrides: v.overrides,
    signingParameters: v.signingParameters,
  };
}

/** Signing profiles: create/version, read, list, cancel, revoke. */
export class Profiles {
  constructor(
    private readonly deps: SignerDeps,
    private readonly certificateKeyType: CertificateKeyType,
  ) {}

  async put(caller: Caller, input: PutSigningProfileInput) {
    const { store, platforms } = this.deps;
    if (!PROFILE_NAME.test(input.profileName)) {
      throw new SignerError('ValidationException', 'profileName must be 2-64 characters of A-Z, a-z, 0-9 and _.');
    }
    const platform = platforms.get(input.platformId);
    if (!platform) throw new SignerError('ValidationException', `Unknown platformId '${input.platformId}'; valid platform ids: ${platforms.all().map((p) => p.descriptor.platformId).join(', ')}.`);
    if (platform.extras.requiresCertificate && !input.signingMaterial) {
      throw new SignerError('ValidationException', `Platform ${input.platformId} requires signingMaterial.certificateArn.`);
    }
    const descriptor: PlatformDescriptorFile = { ...platform.descriptor, extras: platform.extras };
    const overrides = input.overrides;
    descriptorCheck(() =>
      checkAlgorithms(descriptor, {
        encryptionAlgorithm: overrides?.signingConfiguration?.encryptionAlgorithm,
        hashAlgorithm: overrides?.signingConfiguration?.hashAlgorithm,
        imageFormat: overrides?.signingImageFormat,
      }),
    );
    if (input.signingMaterial) {
      const arn = input.signingMaterial.certificateArn;
      if (!ACM_ARN.test(arn)) {
        throw new SignerError('ValidationException', 'signingMaterial.certificateArn must be an ACM certificate ARN.');
      }
      const encryptionAlgorithm =
        overrides?.signingConfiguration?.encryptionAlgorithm ?? platform.descriptor.signingConfiguration.encryptionAlgorithmOptions.defaultValue;
      const keyType = await this.certificateKeyType(arn, caller.accountId);
      descriptorCheck(() => checkKeyType(descriptor, encryptionAlgorithm, keyType), `Certificate ${arn}: `);
    }
    if (input.signingParameters) descriptorCheck(() => resolveSigningParameters(descriptor, input.signingParameters!));
    const validity = checkValidity(input.signatureValidityPeriod);
    const now = this.deps.now();
    const def = {
      platformId: input.platformId,
      signingMaterial: input.signingMaterial,
      signatureValidityPeriod: validity,
      overrides: input.overrides,
      signingParameters: input.signingParameters,
    };

    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await store.getProfile(caller.accountId, input.profileName);
      if (existing && existing.status !== 'Active') {
        throw new SignerError(
          'ValidationException',
          `Signing profile ${input.profileName} is ${existing.status}; the name of a canceled or revoked profile cannot be reused.`,
        );
      }
      if (existing && existing.current.platformId !== input.platformId) {
        throw new SignerError('ValidationException', `Signing profile ${input.profileName} is for platform ${existing.current.platformId}; its platform cannot change.`);
      }
      if (existing && fingerprint(definition(existing.current)) === fingerprint(def)) {
        if (input.tags) await this.mergeTags(existing, input.tags, now);
        return this.putOutput(caller.accountId, input.profileName, existing.current.profileVersion);
      }
      const version: ProfileVersionRecord = {
        accountId: caller.accountId,
        profileName: input.profileName,
        profileVersion: newProfileVersion(),
        createdAt: now,
        ...def,
      };
      const tags = { ...(existing?.tags ?? {}), ...(input.tags ?? {}) };
      if (Object.keys(tags).length > 200) throw new SignerError('ValidationException', 'A profile can have at most 200 tags.');
      const ok = await store.putProfileVersion(
        { accountId: caller.accountId, profileName: input.profileName, status: 'Active', tags, createdAt: existing?.createdAt ?? now, updatedAt: now },
        version,
        existing?.current.profileVersion,
      );
      if (ok) return this.putOutput(caller.accountId, input.profileName, version.profileVersion);
    }
    throw new SignerError('ConflictException', `Signing profile ${input.profileName} is being changed concurrently; retry.`);
  }

  private async mergeTags(p: ProfileRecord, tags: Record<string, string>, now: Date): Promise<void> {
    const merged = { ...p.tags, ...tags };
    if (Object.keys(merged).length > 200) throw new SignerError('ValidationException', 'A profile can have at most 200 tags.');
    await this.deps.store.updateProfile(p.accountId, p.profileName, { tags: merged, updatedAt: now });
  }

  private putOutput(accountId: string, name: string, version: string) {
    const { region } = this.deps;
    return { arn: profileArn(region, accountId, name), profileVersion: version, profileVersionArn: profileVersionArn(region, accountId, name, version) };
  }

  /** Loads a profile of the caller's own account, or ResourceNotFoundException. */
  async own(accountId: string, profileName: string): Promise<ProfileRecord> {
    const p = await this.deps.store.getProfile(accountId, profileName);
    if (!p) throw new SignerError('ResourceNotFoundException', `Signing profile ${profileName} does not exist.`);
    return p;
  }

  async get(caller: Caller, input: { profileName: string; profileOwner?: string }) {
    const owner = input.profileOwner ?? caller.accountId;
    const p =
      owner === caller.accountId
        ? await this.own(owner, input.profileName)
        : (await authorizeOnProfile(this.deps, caller, owner, input.profileName, 'signer:GetSigningProfile')).profile;
    return this.view(p, true);
  }

  /** The GetSigningProfile view of a profile (the list view is the same minus a few members). */
  view(p: ProfileRecord, full: boolean) {
    const { region } = this.deps;
    const platform = this.deps.platforms.get(p.current.platformId);
    const v = p.current;
    return {
      profileName: p.profileName,
      profileVersion: v.profileVersion,
      profileVersionArn: profileVersionArn(region, p.accountId, p.profileName, v.profileVersion),
      signingMaterial: v.signingMaterial,
      platformId: v.platformId,
      platformDisplayName: platform?.descriptor.displayName,
      signatureValidityPeriod: v.signatureValidityPeriod,
      signingParameters: v.signingParameters,
      status: p.status,
      arn: profileArn(region, p.accountId, p.profileName),
      tags: Object.keys(p.tags).length ? p.tags : undefined,
      ...(full
        ? {
            overrides: v.overrides,
            statusReason: p.statusReason,
            revocationRecord: v.revocation
              ? { revocationEffectiveFrom: v.revocation.revocationEffectiveFrom, revokedAt: v.revocation.revokedAt, revokedBy: v.revocation.revokedBy }
              : undefined,
          }
        : {}),
    };
  }

  async list(
    caller: Caller,
    input: { includeCanceled?: boolean; maxResults?: number; nextToken?: string; platformId?: string; statuses?: ProfileStatus[] },
  ) {
    let statuses: ProfileStatus[];
    if (input.statuses && input.statuses.length > 0) statuses = [...new Set(input.statuses)];
    else statuses = input.includeCanceled ? ['Active', 'Canceled', 'Revoked'] : ['Active'];
    const scope = JSON.stringify(['ListSigningProfiles', caller.accountId, statuses, input.platformId ?? null]);
    const after = this.deps.tokens.open(scope, input.nextToken);
    const page = await this.deps.store.listProfiles(caller.accountId, { statuses, platformId: input.platformId }, after, input.maxResults ?? LIST_DEFAULT);
    return {
      profiles: page.items.map((p) => this.view(p, false)),
      nextToken: page.nextKey === undefined ? undefined : this.deps.tokens.seal(scope, page.nextKey),
    };
  }

  async cancel(caller: Caller, input: { profileName: string }): Promise<void> {
    const p = await this.own(caller.accountId, input.profileName);
    // Revocation outranks cancellation: a revoked profile stays visible as Revoked.
    if (p.status !== 'Active') return;
    await this.deps.store.updateProfile(caller.accountId, input.profileName, {
      status: 'Canceled',
      statusReason: 'Canceled by the owner',
      updatedAt: this.deps.now(),
    });
  }

  async revoke(caller: Caller, input: { profileName: string; profileVersion: string; reason: string; effectiveTime: Date }): Promise<void> {
    const p = await this.own(caller.accountId, input.profileName);
    const platform = this.deps.platforms.get(p.current.platformId);
    if (!platform?.descriptor.revocationSupported) {
      throw new SignerError('ValidationException', `Platform ${p.current.platformId} does not support revocation.`);
    }
    const version = await this.deps.store.getProfileVersion(caller.accountId, input.profileName, input.profileVersion);
    if (!version) {
      throw new SignerError('ResourceNotFoundException', `Signing profile ${input.profileName} has no version ${input.profileVersion}.`);
    }
    const now = this.deps.now();
    if (input.effectiveTime.getTime() > now.getTime()) {
      throw new SignerError('ValidationException', 'effectiveTime must not be in the future.');
    }
    if (version.revocation && input.effectiveTime.getTime() > version.revocation.revocationEffectiveFrom.getTime()) {
      throw new SignerError(
        'ValidationException',
        `The revocation of version ${input.profileVersion} is effective from ${version.revocation.revocationEffectiveFrom.toISOString()}; it can move earlier, never later.`,
      );
    }
    // One transaction: the version's revocation and the profile's status (and the call's audit record) commit together.
    await this.deps.store.revokeProfileVersion(
      {
        ...version,
        revocation: { revocationEffectiveFrom: input.effectiveTime, revokedAt: now, revokedBy: caller.principalArn, reason: input.reason },
      },
      p.current.profileVersion === input.profileVersion ? { status: 'Revoked', statusReason: input.reason, updatedAt: now } : undefined,
    );
  }
}

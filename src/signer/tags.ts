import type { ProfileRecord } from '../store/index.js';
import { parseProfileArn } from './arns.js';
import type { Caller, SignerDeps } from './context.js';
import { SignerError } from './signer-error.js';

const MAX_TAGS = 200;

/** Tags on signing profiles, addressed by profile ARN (the tag operations' own error shapes). */
export class Tags {
  constructor(private readonly deps: SignerDeps) {}

  private async resolve(caller: Caller, resourceArn: string): Promise<ProfileRecord> {
    const parsed = parseProfileArn(resourceArn);
    if (!parsed || parsed.profileVersion !== undefined) {
      throw new SignerError('BadRequestException', `${resourceArn} is not a signing profile ARN.`);
    }
    // Another account's (or region's) ARN is simply not found here: resources are private.
    const p =
      parsed.accountId === caller.accountId && parsed.region === this.deps.region
        ? await this.deps.store.getProfile(parsed.accountId, parsed.profileName)
        : undefined;
    if (!p) throw new SignerError('NotFoundException', `Resource ${resourceArn} not found.`);
    return p;
  }

  async list(caller: Caller, input: { resourceArn: string }) {
    const p = await this.resolve(caller, input.resourceArn);
    return { tags: p.tags };
  }

  async tag(caller: Caller, input: { resourceArn: string; tags: Record<string, string> }) {
    const p = await this.resolve(caller, input.resourceArn);
    if (p.status === 'Canceled') throw new SignerError('BadRequestException', `Signing profile ${p.profileName} is canceled; its tags cannot change.`);
    const merged = { ...p.tags, ...input.tags };
    if (Object.keys(merged).length > MAX_TAGS) {
      throw new SignerError('BadRequestException', `A resource can have at most ${MAX_TAGS} tags.`);
    }
    await this.deps.store.updateProfile(p.accountId, p.profileName, { tags: merged, updatedAt: this.deps.now() });
    return {};
  }

  async untag(caller: Caller, input: { resourceArn: string; tagKeys: string[] }) {
    const p = await this.resolve(caller, input.resourceArn);
    if (p.status === 'Canceled') throw new SignerError('BadRequestException', `Signing profile ${p.profileName} is canceled; its tags cannot change.`);
    const next = { ...p.tags };
    for (const k of input.tagKeys) delete next[k];
    await this.deps.store.updateProfile(p.accountId, p.profileName, { tags: next, updatedAt: this.deps.now() });
    return {};
  }
}

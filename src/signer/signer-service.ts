import type { SignerDeps } from './context.js';
import { Jobs, type SigningEngine } from './jobs.js';
import { Permissions } from './permissions.js';
import { Profiles, type CertificateKeyType } from './profiles.js';
import { Tags } from './tags.js';
import { SignerError } from './signer-error.js';

/** The Signer domain, one object per resource family. No HTTP here. */
export class SignerService {
  readonly profiles: Profiles;
  readonly permissions: Permissions;
  readonly tags: Tags;
  readonly jobs: Jobs;

  /**
   * Both collaborators are required: a server wired without its signing engine or certificate
   * lookup fails here, at start, not later with jobs left InProgress.
   */
  constructor(
    readonly deps: SignerDeps,
    wiring: { engine: SigningEngine; certificateKeyType: CertificateKeyType },
  ) {
    const { engine, certificateKeyType } = wiring as Partial<typeof wiring>;
    if (!engine || typeof engine.check !== 'function' || typeof engine.enqueue !== 'function' || typeof engine.signPayload !== 'function') {
      throw new Error('SignerService needs a signing engine (check, enqueue, signPayload) at construction');
    }
    if (typeof certificateKeyType !== 'function') throw new Error('SignerService needs a certificate key-type lookup at construction');
    this.profiles = new Profiles(deps, certificateKeyType);
    this.permissions = new Permissions(deps);
    this.tags = new Tags(deps);
    this.jobs = new Jobs(deps, engine);
  }

  /** Platforms: ListSigningPlatforms and GetSigningPlatform. */
  listPlatforms(input: { category?: string; partner?: string; target?: string; maxResults?: number; nextToken?: string }) {
    const scope = JSON.stringify(['ListSigningPlatforms', input.category ?? null, input.partner ?? null, input.target ?? null]);
    const after = this.deps.tokens.open(scope, input.nextToken);
    const matching = this.deps.platforms
      .all()
      .map((p) => p.descriptor)
      .filter(
        (d) =>
          (input.category === undefined || d.category === input.category) &&
          (input.partner === undefined || d.partner === input.partner) &&
          (input.target === undefined || d.target === input.target),
      )
      .filter((d) => after === undefined || d.platformId > after);
    const limit = input.maxResults ?? 25;
    const page = matching.slice(0, limit);
    const last = page[page.length - 1];
    return { platforms: page, nextToken: matching.length > limit && last ? this.deps.tokens.seal(scope, last.platformId) : undefined };
  }

  getPlatform(input: { platformId: string }) {
    const p = this.deps.platforms.get(input.platformId);
    if (!p) throw new SignerError('ResourceNotFoundException', `Platform ${input.platformId} does not exist.`);
    return p.descriptor;
  }
}

import type { StateStore } from '../store/index.js';
import type { PageTokens } from './pagination.js';
import type { PlatformRegistry } from './platform-registry.js';

/** Who is calling: the authenticated account and principal. */
export interface Caller {
  accountId: string;
  principalArn: string;
}

/** What every part of the domain shares. */
export interface SignerDeps {
  store: StateStore;
  platforms: PlatformRegistry;
  tokens: PageTokens;
  region: string;
  now: () => Date;
}

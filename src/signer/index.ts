/** The Signer domain: profiles, versions, permissions, tags, jobs, revocation. */
export { SignerService } from './signer-service.js';
export { SignerError, type SignerErrorCode } from './signer-error.js';
export { PlatformRegistry, PLATFORMS_DIR, type RegisteredPlatform } from './platform-registry.js';
export { PageTokens } from './pagination.js';
export type { Caller, SignerDeps } from './context.js';
export type { SigningEngine } from './jobs.js';
export { NOTATION_PAYLOAD_FORMAT } from './jobs.js';
export type { CertificateKeyType } from './profiles.js';
export * as arns from './arns.js';
export { expiryOf } from './validity.js';
export { authorizeOnProfile } from './permissions.js';

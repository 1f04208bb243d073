/** Request authentication: AWS Signature Version 4 (header and presigned-query forms). */
export { AuthError, type AuthErrorCode } from './auth-error.js';
export {
  verifySigV4,
  precheckSigV4,
  parseRawQuery,
  deriveSigningKey,
  sha256Hex,
  type CredentialRecord,
  type CredentialLookup,
  type SignedRequest,
  type VerifyOptions,
  type VerifiedRequest,
  type PrecheckedRequest,
} from './sigv4-verify.js';

import { AuthError, verifySigV4, type AuthErrorCode, type CredentialLookup } from '../../auth/index.js';
import type { ObjectsErrorCode } from '../objects-error.js';
import type { S3Authenticator } from './auth.types.js';

/** How each `src/auth` failure is answered on the S3 wire. */
export const AUTH_ERROR_TO_S3: Readonly<Record<AuthErrorCode, ObjectsErrorCode>> = {
  MissingAuthenticationToken: 'AccessDenied',
  IncompleteSignature: 'AuthorizationHeaderMalformed',
  UnrecognizedClient: 'InvalidAccessKeyId',
  InvalidSignature: 'SignatureDoesNotMatch',
  SignatureExpired: 'RequestTimeTooSkewed',
  WrongScope: 'AuthorizationHeaderMalformed',
  UnsignedHeaders: 'AccessDenied',
};

/**
 * The embedded endpoint's authenticator: SigV4 with service `s3` (the path is signed as sent;
 * the endpoint checks the body hash itself while streaming), credentials from `lookup`.
 */
export function createSigV4Authenticator(opts: { region: string; lookup: CredentialLookup; maxSkewMs?: number }): S3Authenticator {
  return async (req) => {
    try {
      const v = await verifySigV4(req, { services: ['s3'], region: opts.region, lookup: opts.lookup, uriEscapePath: false, maxSkewMs: opts.maxSkewMs, requireSignedAmzHeaders: true });
      return {
        accountId: v.credential.accountId,
        accessKeyId: v.credential.accessKeyId,
        signingKey: v.signingKey,
        scope: v.scope,
        amzDate: v.amzDate,
        seedSignature: v.signature,
        payloadHash: v.payloadHash,
      };
    } catch (err) {
      if (err instanceof AuthError) throw Object.assign(new Error(err.message), { s3Code: AUTH_ERROR_TO_S3[err.code], s3Message: err.message });
      throw err;
    }
  };
}

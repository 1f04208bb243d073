import { AuthError, verifySigV4, type CredentialLookup } from '../auth/index.js';
import type { S3Authenticator } from '../objects/index.js';

/** S3's names for our authentication failures. */
const S3_CODES: Record<AuthError['code'], string> = {
  MissingAuthenticationToken: 'AccessDenied',
  IncompleteSignature: 'AuthorizationHeaderMalformed',
  UnrecognizedClient: 'InvalidAccessKeyId',
  InvalidSignature: 'SignatureDoesNotMatch',
  SignatureExpired: 'RequestTimeTooSkewed',
  WrongScope: 'AuthorizationHeaderMalformed',
};

/** The embedded S3 endpoint's authenticator: SigV4 (service `s3`, path signed as sent) with the server's accounts. */
export function s3Authenticator(opts: { region: string; lookup: CredentialLookup; maxSkewMs: number }): S3Authenticator {
  return async (req) => {
    try {
      const v = await verifySigV4(req, { services: ['s3'], region: opts.region, lookup: opts.lookup, uriEscapePath: false, maxSkewMs: opts.maxSkewMs });
      return {
        accountId: v.credential.accountId,
        accessKeyId: v.credential.accessKeyId,
        signingKey: v.signingKey,
        scope: v.scope,
        amzDate: v.amzDate,
        seedSignature: v.signature,
        payloadHash: v.payloadHash,
      };
    } catch (e) {
      if (e instanceof AuthError) {
        const code = e.code === 'SignatureExpired' && /expired/i.test(e.message) && !/Signature expired/.test(e.message) ? 'AccessDenied' : S3_CODES[e.code];
        throw Object.assign(new Error(e.message), { s3Code: code });
      }
      throw e;
    }
  };
}

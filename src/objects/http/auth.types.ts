/**
 * The authentication seam of the embedded S3 endpoint. The endpoint does not
 * verify SigV4 itself: the server wires in the project's verifier (`src/auth`),
 * tests wire in `test-support/sigv4-authenticator.ts`.
 *
 * @packageDocumentation
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What the endpoint hands the authenticator: the request exactly as received. */
export interface S3AuthRequest {
  readonly method: string;
  /** Path as sent, still percent-encoded (S3 signs it without re-encoding). */
  readonly rawPath: string;
  /** Query string as sent, without `?`, still percent-encoded. */
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
}

/** What a successful authentication yields. */
export interface AuthContext {
  /** Account the caller acts for; buckets belong to the account that created them. */
  readonly accountId: string;
  readonly accessKeyId: string;
  /** SigV4 signing key (`kSigning`), needed to check aws-chunked chunk signatures. */
  readonly signingKey: Uint8Array;
  /** Credential scope `<yyyymmdd>/<region>/s3/aws4_request`. */
  readonly scope: string;
  /** `x-amz-date` of the request (`yyyymmddThhmmssZ`). */
  readonly amzDate: string;
  /** The request signature, which seeds the chunk signature chain. */
  readonly seedSignature: string;
  /** The `x-amz-content-sha256` value that was signed (hex hash, UNSIGNED-PAYLOAD or STREAMING-*). */
  readonly payloadHash: string;
}

/**
 * Verifies a request. Resolves with the caller's context, or rejects with an
 * error whose `s3Code` names the S3 error (`AccessDenied`, `InvalidAccessKeyId`,
 * `SignatureDoesNotMatch`, `RequestTimeTooSkewed`, ...). Errors without a known
 * `s3Code` are answered as `AccessDenied` (fail closed).
 */
export type S3Authenticator = (request: S3AuthRequest) => Promise<AuthContext>;

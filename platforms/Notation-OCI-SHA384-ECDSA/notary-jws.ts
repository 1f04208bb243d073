/**
 * Notary Project JWS signature envelope (notaryproject/specifications `specs/signature-envelope-jws.md`):
 * flattened JWS JSON serialization, ES384, x5c chain, signing scheme `notary.x509.signingAuthority`, plus the
 * extended critical attributes AWS Signer's Notation plugin reads (aws/aws-signer-notation-plugin
 * `internal/verifier/verifier.go`). Names are defined here once.
 */

/** `payloadFormat` of SignPayload and `cty` of the envelope. */
export const NOTARY_PAYLOAD_MEDIA_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
/** Media type of the envelope itself (the plugin's `SignatureEnvelopeType`). */
export const JWS_ENVELOPE_MEDIA_TYPE = 'application/jose+json';
/** JWS `alg` for ECDSA P-384 with SHA-384. */
export const ALG_ES384 = 'ES384';
/** The signing scheme AWS Signer signatures use; its plugin verifier accepts no other. */
export const SIGNING_SCHEME = 'notary.x509.signingAuthority';
/** Name of the verification plugin a verifier needs for AWS Signer's extended attributes. [inferred from the plugin's install name] */
export const VERIFICATION_PLUGIN = 'com.amazonaws.signer.notation.plugin';
/** Value of the unprotected `io.cncf.notary.signingAgent` header. */
export const SIGNING_AGENT = 'iot-signer/0.1.0';

/** Header names. */
export const HEADER = Object.freeze({
  signingScheme: 'io.cncf.notary.signingScheme',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  signingAgent: 'io.cncf.notary.signingAgent',
  /** AWS Signer extended attribute: the signing profile version ARN */
  signingProfileVersion: 'com.amazonaws.signer.signingProfileVersion',
  /** AWS Signer extended attribute: the signing job ARN */
  signingJob: 'com.amazonaws.signer.signingJob',
});

/** SignPayload `metadata` keys (returned to the plugin, which passes them on as annotations). */
export const METADATA = Object.freeze({ signingProfileVersionArn: 'signingProfileVersionArn', signingJobArn: 'signingJobArn' });

/** The flattened JWS JSON envelope. */
export interface JwsEnvelope {
  payload: string;
  protected: string;
  header: { x5c: string[]; [HEADER.signingAgent]?: string };
  signature: string;
}

/** The protected header this platform writes. */
export function protectedHeader(claims: { signedAt: Date; expiresAt: Date; profileVersionArn: string; jobArn: string }): Record<string, unknown> {
  return {
    alg: ALG_ES384,
    cty: NOTARY_PAYLOAD_MEDIA_TYPE,
    [HEADER.signingScheme]: SIGNING_SCHEME,
    [HEADER.authenticSigningTime]: rfc3339(claims.signedAt),
    [HEADER.expiry]: rfc3339(claims.expiresAt),
    [HEADER.verificationPlugin]: VERIFICATION_PLUGIN,
    [HEADER.signingProfileVersion]: claims.profileVersionArn,
    [HEADER.signingJob]: claims.jobArn,
    crit: [HEADER.signingScheme, HEADER.authenticSigningTime, HEADER.expiry, HEADER.verificationPlugin, HEADER.signingProfileVersion, HEADER.signingJob],
  };
}

/** RFC 3339 UTC without fractional seconds (the spec: time-secfrac SHOULD NOT be used). */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** Base64url without padding (RFC 7515 §2). */
export function base64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

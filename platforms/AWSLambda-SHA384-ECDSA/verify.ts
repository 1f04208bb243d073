import { createTrustStore, verify, type ReasonCode, type TrustStore } from '../../firmware-verifier/index.js';
import type { LambdaClaims } from './lambda-cms.js';

/** Options of {@link verifySignedLambdaZip}. */
export interface LambdaVerifyOptions {
  /** DER root certificates the chain must end in (never taken from the package itself). */
  trustedRoots: readonly Uint8Array[];
  /** "now" for `expired`; defaults to the current time */
  now?: Date;
}

/** Outcome of {@link verifySignedLambdaZip}: invalid unless every check passed. */
export type LambdaVerifyResult =
  | { ok: true; claims: LambdaClaims; expired: boolean; certificates: Uint8Array[] }
  | { ok: false; code: ReasonCode | 'BadTrustedRoot'; reason: string };

/** The earliest instant a Date holds: the verifier's expiry check always passes there (see below). */
const EARLIEST = new Date(-8.64e15);

/**
 * Checks a signed Lambda package the way a deploying Lambda checks integrity, with THE device-side
 * verifier (firmware-verifier's `lambda-zip` format): the detached CMS's messageDigest matches the
 * package's entries, its ECDSA-SHA384 signature verifies with the signer certificate, whose chain ends
 * in one of `trustedRoots` at signing time. Expiry is reported (`expired`), not judged — Lambda treats it
 * as policy — so the verifier checks expiry at the earliest instant and `now` is compared here.
 * Pure: no I/O, fails closed with the verifier's reason code and detail.
 */
export async function verifySignedLambdaZip(zip: Uint8Array, opts: LambdaVerifyOptions): Promise<LambdaVerifyResult> {
  let trust: TrustStore;
  try {
    trust = createTrustStore({ roots: opts.trustedRoots });
  } catch (e) {
    return { ok: false, code: 'BadTrustedRoot', reason: `a trusted root is not a certificate: ${(e as Error).message}` };
  }
  const result = verify(zip, 'lambda-zip', trust, { at: EARLIEST, maxImageSize: Math.max(1, zip.length) });
  if (!result.ok) return { ok: false, code: result.reason, reason: result.detail };
  const { signer, certificates } = result.info;
  // lambda-zip always reports both on success (firmware-verifier/formats/lambda-zip.ts).
  if (signer === undefined || certificates === undefined) throw new Error('firmware-verifier lambda-zip answered no signer claims');
  const claims: LambdaClaims = {
    signingJobArn: signer.jobArn,
    signingProfileVersionArn: signer.profileVersionArn,
    signingTime: signer.signingTime,
    signatureExpiresAt: signer.expiresAt,
  };
  return { ok: true, claims, expired: (opts.now ?? new Date()) > claims.signatureExpiresAt, certificates: [...certificates] };
}

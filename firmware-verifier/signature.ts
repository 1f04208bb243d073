import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { HashName } from './hash.js';
import type { PublicKey } from './public-key.js';
import { verifyPkcs1v15, verifyPss } from './rsa.js';

/** How a signature is encoded and padded; one entry per scheme the formats use. */
export type SignatureScheme =
  | { readonly kind: 'ecdsa'; readonly encoding: 'der' | 'raw' }
  | { readonly kind: 'ed25519' }
  | { readonly kind: 'rsa-pkcs1'; readonly hash: HashName }
  | { readonly kind: 'rsa-pss'; readonly hash: HashName; readonly saltLength: number };

/**
 * Verifies `signature` over `digest` (a precomputed hash; for Ed25519 the digest is the signed
 * message, as MCUboot signs the SHA-256 of the image). Returns false for any mismatch of key kind
 * and scheme, malformed signature, or failed check; never throws.
 *
 * ECDSA accepts high-S signatures (mbedTLS, OpenSSL and TinyCrypt in boot loaders do);
 * Ed25519 uses strict RFC 8032 decoding (no ZIP-215 leniency).
 */
export function verifySignature(key: PublicKey, scheme: SignatureScheme, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (scheme.kind === 'ecdsa' && (key.kind === 'ecdsa-p256' || key.kind === 'ecdsa-p384')) {
      const curve = key.kind === 'ecdsa-p256' ? p256 : p384;
      const format = scheme.encoding === 'der' ? 'der' : 'compact';
      return curve.verify(signature, digest, key.point, { prehash: false, lowS: false, format });
    }
    if (scheme.kind === 'ed25519' && key.kind === 'ed25519') {
      return ed25519.verify(signature, digest, key.point, { zip215: false });
    }
    if (scheme.kind === 'rsa-pkcs1' && key.kind === 'rsa') {
      return verifyPkcs1v15(key.rsa, scheme.hash, digest, signature);
    }
    if (scheme.kind === 'rsa-pss' && key.kind === 'rsa') {
      return verifyPss(key.rsa, scheme.hash, digest, signature, scheme.saltLength);
    }
    return false;
  } catch {
    return false;
  }
}

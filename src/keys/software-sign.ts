/**
 * Signing with a private key held in memory for the length of one call (the encrypted
 * file backend decrypts, calls one of these, and zeroizes).
 *
 * Why each path is built this way (see docs/keys.md, "Signing over a digest"):
 * - `crypto.sign(null, digest, ecKey)` hashes its input again with SHA-256, so ECDSA
 *   over a precomputed digest uses @noble/curves with `prehash: false` on the scalar.
 * - RSA PKCS#1 v1.5: `privateEncrypt` with RSA_PKCS1_PADDING over DigestInfo is exactly
 *   EMSA-PKCS1-v1_5 (block type 1) followed by the RSA private operation (OpenSSL).
 * - RSA PSS: we do EMSA-PSS encoding ourselves, then the raw private operation
 *   (`privateEncrypt` with RSA_NO_PADDING).
 * - Ed25519: `crypto.sign(null, message, key)` is pure Ed25519 over the message.
 */
import { constants, createPrivateKey, createPublicKey, privateEncrypt, sign as nodeSign, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { ECPrivateKey } from '@peculiar/asn1-ecc';
import { KeysError } from './errors.js';
import type { KeyType, SignDigestOptions, SigningKey } from './key-backend.types.js';
import { checkDigest, digestInfo, emsaPssEncode, keyTypeOf, rsaBits, zeroize } from './signature-encoding.js';

/** Builds a KeyObject from PKCS#8 DER without keeping a reference to the buffer. */
export function privateKeyFromPkcs8(pkcs8Der: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8Der.buffer, pkcs8Der.byteOffset, pkcs8Der.byteLength), format: 'der', type: 'pkcs8' });
  } catch {
    // The underlying error text is not forwarded: OpenSSL messages can quote input bytes.
    throw new KeysError('KEY_MALFORMED', 'stored private key is not valid PKCS#8');
  }
}

/** Extracts the EC private scalar from PKCS#8 DER into a fresh buffer the caller must zeroize. */
function ecScalar(pkcs8Der: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(pkcs8Der, PrivateKeyInfo);
  const inner = new Uint8Array(info.privateKey.buffer);
  const ec = AsnConvert.parse(inner, ECPrivateKey);
  const d = new Uint8Array(ec.privateKey.buffer.slice(0));
  zeroize(inner, new Uint8Array(ec.privateKey.buffer));
  return d;
}

/**
 * Signs a precomputed digest with a PKCS#8 private key. Does not modify or keep `pkcs8Der`.
 * @returns DER Ecdsa-Sig-Value for EC keys; the RSA signature (modulus length) for RSA keys
 */
export function softwareSignDigest(pkcs8Der: Uint8Array, keyType: KeyType, digest: Uint8Array, opts: SignDigestOptions): Uint8Array {
  if (keyType === 'EC_prime256v1' || keyType === 'EC_secp384r1') {
    const d = ecScalar(pkcs8Der);
    try {
      const curve = keyType === 'EC_prime256v1' ? p256 : p384;
      // Hedged signing (RFC 6979 nonce plus fresh randomness): robust against a weak RNG and against fault attacks on pure determinism.
      return curve.sign(digest, d, { prehash: false, format: 'der', extraEntropy: true });
    } finally {
      zeroize(d);
    }
  }
  if (keyType === 'ED25519') throw new KeysError('UNSUPPORTED_OPERATION', 'Ed25519 signs messages, not digests; use signMessage');
  const key = privateKeyFromPkcs8(pkcs8Der);
  const padding = opts.rsaPadding ?? 'pkcs1';
  if (padding === 'pkcs1') {
    const di = digestInfo(opts.hash, digest);
    return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, di));
  }
  if (padding === 'pss') {
    const em = emsaPssEncode(opts.hash, digest, rsaBits(keyType));
    try {
      return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, em));
    } finally {
      zeroize(em);
    }
  }
  throw new TypeError('rsaPadding must be pkcs1 or pss');
}

/** Pure Ed25519 over `message` with a PKCS#8 private key. */
export function softwareSignMessage(pkcs8Der: Uint8Array, keyType: KeyType, message: Uint8Array): Uint8Array {
  if (keyType !== 'ED25519') throw new KeysError('UNSUPPORTED_OPERATION', `signMessage is for Ed25519 keys; this key is ${keyType}`);
  return new Uint8Array(nodeSign(null, message, privateKeyFromPkcs8(pkcs8Der)));
}

/**
 * A {@link SigningKey} over an in-memory private key (the development test CA's key, read
 * from its PEM file). Keeps the PKCS#8 DER for the key's lifetime: only for TEST ONLY use.
 */
export function inMemorySigningKey(privateKey: KeyObject, certificateChain: readonly Uint8Array[] = []): SigningKey {
  const keyType = keyTypeOf(privateKey);
  const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
  return Object.freeze({
    keyType,
    publicKeySpki: new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })),
    certificateChain: Object.freeze([...certificateChain]),
    async signDigest(digest: Uint8Array, opts: SignDigestOptions) {
      checkDigest(digest, opts.hash);
      return softwareSignDigest(pkcs8, keyType, digest, opts);
    },
    async signMessage(message: Uint8Array) {
      return softwareSignMessage(pkcs8, keyType, message);
    },
  });
}

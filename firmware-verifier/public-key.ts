import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { ECParameters } from '@peculiar/asn1-ecc';
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from './bytes.js';
import { bitLength, os2ip, type RsaPublicKey } from './rsa.js';
import { check, fail } from './verification-failure.js';
import { derTotalLength } from './der.js';

/** Algorithm OIDs (X.509 SubjectPublicKeyInfo), defined once. */
export const OID = Object.freeze({
  ecPublicKey: '1.2.840.10045.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519: '1.3.101.112',
});

/** Smallest RSA modulus accepted anywhere (NIST SP 800-131A; all supported formats use ≥ 2048). */
export const MIN_RSA_BITS = 2048;

interface KeyCommon {
  /** SubjectPublicKeyInfo DER as given. */
  readonly spki: Uint8Array;
  /** Hex SHA-256 of `spki`: the key's identity in results and revocation lists. */
  readonly id: string;
}

/** A parsed public key of one of the supported kinds. */
export type PublicKey =
  | (KeyCommon & { readonly kind: 'ecdsa-p256' | 'ecdsa-p384'; readonly point: Uint8Array })
  | (KeyCommon & { readonly kind: 'ed25519'; readonly point: Uint8Array })
  | (KeyCommon & { readonly kind: 'rsa'; readonly rsa: RsaPublicKey; readonly pkcs1: Uint8Array });

/**
 * Parses a DER SubjectPublicKeyInfo. Unsupported or malformed keys fail with
 * `UnsupportedAlgorithm` / `BadCertificate` (callers holding configuration turn that into a TypeError).
 */
export function parseSpki(spki: Uint8Array): PublicKey {
  check(derTotalLength(spki) === spki.length, 'BadCertificate', 'SubjectPublicKeyInfo has trailing or missing bytes');
  let info: SubjectPublicKeyInfo;
  try {
    info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  } catch {
    fail('BadCertificate', 'malformed SubjectPublicKeyInfo');
  }
  const id = toHex(sha256(spki));
  const keyBytes = new Uint8Array(info.subjectPublicKey);
  const algorithm = info.algorithm.algorithm;
  if (algorithm === OID.ecPublicKey) {
    const params = info.algorithm.parameters;
    const curveOid = params ? tryParseOid(new Uint8Array(params)) : undefined;
    const kind = curveOid === OID.secp256r1 ? 'ecdsa-p256' : curveOid === OID.secp384r1 ? 'ecdsa-p384' : undefined;
    if (kind === undefined) fail('UnsupportedAlgorithm', 'EC curve not supported');
    try {
      (kind === 'ecdsa-p256' ? p256 : p384).Point.fromBytes(keyBytes).assertValidity();
    } catch {
      fail('BadCertificate', 'EC point not on curve');
    }
    return { kind, point: keyBytes, spki, id };
  }
  if (algorithm === OID.ed25519) {
    try {
      ed25519.Point.fromBytes(keyBytes);
    } catch {
      fail('BadCertificate', 'Ed25519 point invalid');
    }
    return { kind: 'ed25519', point: keyBytes, spki, id };
  }
  if (algorithm === OID.rsaEncryption) {
    const rsa = parsePkcs1(keyBytes);
    return { kind: 'rsa', rsa, pkcs1: keyBytes, spki, id };
  }
  fail('UnsupportedAlgorithm', `key algorithm ${algorithm} not supported`);
}

function tryParseOid(der: Uint8Array): string | undefined {
  try {
    return AsnConvert.parse(der, ECParameters).namedCurve;
  } catch {
    return undefined;
  }
}

/** Parses a DER PKCS#1 RSAPublicKey (the bytes MCUboot hashes for KEYHASH). */
function parsePkcs1(der: Uint8Array): RsaPublicKey {
  let key: RSAPublicKey;
  try {
    key = AsnConvert.parse(der, RSAPublicKey);
  } catch {
    fail('BadCertificate', 'malformed RSAPublicKey');
  }
  const n = os2ip(new Uint8Array(key.modulus));
  const e = os2ip(new Uint8Array(key.publicExponent));
  const bits = bitLength(n);
  if (bits < MIN_RSA_BITS || e < 3n || (e & 1n) === 0n) fail('UnsupportedAlgorithm', 'RSA key too small or bad exponent');
  return { n, e, bits };
}

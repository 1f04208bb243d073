import { AsnConvert, BitString } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_kp_codeSigning,
} from '@peculiar/asn1-x509';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, toHex } from './bytes.js';
import { parseSpki, type PublicKey } from './public-key.js';
import { check, fail } from './verification-failure.js';
import { derTotalLength } from './der.js';

/** The parts of an X.509 certificate the verifier uses. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** Hex SHA-256 of the DER: the certificate's identity in results and revocation lists. */
  readonly fingerprint: string;
  /** The exact signed bytes (TBSCertificate as received). */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** DER of the issuer and subject Names, for issuer matching. */
  readonly issuer: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: PublicKey;
  /** basicConstraints cA = TRUE. */
  readonly isCa: boolean;
  /** Extended key usage includes id-kp-codeSigning (RFC 5280 §4.2.1.12). */
  readonly codeSigning: boolean;
  /** keyUsage absent, or present with digitalSignature. */
  readonly digitalSignature: boolean;
}

/** Parses a DER certificate; anything malformed fails with `BadCertificate`. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  check(derTotalLength(der) === der.length, 'BadCertificate', 'certificate has trailing or missing bytes');
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch {
    fail('BadCertificate', 'malformed certificate');
  }
  const tbs = cert.tbsCertificate;
  // The parts outside the signed TBS must be canonical, or one certificate has many encodings that all
  // verify (found by fuzzing: a signature BIT STRING with non-zero "unused bits"). [RFC 5280 4.1.1.2, X.690 11.2]
  const canonicalSignature = new Uint8Array(AsnConvert.serialize(new BitString(cert.signatureValue)));
  check(equalBytes(der.subarray(der.length - canonicalSignature.length), canonicalSignature), 'BadCertificate', 'certificate signature is not a canonical DER BIT STRING');
  check(
    equalBytes(new Uint8Array(AsnConvert.serialize(cert.signatureAlgorithm)), new Uint8Array(AsnConvert.serialize(tbs.signature))),
    'BadCertificate',
    'certificate signatureAlgorithm differs from the TBS signature field',
  );
  const extensions = tbs.extensions ?? [];
  const extension = (oid: string): Uint8Array | undefined => {
    const found = extensions.find((e) => e.extnID === oid);
    return found === undefined ? undefined : new Uint8Array(found.extnValue.buffer);
  };
  const basic = extension(id_ce_basicConstraints);
  const eku = extension(id_ce_extKeyUsage);
  const keyUsage = extension(id_ce_keyUsage);
  let isCa = false;
  let codeSigning = false;
  let digitalSignature = true;
  try {
    isCa = basic !== undefined && AsnConvert.parse(basic, BasicConstraints).cA;
    codeSigning = eku !== undefined && AsnConvert.parse(eku, ExtendedKeyUsage).includes(id_kp_codeSigning);
    if (keyUsage !== undefined) {
      // KeyUsage is a BIT STRING; asn1-x509 maps bit 0 (digitalSignature) to flag 1.
      digitalSignature = (AsnConvert.parse(keyUsage, KeyUsage).toNumber() & KeyUsageFlags.digitalSignature) !== 0;
    }
  } catch {
    fail('BadCertificate', 'malformed certificate extension');
  }
  return {
    der,
    fingerprint: toHex(sha256(der)),
    tbs: new Uint8Array(cert.tbsCertificateRaw as ArrayBuffer),
    signatureAlgorithm: cert.signatureAlgorithm.algorithm,
    signature: new Uint8Array(cert.signatureValue),
    issuer: toHex(new Uint8Array(AsnConvert.serialize(tbs.issuer))),
    subject: toHex(new Uint8Array(AsnConvert.serialize(tbs.subject))),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    publicKey: parseSpki(new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo))),
    isCa,
    codeSigning,
    digitalSignature,
  };
}

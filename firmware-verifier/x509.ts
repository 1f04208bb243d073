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
  // The parts outside the signed TBS must be exactly their canonical DER, or one certificate has many
  // encodings that all verify (found by fuzzing: non-zero "unused bits" in the signature BIT STRING, and a
  // signatureAlgorithm SEQUENCE with a wrong length that a lenient parser still read). So the certificate
  // must end with: the TBS as signed, the TBS's own signature AlgorithmIdentifier, the signature BIT STRING.
  // [RFC 5280 4.1.1.2, X.690 10.2, 11.2]
  const tbsRaw = new Uint8Array(cert.tbsCertificateRaw as ArrayBuffer);
  const algorithm = new Uint8Array(AsnConvert.serialize(tbs.signature));
  const signatureBits = new Uint8Array(AsnConvert.serialize(new BitString(cert.signatureValue)));
  const tail = new Uint8Array(tbsRaw.length + algorithm.length + signatureBits.length);
  tail.set(tbsRaw, 0);
  tail.set(algorithm, tbsRaw.length);
  tail.set(signatureBits, tbsRaw.length + algorithm.length);
  check(equalBytes(der.subarray(Math.max(0, der.length - tail.length)), tail), 'BadCertificate', 'certificate is not canonical DER outside its signed part');
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
    tbs: tbsRaw,
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

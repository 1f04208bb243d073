/**
 * Builds X.509 v3 certificates whose signature comes from a {@link SigningKey}, so the
 * issuing key can live in any backend (encrypted file, PKCS#11) and never leaves it.
 * Used by the development test CA and by the per-account internal CA.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name as AsnName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_ce_subjectAltName,
  GeneralName,
  SubjectAlternativeName,
  type KeyUsageType,
} from '@peculiar/asn1-x509';
import { dnToDer } from './distinguished-name.js';
import type { HashAlgorithm, KeyType, SigningKey } from './key-backend.types.js';
import { NODE_HASH_NAME } from './signature-encoding.js';

/** id-kp-codeSigning. [RFC 5280 §4.2.1.12] */
export const OID_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
/** anyExtendedKeyUsage. [RFC 5280 §4.2.1.12] */
export const OID_ANY_EKU = '2.5.29.37.0';

/** What to put in a certificate. */
export interface CertificateSpec {
  /** Distinguished name, e.g. `CN=Firmware signing, O=Example`. */
  subject: string;
  /** Subject public key, DER SubjectPublicKeyInfo. */
  publicKeySpki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Present for CA certificates (basicConstraints cA=TRUE, critical). */
  ca?: { pathLength?: number };
  keyUsage: readonly KeyUsageType[];
  /** EKU OIDs; omitted when empty. */
  extendedKeyUsage?: readonly string[];
  /** subjectAltName entries (TLS server certificates: the names and addresses clients dial). */
  subjectAltNames?: { dns?: readonly string[]; ip?: readonly string[] };
}

/** Who signs: the issuer's key and DER name. Omit `nameDer` for a self-signed certificate. */
export interface CertificateIssuer {
  key: SigningKey;
  /** Issuer Name, DER (the issuer certificate's subject). */
  nameDer?: Uint8Array;
}

/** Signature algorithm used by an issuing key (hash fixed per key type). */
export function signatureAlgorithmFor(keyType: KeyType): { oid: string; hash: HashAlgorithm | null; nullParams: boolean } {
  switch (keyType) {
    case 'EC_prime256v1': return { oid: '1.2.840.10045.4.3.2', hash: 'SHA256', nullParams: false }; // ecdsa-with-SHA256
    case 'EC_secp384r1': return { oid: '1.2.840.10045.4.3.3', hash: 'SHA384', nullParams: false }; // ecdsa-with-SHA384
    case 'RSA_2048':
    case 'RSA_3072': return { oid: '1.2.840.113549.1.1.11', hash: 'SHA256', nullParams: true }; // sha256WithRSAEncryption
    case 'RSA_4096': return { oid: '1.2.840.113549.1.1.12', hash: 'SHA384', nullParams: true }; // sha384WithRSAEncryption
    case 'ED25519': return { oid: '1.3.101.112', hash: null, nullParams: false }; // Ed25519 [RFC 8410]
  }
}

/** Parses a DN string into DER Name. */
export function nameToDer(dn: string): Uint8Array {
  return dnToDer(dn);
}

/** SHA-1 of the subjectPublicKey BIT STRING contents. [RFC 5280 §4.2.1.2 method (1)] */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
}

function ext(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** A positive 16-byte serial number. [RFC 5280 §4.1.2.2: ≤ 20 octets, positive] */
function serial(): ArrayBuffer {
  const s = randomBytes(16);
  s[0] = ((s[0] as number) & 0x7f) | 0x01;
  return s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength);
}

/** Builds and signs a certificate; returns DER. */
export async function buildCertificate(spec: CertificateSpec, issuer: CertificateIssuer): Promise<Uint8Array> {
  const subjectDer = nameToDer(spec.subject);
  const issuerDer = issuer.nameDer ?? subjectDer;
  const alg = signatureAlgorithmFor(issuer.key.keyType);
  const sigAlg = new AlgorithmIdentifier({ algorithm: alg.oid, parameters: alg.nullParams ? new Uint8Array([0x05, 0x00]).buffer : null });
  let flags = 0;
  for (const u of spec.keyUsage) flags |= KeyUsageFlags[u === 'crlSign' ? 'cRLSign' : u];
  const extensions = [
    ext(id_ce_basicConstraints, true, new BasicConstraints(spec.ca ? { cA: true, ...(spec.ca.pathLength !== undefined ? { pathLenConstraint: spec.ca.pathLength } : {}) } : { cA: false })),
    ext(id_ce_keyUsage, true, new KeyUsage(flags)),
    ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(spec.publicKeySpki))),
    ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuer.key.publicKeySpki)) })),
  ];
  const san = [
    ...(spec.subjectAltNames?.dns ?? []).map((dNSName) => new GeneralName({ dNSName })),
    ...(spec.subjectAltNames?.ip ?? []).map((ip) => new GeneralName({ iPAddress: ip })),
  ];
  if (san.length > 0) extensions.push(ext(id_ce_subjectAltName, false, new SubjectAlternativeName(san)));
  if (spec.extendedKeyUsage && spec.extendedKeyUsage.length > 0) extensions.push(ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage([...spec.extendedKeyUsage])));
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial(),
    signature: sigAlg,
    issuer: AsnConvert.parse(issuerDer, AsnName),
    validity: new Validity({ notBefore: spec.notBefore, notAfter: spec.notAfter }),
    subject: AsnConvert.parse(subjectDer, AsnName),
    subjectPublicKeyInfo: AsnConvert.parse(spec.publicKeySpki, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = alg.hash === null
    ? await issuer.key.signMessage(tbsDer)
    : await issuer.key.signDigest(new Uint8Array(createHash(NODE_HASH_NAME[alg.hash]).update(tbsDer).digest()), { hash: alg.hash, rsaPadding: 'pkcs1' });
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sigAlg, signatureValue: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength) as ArrayBuffer });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** Subject Name of a DER certificate, DER (byte for byte, so a child's issuer equals it exactly). */
export function subjectNameDer(certDer: Uint8Array): Uint8Array {
  const c = AsnConvert.parse(certDer, Certificate);
  return new Uint8Array(AsnConvert.serialize(c.tbsCertificate.subject));
}

/** DER → PEM. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/**
 * Parsing and checking code-signing certificates and private keys on import.
 *
 * Checks (each a typed {@link KeysError}, message free of key material):
 * PEM only; issuer not empty; currently valid; algorithm RSA ≥ 2048 (2048/3072/4096),
 * ECDSA P-256/P-384 or Ed25519; key usage, when present, includes digitalSignature; EKU
 * present and containing codeSigning or anyExtendedKeyUsage [AWS Signer: "Invalid EKU in
 * Certificate. Valid EKU values are CodeSigning or ANY."]; the private key is unencrypted
 * and matches the certificate; the certificate is not a CA (basicConstraints CA:TRUE or
 * keyCertSign); a supplied chain holds at most 10 certificates / 64 KiB and certifies the certificate.
 */
import { createPrivateKey, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate as AsnCertificate,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import { formatName } from './distinguished-name.js';
import { KeysError } from './errors.js';
import type { KeyType } from './key-backend.types.js';
import { keyTypeOf } from './signature-encoding.js';
import { OID_ANY_EKU, OID_CODE_SIGNING } from './certificate-builder.js';

/** AWS Signer's message for a certificate without a code-signing EKU (live service). */
export const INVALID_EKU_MESSAGE = 'Invalid EKU in Certificate. Valid EKU values are CodeSigning or ANY.';

/** ACM KeyUsageName values, by X.509 flag. */
const KEY_USAGE_NAMES: readonly [number, string][] = [
  [KeyUsageFlags.digitalSignature, 'DIGITAL_SIGNATURE'],
  [KeyUsageFlags.nonRepudiation, 'NON_REPUDIATION'],
  [KeyUsageFlags.keyEncipherment, 'KEY_ENCIPHERMENT'],
  [KeyUsageFlags.dataEncipherment, 'DATA_ENCIPHERMENT'],
  [KeyUsageFlags.keyAgreement, 'KEY_AGREEMENT'],
  [KeyUsageFlags.keyCertSign, 'CERTIFICATE_SIGNING'],
  [KeyUsageFlags.cRLSign, 'CRL_SIGNING'],
  [KeyUsageFlags.encipherOnly, 'ENCIPHER_ONLY'],
  [KeyUsageFlags.decipherOnly, 'DECIPHER_ONLY'],
];

/** ACM ExtendedKeyUsageName values, by OID. */
const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'TLS_WEB_SERVER_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.2': 'TLS_WEB_CLIENT_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.3': 'CODE_SIGNING',
  '1.3.6.1.5.5.7.3.4': 'EMAIL_PROTECTION',
  '1.3.6.1.5.5.7.3.5': 'IPSEC_END_SYSTEM',
  '1.3.6.1.5.5.7.3.6': 'IPSEC_TUNNEL',
  '1.3.6.1.5.5.7.3.7': 'IPSEC_USER',
  '1.3.6.1.5.5.7.3.8': 'TIME_STAMPING',
  '1.3.6.1.5.5.7.3.9': 'OCSP_SIGNING',
  '2.5.29.37.0': 'ANY',
};

/** ACM-style names of signature algorithms, by OID. */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'SHA1WITHRSA',
  '1.2.840.113549.1.1.11': 'SHA256WITHRSA',
  '1.2.840.113549.1.1.12': 'SHA384WITHRSA',
  '1.2.840.113549.1.1.13': 'SHA512WITHRSA',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.10045.4.1': 'SHA1WITHECDSA',
  '1.2.840.10045.4.3.2': 'SHA256WITHECDSA',
  '1.2.840.10045.4.3.3': 'SHA384WITHECDSA',
  '1.2.840.10045.4.3.4': 'SHA512WITHECDSA',
  '1.3.101.112': 'ED25519',
};

/** Public facts about a certificate, in the forms ACM reports them. */
export interface CertificateFacts {
  keyType: KeyType;
  subject: string;
  issuer: string;
  /** Colon-separated lowercase hex, as ACM shows it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** CN, else the first DNS SAN, else undefined. */
  domainName: string | undefined;
  subjectAlternativeNames: string[];
  /** undefined when the extension is absent. */
  keyUsages: string[] | undefined;
  extendedKeyUsages: { Name: string; OID: string }[] | undefined;
  signatureAlgorithm: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

/**
 * Splits PEM text into DER certificates.
 * @param what - names the field in error messages ("certificate", "certificate chain")
 */
export function parsePemCertificates(pem: string, what: string): Uint8Array[] {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new KeysError(what === 'certificate' ? 'CERT_MALFORMED' : 'CERT_CHAIN', `The ${what} must be PEM-encoded (-----BEGIN CERTIFICATE-----).`);
  }
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(PEM_CERT)) {
    const der = new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
    try {
      new NodeX509(der);
    } catch {
      throw new KeysError(what === 'certificate' ? 'CERT_MALFORMED' : 'CERT_CHAIN', `The ${what} contains a block that is not a valid X.509 certificate.`);
    }
    out.push(der);
  }
  if (out.length === 0) throw new KeysError(what === 'certificate' ? 'CERT_MALFORMED' : 'CERT_CHAIN', `The ${what} contains no complete PEM certificate.`);
  return out;
}

/** Parses an unencrypted PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC). */
export function parsePrivateKeyPem(pem: string): KeyObject {
  if (typeof pem !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new KeysError('KEY_MALFORMED', 'The private key must be PEM-encoded (-----BEGIN PRIVATE KEY-----).');
  }
  if (pem.includes('ENCRYPTED PRIVATE KEY') || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw new KeysError('KEY_ENCRYPTED', 'The private key must be unencrypted; remove the passphrase before importing.');
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // OpenSSL's message is not forwarded: it can echo input.
    throw new KeysError('KEY_MALFORMED', 'The private key could not be parsed.');
  }
}

function colonHex(hexUpper: string): string {
  const h = hexUpper.toLowerCase().padStart(hexUpper.length + (hexUpper.length % 2), '0');
  return h.match(/.{2}/g)?.join(':') ?? h;
}

/** Reads the ACM-visible facts of a DER certificate (no checks beyond parsing). */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  let node: NodeX509;
  let asn: AsnCertificate;
  try {
    node = new NodeX509(der);
    asn = AsnConvert.parse(der, AsnCertificate);
  } catch {
    throw new KeysError('CERT_MALFORMED', 'The certificate is not a valid X.509 certificate.');
  }
  const keyType = keyTypeOf(node.publicKey);
  const tbs = asn.tbsCertificate;
  let keyUsages: string[] | undefined;
  let extendedKeyUsages: { Name: string; OID: string }[] | undefined;
  for (const e of tbs.extensions ?? []) {
    const value = e.extnValue.buffer;
    if (e.extnID === id_ce_keyUsage) {
      const flags = AsnConvert.parse(value, KeyUsage).toNumber();
      keyUsages = KEY_USAGE_NAMES.filter(([f]) => (flags & f) !== 0).map(([, n]) => n);
    } else if (e.extnID === id_ce_extKeyUsage) {
      extendedKeyUsages = [...AsnConvert.parse(value, ExtendedKeyUsage)].map((oid) => ({ Name: EKU_NAMES[oid] ?? 'CUSTOM', OID: oid }));
    }
  }
  const sans = (node.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const cnAtv = tbs.subject.flatMap((rdn) => [...rdn]).find((atv) => atv.type === '2.5.4.3');
  const cn = cnAtv?.value.toString();
  return {
    keyType,
    subject: formatName(tbs.subject),
    issuer: formatName(tbs.issuer),
    serial: colonHex(node.serialNumber),
    notBefore: new Date(node.validFrom),
    notAfter: new Date(node.validTo),
    domainName: cn ?? sans[0],
    subjectAlternativeNames: sans.length > 0 ? sans : cn ? [cn] : [],
    keyUsages,
    extendedKeyUsages,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[asn.signatureAlgorithm.algorithm] ?? 'UNKNOWN',
  };
}

/** What {@link checkCodeSigningImport} returns. */
export interface CheckedImport {
  facts: CertificateFacts;
  leafDer: Uint8Array;
  /** Chain ordered from the issuer upward (unused extra certificates appended). */
  chainDer: Uint8Array[];
}

/** Most certificates a chain may hold (real code-signing paths are 1–3 deep). */
export const MAX_CHAIN_CERTIFICATES = 10;
/** Most bytes of PEM a chain may take. */
export const MAX_CHAIN_PEM_BYTES = 65_536;

/** Bounds a chain before any of it is parsed: the issuer search below is quadratic in its length. */
function checkChainBounds(chainPem: string): void {
  const bytes = Buffer.byteLength(chainPem);
  if (bytes > MAX_CHAIN_PEM_BYTES) {
    throw new KeysError('CERT_CHAIN', `The certificate chain is ${bytes} bytes; at most ${MAX_CHAIN_PEM_BYTES} are accepted.`);
  }
  const count = chainPem.split('-----BEGIN CERTIFICATE-----').length - 1;
  if (count > MAX_CHAIN_CERTIFICATES) {
    throw new KeysError('CERT_CHAIN', `The certificate chain holds ${count} certificates; at most ${MAX_CHAIN_CERTIFICATES} are accepted.`);
  }
}

/**
 * Runs every import check on a certificate, its private key and optional chain.
 * @param now - the clock for the validity check
 */
export function checkCodeSigningImport(input: { certificatePem: string; privateKey: KeyObject; chainPem?: string | undefined }, now: Date): CheckedImport {
  const certs = parsePemCertificates(input.certificatePem, 'certificate');
  if (certs.length !== 1) throw new KeysError('CERT_MALFORMED', 'The certificate field must hold exactly one certificate; put issuers in the certificate chain.');
  const leafDer = certs[0] as Uint8Array;
  const facts = certificateFacts(leafDer);
  const leaf = new NodeX509(leafDer);
  if (facts.issuer.trim() === '') throw new KeysError('CERT_MALFORMED', 'The certificate\'s Issuer field must not be empty.');
  if (now < facts.notBefore) throw new KeysError('CERT_NOT_YET_VALID', `The certificate is not valid before ${facts.notBefore.toISOString()}.`);
  if (now > facts.notAfter) throw new KeysError('CERT_EXPIRED', `The certificate expired at ${facts.notAfter.toISOString()}.`);
  // keyTypeOf above already refused RSA < 2048, other curves and other algorithms.
  if (facts.keyUsages !== undefined && !facts.keyUsages.includes('DIGITAL_SIGNATURE')) {
    throw new KeysError('CERT_KEY_USAGE', 'Invalid key usage in Certificate. The key usage must include DigitalSignature.');
  }
  // A CA's key can mint certificates: it is not signing material (docs/keys.md, docs/security.md).
  if (assertsCa(leafDer) || (facts.keyUsages ?? []).includes('CERTIFICATE_SIGNING')) {
    throw new KeysError(
      'CERT_IS_CA',
      'A CA certificate (basicConstraints CA:TRUE or keyCertSign) cannot be imported as signing material; import a code-signing certificate it issued.',
    );
  }
  const ekuOids = (facts.extendedKeyUsages ?? []).map((e) => e.OID);
  if (!ekuOids.includes(OID_CODE_SIGNING) && !ekuOids.includes(OID_ANY_EKU)) throw new KeysError('CERT_EKU', INVALID_EKU_MESSAGE);

  const keyType = keyTypeOf(input.privateKey);
  if (keyType !== facts.keyType || !leaf.checkPrivateKey(input.privateKey)) {
    throw new KeysError('KEY_MISMATCH', 'The private key does not match the public key in the certificate.');
  }

  const chainDer: Uint8Array[] = [];
  if (input.chainPem !== undefined && input.chainPem.trim() !== '') {
    checkChainBounds(input.chainPem);
    const pool = parsePemCertificates(input.chainPem, 'certificate chain').map((d) => ({ der: d, x: new NodeX509(d) }));
    let cur = leaf;
    for (;;) {
      const i = pool.findIndex((c) => cur.checkIssued(c.x) && safeVerify(cur, c.x));
      if (i < 0) break;
      const [next] = pool.splice(i, 1);
      if (!next) break;
      chainDer.push(next.der);
      cur = next.x;
      if (cur.checkIssued(cur)) break; // reached a self-signed root
    }
    if (chainDer.length === 0) {
      throw new KeysError('CERT_CHAIN', 'The certificate chain does not contain the certificate\'s issuer (issuer name and signature must match).');
    }
    for (const rest of pool) chainDer.push(rest.der);
  }
  return { facts, leafDer, chainDer };
}

/**
 * Whether basicConstraints says cA=TRUE. Node's `X509Certificate.ca` is OpenSSL's X509_check_ca,
 * which answers false for CA:TRUE without keyCertSign; the extension itself is what we refuse.
 */
function assertsCa(der: Uint8Array): boolean {
  const asn = AsnConvert.parse(der, AsnCertificate);
  const ext = (asn.tbsCertificate.extensions ?? []).find((e) => e.extnID === id_ce_basicConstraints);
  return ext !== undefined && AsnConvert.parse(ext.extnValue.buffer, BasicConstraints).cA === true;
}

function safeVerify(child: NodeX509, issuer: NodeX509): boolean {
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Attribute, ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { Certificate, DirectoryString, Time } from '@peculiar/asn1-x509';
import { sha384 } from '@noble/hashes/sha2.js';
import { equalBytes, toHex } from '../bytes.js';
import { verifyChain } from '../chain.js';
import type { FormatEngine } from '../format-engine.types.js';
import { createHasher } from '../hash.js';
import { DEFAULT_MAX_IMAGE_SIZE, HASH_STATE_BYTES, VERIFIER_OVERHEAD_BYTES } from '../limits.js';
import { derFromPemOrDer } from '../pem.js';
import type { VerifyInfo } from '../result.types.js';
import { verifySignature } from '../signature.js';
import type { TrustStore } from '../trust-store.js';
import { check, fail } from '../verification-failure.js';
import { parseCertificate, type ParsedCertificate } from '../x509.js';
import { createZipWalker, ZIP } from './zip-walker.js';

/**
 * AWS Lambda signed-zip wire constants (reference/notes/lambda-code-signing.md: a detached CMS
 * SignedData in `META_INF/aws_signer_signature_v1.0.SF`, ECDSA P-384 / SHA-384, AWS Signer private
 * signed attributes), defined once.
 */
export const LAMBDA = Object.freeze({
  SIGNATURE_ENTRY: 'META_INF/aws_signer_signature_v1.0.SF',
  OID_DATA: '1.2.840.113549.1.7.1',
  OID_SIGNED_DATA: '1.2.840.113549.1.7.2',
  OID_SHA384: '2.16.840.1.101.3.4.2.2',
  OID_ECDSA_SHA384: '1.2.840.10045.4.3.3',
  OID_CONTENT_TYPE: '1.2.840.113549.1.9.3',
  OID_MESSAGE_DIGEST: '1.2.840.113549.1.9.4',
  OID_SIGNING_TIME: '1.2.840.113549.1.9.5',
  OID_SIGNING_JOB_ARN: '1.3.187.137.1.2',
  OID_SIGNATURE_EXPIRY: '1.3.187.137.1.3',
  OID_PROFILE_VERSION_ARN: '1.3.187.137.1.4',
  /** Largest signature entry buffered (a PEM CMS with a leaf and a root is ~4 KiB). */
  MAX_SIGNATURE_ENTRY: 16 * 1024,
  /** fflate's inflate window and state, counted in the working-memory bound. */
  INFLATE_STATE_BYTES: 34 * 1024,
});

/** Options of the `lambda-zip` format: the checks Lambda runs at deployment (integrity, expiry, mismatch, revocation). */
export interface LambdaZipOptions {
  /** Check instant for the signature expiry (default now). Certificates are checked at the signing time. */
  readonly at?: Date;
  /** Code signing configuration `AllowedPublishers.SigningProfileVersionArns`; absent = any. */
  readonly allowedProfileVersionArns?: readonly string[];
  /** Largest package accepted, in bytes. Default 64 MiB. */
  readonly maxImageSize?: number;
}

const SIGNATURE_NAME = new TextEncoder().encode(LAMBDA.SIGNATURE_ENTRY);
/** DER of OBJECT IDENTIFIER id-data (1.2.840.113549.1.7.1), the only content type allowed. */
const ID_DATA_DER = Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);

interface Claims {
  readonly jobArn: string;
  readonly profileArn: string;
  readonly signingTime: Date;
  readonly expiresAt: Date;
}

/** The single value of signed attribute `oid`, or undefined. */
function attribute(attrs: readonly Attribute[], oid: string): ArrayBuffer | undefined {
  const found = attrs.filter((a) => a.attrType === oid);
  check(found.length <= 1 && (found[0]?.attrValues.length ?? 1) === 1, 'BadEnvelope', 'signed attribute repeated');
  return found[0]?.attrValues[0];
}

function parse<T>(value: ArrayBuffer | undefined, type: new () => T, what: string): T {
  check(value !== undefined, 'BadEnvelope', `missing signed attribute ${what}`);
  try {
    return AsnConvert.parse(value, type);
  } catch {
    fail('BadEnvelope', `malformed signed attribute ${what}`);
  }
}

/**
 * Streaming verification of a Lambda deployment package signed by AWS Signer
 * (`AWSLambda-SHA384-ECDSA`), in Lambda's order: integrity (the CMS messageDigest equals
 * SHA-384(SHA-384(name ‖ body …)) over every entry but the signature, the ECDSA P-384 signature
 * over the signed attributes verifies with the signer certificate, whose chain reaches
 * `trust.roots` at the signing time), expiry, mismatch (allowed profile versions), revocation
 * (certificates, profile version and job ARNs). Holds one local header and name, the inflate
 * window, the hash state and the (≤ 16 KiB) signature entry.
 */
export function createLambdaZipEngine(trust: TrustStore, options: LambdaZipOptions = {}): FormatEngine {
  const maxSize = options.maxImageSize ?? DEFAULT_MAX_IMAGE_SIZE;
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new RangeError('maxImageSize must be a positive integer');
  const content = createHasher('sha384');
  const signatureParts: Uint8Array[] = [];
  let signatureLength = 0;
  let signatureEntries = 0;
  let inSignature = false;
  const walker = createZipWalker({
    entry(name) {
      inSignature = equalBytes(name, SIGNATURE_NAME);
      if (inSignature) signatureEntries++;
      else content.update(name);
    },
    body(bytes) {
      if (!inSignature) {
        content.update(bytes);
        return;
      }
      signatureLength += bytes.length;
      check(signatureLength <= LAMBDA.MAX_SIGNATURE_ENTRY, 'Oversize', 'signature entry too large');
      signatureParts.push(Uint8Array.from(bytes));
    },
  });

  const readCms = (): { signed: SignedData; attributes: Attribute[]; attrs: Uint8Array } => {
    const pem = String.fromCharCode(...signatureParts.flatMap((p) => [...p]));
    let der: Uint8Array;
    try {
      der = derFromPemOrDer(pem, ['PKCS7']);
    } catch {
      fail('BadEnvelope', 'signature entry is not a PEM PKCS7 block');
    }
    let info: ContentInfo;
    let signed: SignedData;
    try {
      info = AsnConvert.parse(der, ContentInfo);
      signed = AsnConvert.parse(info.content, SignedData);
    } catch {
      fail('BadEnvelope', 'malformed CMS SignedData');
    }
    check(info.contentType === LAMBDA.OID_SIGNED_DATA, 'BadEnvelope', 'not a CMS SignedData');
    check(signed.signerInfos.length === 1, 'BadEnvelope', 'exactly one SignerInfo expected');
    const attributes = (signed.signerInfos[0] as SignedData['signerInfos'][number]).signedAttrs;
    check(attributes !== undefined && attributes.length > 0, 'BadEnvelope', 'no signed attributes');
    // [RFC 5652 5.4] the signature covers the DER of the attributes as a SET (tag 0x31), not [0] IMPLICIT;
    // re-encoded in received order, which is what the signer encoded and signed.
    return { signed, attributes, attrs: derSet(attributes.map((a) => new Uint8Array(AsnConvert.serialize(a)))) };
  };

  const finish = (size: number): VerifyInfo => {
    check(walker.done, 'Truncated', 'package ends before its central directory');
    check(signatureEntries > 0, 'MissingSignature', 'package is not signed');
    check(signatureEntries === 1, 'BadEnvelope', 'several signature entries');
    check(trust.roots.length > 0, 'NoTrustAnchor', 'no trusted roots provisioned');
    const { signed, attributes: signedAttrs, attrs } = readCms();
    const signer = signed.signerInfos[0] as SignedData['signerInfos'][number];
    check(signer.digestAlgorithm.algorithm === LAMBDA.OID_SHA384, 'UnsupportedAlgorithm', 'digest algorithm is not SHA-384');
    check(signer.signatureAlgorithm.algorithm === LAMBDA.OID_ECDSA_SHA384, 'UnsupportedAlgorithm', 'signature algorithm is not ecdsa-with-SHA384');
    const contentType = attribute(signedAttrs, LAMBDA.OID_CONTENT_TYPE);
    check(contentType !== undefined && equalBytes(new Uint8Array(contentType), ID_DATA_DER), 'BadEnvelope', 'contentType is not id-data');

    // Integrity [lambda-code-signing.md]: messageDigest = SHA-384(SHA-384(name1 ‖ body1 ‖ …)).
    const contentDigest = sha384(content.digest());
    const messageDigest = new Uint8Array(parse(attribute(signedAttrs, LAMBDA.OID_MESSAGE_DIGEST), OctetString, 'messageDigest').buffer);
    check(equalBytes(messageDigest, contentDigest), 'HashMismatch', 'package contents differ from the signed digest');

    const certificates = (signed.certificates ?? [])
      .filter((c) => c.certificate !== undefined)
      .map((c) => parseCertificate(new Uint8Array(AsnConvert.serialize(c.certificate as Certificate))));
    const sid = signer.sid.issuerAndSerialNumber;
    const leaf = certificates.find((c) => {
      const cert = AsnConvert.parse(c.der, Certificate).tbsCertificate;
      return sid !== undefined && equalBytes(new Uint8Array(cert.serialNumber), new Uint8Array(sid.serialNumber)) && c.issuer === toHex(new Uint8Array(AsnConvert.serialize(sid.issuer)));
    });
    check(leaf !== undefined, 'BadEnvelope', 'no certificate matches the signer identifier');
    check(leaf.publicKey.kind === 'ecdsa-p384', 'UnsupportedAlgorithm', 'signer key is not P-384');
    check(verifySignature(leaf.publicKey, { kind: 'ecdsa', encoding: 'der' }, sha384(attrs), new Uint8Array(signer.signature.buffer)), 'SignatureInvalid', 'CMS signature');

    const claims = readClaims(signedAttrs);
    verifyChain(leaf, certificates.filter((c) => c !== leaf), trust.roots, trust.revocation, { allowSha1: false, requireCodeSigning: true, at: claims.signingTime });
    const allowed = options.allowedProfileVersionArns;
    check(allowed === undefined || allowed.includes(claims.profileArn), 'UntrustedSigner', 'signing profile version not allowed');
    check((options.at ?? new Date()).getTime() <= claims.expiresAt.getTime(), 'Expired', 'signature expired');
    check(!trust.revocation.isRevoked('signer', claims.profileArn) && !trust.revocation.isRevoked('signer', claims.jobArn), 'Revoked', 'signing profile version or job revoked');
    return {
      format: 'lambda-zip',
      size,
      digest: toHex(contentDigest),
      keyId: leaf.publicKey.id,
      certificate: leaf.fingerprint,
      signer: { jobArn: claims.jobArn, profileVersionArn: claims.profileArn, signingTime: claims.signingTime, expiresAt: claims.expiresAt },
      certificates: certificates.map((c) => c.der),
    };
  };

  return {
    update(chunk: Uint8Array, start: number): void {
      check(start + chunk.length <= maxSize, 'Oversize', 'package larger than the limit');
      walker.update(chunk);
    },
    finish,
    workingMemory: ZIP.CENTRAL_HEADER_SIZE + ZIP.MAX_NAME + LAMBDA.INFLATE_STATE_BYTES + LAMBDA.MAX_SIGNATURE_ENTRY + 3 * HASH_STATE_BYTES + VERIFIER_OVERHEAD_BYTES,
  };
}

/** DER `SET` (0x31) around already-encoded members. */
function derSet(members: readonly Uint8Array[]): Uint8Array {
  const length = members.reduce((n, m) => n + m.length, 0);
  const lengthBytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) lengthBytes.unshift(l & 0xff);
  const header = length < 0x80 ? [0x31, length] : [0x31, 0x80 | lengthBytes.length, ...lengthBytes];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const m of members) {
    out.set(m, offset);
    offset += m.length;
  }
  return out;
}

function readClaims(attrs: readonly Attribute[]): Claims {
  const text = (oid: string, what: string): string => {
    const value = parse(attribute(attrs, oid), DirectoryString, what).utf8String;
    check(typeof value === 'string', 'BadEnvelope', `${what} is not a UTF8String`);
    return value;
  };
  return {
    jobArn: text(LAMBDA.OID_SIGNING_JOB_ARN, 'signing job ARN'),
    profileArn: text(LAMBDA.OID_PROFILE_VERSION_ARN, 'profile version ARN'),
    signingTime: parse(attribute(attrs, LAMBDA.OID_SIGNING_TIME), Time, 'signingTime').getTime(),
    expiresAt: parse(attribute(attrs, LAMBDA.OID_SIGNATURE_EXPIRY), Time, 'signature expiry').getTime(),
  };
}

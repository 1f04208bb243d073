/**
 * The detached CMS SignedData (RFC 5652) inside a signed Lambda package, and the names around it.
 * Layout as observed in AWS Signer output (reference/notes/lambda-code-signing.md — one public source,
 * unverified against AWS): PEM `PKCS7`, SignedData v1, SHA-384, ecdsa-with-SHA384, certificates leaf…root,
 * one SignerInfo (issuerAndSerialNumber) whose signed attributes carry the job ARN, the expiry and the
 * profile version ARN under private OIDs.
 */
import { createHash } from 'node:crypto';
import { TAG, children, content, generalizedTime, oid, raw, readNode, setOf, smallInt, tlv, utf8 } from './der.js';

/** Zip entry holding the signature. */
export const SIGNATURE_ENTRY = 'META_INF/aws_signer_signature_v1.0.SF';
/** Directory entry added before it when the package lacks one (underscore, not `META-INF`). */
export const SIGNATURE_DIRECTORY = 'META_INF/';
/** PEM label of the signature file. */
export const PEM_LABEL = 'PKCS7';

/** Object identifiers. */
export const OID = Object.freeze({
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  sha384: '2.16.840.1.101.3.4.2.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  cmsAlgorithmProtection: '1.2.840.113549.1.9.52',
  /** AWS Signer private attributes */
  signingJobArn: '1.3.187.137.1.2',
  signatureExpiry: '1.3.187.137.1.3',
  signingProfileVersionArn: '1.3.187.137.1.4',
});

/** The claims the signed attributes carry. */
export interface LambdaClaims {
  signingJobArn: string;
  signingProfileVersionArn: string;
  signingTime: Date;
  signatureExpiresAt: Date;
}

const algorithm = (dotted: string) => tlv(TAG.SEQUENCE, oid(dotted));
const attribute = (type: string, value: Uint8Array) => tlv(TAG.SEQUENCE, oid(type), tlv(TAG.SET, value));

/**
 * The signed attributes as a DER `SET OF` (tag 0x31): what the signature covers (RFC 5652 §5.4).
 * `contentDigest` is the CMS content (the 48-byte hash of the package); messageDigest is its SHA-384.
 */
export function encodeSignedAttributes(contentDigest: Uint8Array, claims: LambdaClaims): Uint8Array {
  const messageDigest = createHash('sha384').update(contentDigest).digest();
  return setOf(TAG.SET, [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, tlv(TAG.OCTET_STRING, messageDigest)),
    attribute(OID.signingTime, generalizedTime(claims.signingTime)),
    attribute(OID.signatureExpiry, generalizedTime(claims.signatureExpiresAt)),
    attribute(OID.signingJobArn, utf8(claims.signingJobArn)),
    attribute(OID.signingProfileVersionArn, utf8(claims.signingProfileVersionArn)),
    // RFC 6211: binds the digest and signature algorithms into what is signed
    attribute(OID.cmsAlgorithmProtection, tlv(TAG.SEQUENCE, algorithm(OID.sha384), tlv(TAG.CONTEXT_1, oid(OID.ecdsaWithSha384)))),
  ]);
}

/**
 * The ContentInfo(SignedData) DER: detached id-data content, the certificate chain, one SignerInfo.
 * `signedAttributes` is the output of {@link encodeSignedAttributes}; `signature` the DER ECDSA value over it.
 */
export function encodeSignedData(signedAttributes: Uint8Array, signature: Uint8Array, certificateChain: readonly Uint8Array[]): Uint8Array {
  const leaf = certificateChain[0];
  if (leaf === undefined) throw new RangeError('a certificate chain is needed');
  const { issuer, serial } = issuerAndSerial(leaf);
  const attrsNode = readNode(signedAttributes, 0);
  const signerInfo = tlv(
    TAG.SEQUENCE,
    smallInt(1),
    tlv(TAG.SEQUENCE, issuer, serial),
    algorithm(OID.sha384),
    tlv(TAG.CONTEXT_0, content(signedAttributes, attrsNode)), // [0] IMPLICIT SET OF Attribute
    algorithm(OID.ecdsaWithSha384),
    tlv(TAG.OCTET_STRING, signature),
  );
  const signedData = tlv(
    TAG.SEQUENCE,
    smallInt(1),
    tlv(TAG.SET, algorithm(OID.sha384)),
    tlv(TAG.SEQUENCE, oid(OID.data)),
    setOf(TAG.CONTEXT_0, [...certificateChain]),
    tlv(TAG.SET, signerInfo),
  );
  return tlv(TAG.SEQUENCE, oid(OID.signedData), tlv(TAG.CONTEXT_0, signedData));
}

/** PEM text of a DER value (64-character lines). */
export function toPem(der: Uint8Array, label = PEM_LABEL): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The issuer Name and serialNumber INTEGER (whole encodings) of a DER certificate. */
function issuerAndSerial(certificate: Uint8Array): { issuer: Uint8Array; serial: Uint8Array } {
  const tbs = children(certificate, readNode(certificate, 0))[0];
  if (tbs === undefined) throw new RangeError('certificate has no TBSCertificate');
  const fields = children(certificate, tbs);
  const offset = fields[0]?.tag === TAG.CONTEXT_0 ? 1 : 0; // [0] EXPLICIT version
  const serial = fields[offset];
  const issuer = fields[offset + 2];
  if (serial?.tag !== TAG.INTEGER || issuer?.tag !== TAG.SEQUENCE) throw new RangeError('certificate has no issuer/serial');
  return { issuer: raw(certificate, issuer), serial: raw(certificate, serial) };
}

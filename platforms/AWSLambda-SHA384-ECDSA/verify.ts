import { X509Certificate, createHash, verify as verifySignature } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { TAG, oid, readNode, content, tlv } from './der.js';
import { OID, SIGNATURE_ENTRY, attributeValue, decodeTime, issuerAndSerial, parseSignedData, type LambdaClaims } from './lambda-cms.js';
import { MAX_UNZIPPED_BYTES, digestEntries, readZipIndex } from './zip-stream.js';
import { LOCAL_FILE_HEADER_SIZE, METHOD } from './zip-format.js';

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
  | { ok: false; reason: string };

const MAX_SIGNATURE_FILE = 1024 * 1024;

/**
 * Checks a signed Lambda package the way a deploying Lambda checks integrity: the signature entry is a
 * detached CMS whose messageDigest matches the package's entries, whose ECDSA-SHA384 signature verifies
 * with the leaf certificate, and whose chain ends in one of `trustedRoots` (certificates valid at signing
 * time). Expiry is reported (`expired`), not judged: Lambda treats it as policy. Pure: no I/O, fails closed.
 */
export async function verifySignedLambdaZip(zip: Uint8Array, opts: LambdaVerifyOptions): Promise<LambdaVerifyResult> {
  try {
    const source = async function* () {
      yield zip;
    };
    const index = await readZipIndex(source(), zip.length);
    const signatureEntries = index.entries.filter((e) => Buffer.from(e.name).toString('utf8') === SIGNATURE_ENTRY);
    if (signatureEntries.length !== 1) return fail(signatureEntries.length === 0 ? 'package is not signed' : 'package has several signature entries');
    const entry = signatureEntries[0]!;
    if (entry.uncompressedSize > MAX_SIGNATURE_FILE) return fail('signature entry is too large');
    const b = Buffer.from(zip.buffer, zip.byteOffset, zip.length);
    const dataStart = entry.localHeaderOffset + LOCAL_FILE_HEADER_SIZE + b.readUInt16LE(entry.localHeaderOffset + 26) + b.readUInt16LE(entry.localHeaderOffset + 28);
    const stored = b.subarray(dataStart, dataStart + entry.compressedSize);
    const pemText = (entry.method === METHOD.DEFLATED ? inflateRawSync(stored, { maxOutputLength: MAX_SIGNATURE_FILE }) : stored).toString('latin1');
    const m = /-----BEGIN PKCS7-----([\s\S]+?)-----END PKCS7-----/.exec(pemText);
    if (m?.[1] === undefined) return fail('signature entry is not a PEM PKCS7 block');
    const cms = parseSignedData(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')));

    const sha384Alg = tlv(TAG.SEQUENCE, oid(OID.sha384));
    const ecdsaAlg = tlv(TAG.SEQUENCE, oid(OID.ecdsaWithSha384));
    if (!same(cms.digestAlgorithm, sha384Alg) && !same(cms.digestAlgorithm, tlv(TAG.SEQUENCE, oid(OID.sha384), tlv(TAG.NULL)))) return fail('digest algorithm is not SHA-384');
    if (!same(cms.signatureAlgorithm, ecdsaAlg)) return fail('signature algorithm is not ecdsa-with-SHA384');
    const contentType = attributeValue(cms, OID.contentType);
    if (contentType === undefined || !same(contentType, oid(OID.data))) return fail('contentType attribute is not id-data');

    const digest = await digestEntries(source(), index, { maxExpanded: MAX_UNZIPPED_BYTES, exclude: SIGNATURE_ENTRY });
    const expected = tlv(TAG.OCTET_STRING, createHash('sha384').update(digest.contentDigest).digest());
    const messageDigest = attributeValue(cms, OID.messageDigest);
    if (messageDigest === undefined || !same(messageDigest, expected)) return fail('package contents do not match the signed digest');

    const leaf = cms.certificates.find((c) => {
      try {
        const id = issuerAndSerial(c);
        return same(id.issuer, cms.issuer) && same(id.serial, cms.serial);
      } catch {
        return false;
      }
    });
    if (leaf === undefined) return fail('no certificate matches the signer identifier');
    const leafCert = new X509Certificate(Buffer.from(leaf));
    if (!verifySignature('sha384', cms.signedAttributes, leafCert.publicKey, cms.signature)) return fail('signature does not verify with the signer certificate');

    const claims = readClaims(cms);
    if (typeof claims === 'string') return fail(claims);
    const chainError = checkChain(leafCert, cms.certificates, opts.trustedRoots, claims.signingTime);
    if (chainError !== undefined) return fail(chainError);
    return { ok: true, claims, expired: (opts.now ?? new Date()) > claims.signatureExpiresAt, certificates: cms.certificates };
  } catch (e) {
    return fail(`malformed signed package: ${(e as Error).message}`);
  }
}

function readClaims(cms: ReturnType<typeof parseSignedData>): LambdaClaims | string {
  const text = (type: string) => {
    const v = attributeValue(cms, type);
    return v !== undefined && v[0] === TAG.UTF8_STRING ? Buffer.from(content(v, readNode(v, 0))).toString('utf8') : undefined;
  };
  const time = (type: string) => {
    const v = attributeValue(cms, type);
    return v === undefined ? undefined : decodeTime(v);
  };
  const signingJobArn = text(OID.signingJobArn);
  const signingProfileVersionArn = text(OID.signingProfileVersionArn);
  const signingTime = time(OID.signingTime);
  const signatureExpiresAt = time(OID.signatureExpiry);
  if (signingJobArn === undefined || signingProfileVersionArn === undefined || signingTime === undefined || signatureExpiresAt === undefined) {
    return 'signed attributes lack the job ARN, profile version ARN, signing time or expiry';
  }
  return { signingJobArn, signingProfileVersionArn, signingTime, signatureExpiresAt };
}

/** Walks leaf → issuer through the package's certificates until a trusted root; undefined when it reaches one. */
function checkChain(leaf: X509Certificate, certificates: Uint8Array[], roots: readonly Uint8Array[], at: Date): string | undefined {
  const trusted = roots.map((r) => new X509Certificate(Buffer.from(r)));
  const pool = [...certificates.map((c) => new X509Certificate(Buffer.from(c))), ...trusted];
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    if (at < new Date(current.validFrom) || at > new Date(current.validTo)) return `certificate ${current.subject} was not valid at signing time`;
    if (trusted.some((t) => t.raw.equals(current.raw))) return undefined;
    const issuer = pool.find((c) => !c.raw.equals(current.raw) && current.checkIssued(c) && current.verify(c.publicKey));
    if (issuer === undefined) return `certificate chain does not reach a trusted root (stuck at ${current.subject})`;
    current = issuer;
  }
  return 'certificate chain is too long';
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function fail(reason: string): LambdaVerifyResult {
  return { ok: false, reason };
}

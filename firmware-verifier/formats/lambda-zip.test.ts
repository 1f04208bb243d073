/**
 * Lambda signed-zip bad-input table (reference/notes/lambda-code-signing.md: integrity, expiry,
 * mismatch, revocation; RFC 5652 SignedData; PKWARE APPNOTE local headers). Packages are built
 * here with @peculiar/asn1-cms + node:crypto (TEST ONLY keys).
 */
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate, DirectoryString, SubjectKeyIdentifier, Time } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { createTrustStore, createVerifier, InMemoryRevocationList, LAMBDA, verify, type LambdaZipOptions, type ReasonCode, type TrustStore } from '../index.js';
import { issueTestChain, pemToDer, type TestChain } from '../../test/support/local-signing-key.js';
import { RUNS, SEED, TIMEOUT, fuzzTitle } from '../../test/support/verifier-fuzz.js';

const leafKey = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
const chain: TestChain = issueTestChain(leafKey, '/CN=lambda signer');
const p256Key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const p256Chain: TestChain = issueTestChain(p256Key);
const PROFILE = 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/fn/AbCdEf1234';
const JOB = 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/0f0e0d0c-0b0a-4908-8706-050403020100';
const ID_DATA = Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);

const files: [string, Uint8Array, number][] = [
  ['index.py', strToU8('def handler(event, context):\n    return {"ok": True}\n'.repeat(40)), 6],
  ['lib/', new Uint8Array(0), 0],
  ['lib/blob.bin', Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff), 0],
];

const attr = (oid: string, ...values: ArrayBuffer[]): Attribute => new Attribute({ attrType: oid, attrValues: values });
const utf8 = (s: string): ArrayBuffer => AsnConvert.serialize(new DirectoryString({ utf8String: s }));
const time = (d: Date): ArrayBuffer => AsnConvert.serialize(new Time(d));

function derSet(members: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(members);
  const len = body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return Uint8Array.from([0x31, ...len, ...body]);
}

interface Spec {
  entries?: [string, Uint8Array, number][];
  signedEntries?: [string, Uint8Array, number][];
  attributes?: (standard: Attribute[]) => Attribute[];
  digestAlgorithm?: string;
  signatureAlgorithm?: string;
  key?: KeyObject;
  chainOf?: TestChain;
  signBytes?: (attrs: Uint8Array) => Uint8Array;
  sid?: 'skid' | 'wrong-serial';
  certificates?: 'none';
  signerInfos?: 2;
  signatureEntry?: (pem: string) => Uint8Array;
  noAttributes?: boolean;
  contentType?: string;
  expiry?: Date;
}

function contentDigest(entries: [string, Uint8Array, number][]): Uint8Array {
  const h = createHash('sha384');
  for (const [name, body] of entries) h.update(name).update(body);
  return new Uint8Array(createHash('sha384').update(h.digest()).digest());
}

function cmsPem(spec: Spec, digest: Uint8Array): string {
  const c = spec.chainOf ?? chain;
  const leaf = AsnConvert.parse(pemToDer(c.leafPem), Certificate);
  const signedAt = new Date(Date.now() + 2000); // the test chain was just issued
  const standard = [
    attr('1.2.840.113549.1.9.3', ID_DATA.slice().buffer),
    attr('1.2.840.113549.1.9.5', time(signedAt)),
    attr('1.2.840.113549.1.9.4', AsnConvert.serialize(new OctetString(digest))),
    attr('1.3.187.137.1.2', utf8(JOB)),
    attr('1.3.187.137.1.3', time(spec.expiry ?? new Date('2099-01-01T00:00:00Z'))),
    attr('1.3.187.137.1.4', utf8(PROFILE)),
  ];
  const attributes = spec.attributes ? spec.attributes(standard) : standard;
  const attrsDer = derSet(attributes.map((a) => new Uint8Array(AsnConvert.serialize(a))));
  const signature = nodeSign('sha384', spec.signBytes ? spec.signBytes(attrsDer) : attrsDer, spec.key ?? leafKey);
  const serial = new Uint8Array(leaf.tbsCertificate.serialNumber);
  if (spec.sid === 'wrong-serial') serial[serial.length - 1] = (serial[serial.length - 1] as number) ^ 1;
  const sid =
    spec.sid === 'skid'
      ? new SignerIdentifier({ subjectKeyIdentifier: new SubjectKeyIdentifier(new Uint8Array(20)) })
      : new SignerIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: leaf.tbsCertificate.issuer, serialNumber: serial.buffer }) });
  const signerInfo = new SignerInfo({
    version: 1,
    sid,
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: spec.digestAlgorithm ?? '2.16.840.1.101.3.4.2.2' }),
    ...(spec.noAttributes ? {} : { signedAttrs: attributes }),
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: spec.signatureAlgorithm ?? '1.2.840.10045.4.3.3' }),
    signature: new OctetString(signature),
  });
  const signed = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.2' })]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
    ...(spec.certificates === 'none' ? {} : { certificates: new CertificateSet(c.chain.map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }))) }),
    signerInfos: new SignerInfos(spec.signerInfos === 2 ? [signerInfo, signerInfo] : [signerInfo]),
  });
  const info = new ContentInfo({ contentType: spec.contentType ?? '1.2.840.113549.1.7.2', content: AsnConvert.serialize(signed) });
  const b64 = Buffer.from(AsnConvert.serialize(info)).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN PKCS7-----\n${b64}\n-----END PKCS7-----\n`;
}

function zipOf(entries: [string, Uint8Array, number][]): Uint8Array {
  const z: Zippable = {};
  for (const [name, body, level] of entries) z[name] = [body, { level: level as 0 | 6 }];
  return zipSync(z);
}

function lambdaPackage(spec: Spec = {}): Uint8Array {
  const entries = spec.entries ?? files;
  const pem = cmsPem(spec, contentDigest(spec.signedEntries ?? entries));
  const sf = spec.signatureEntry ? spec.signatureEntry(pem) : strToU8(pem);
  return zipOf([...entries, ['META_INF/', new Uint8Array(0), 0], [LAMBDA.SIGNATURE_ENTRY, sf, 6]].filter(([n]) => n !== 'META_INF/') as [string, Uint8Array, number][]);
}

const good = lambdaPackage();
const trust = createTrustStore({ roots: [chain.rootPem, p256Chain.rootPem] });
const revoked = (signers: string[]): TrustStore => {
  const list = new InMemoryRevocationList();
  list.apply({ version: 1, signers });
  return createTrustStore({ roots: [chain.rootPem], revocation: list });
};
function patched(bytes: Uint8Array, patch: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const copy = Uint8Array.from(bytes);
  patch(new DataView(copy.buffer), copy);
  return copy;
}
/** Offset of the second local header (the stored lib/blob.bin follows index.py). */
/** Offset of the central directory (from the end record). */
const cd = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 22 + 16, true);
const second = (bytes: Uint8Array): number => {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  return 30 + dv.getUint16(26, true) + dv.getUint16(28, true) + dv.getUint32(18, true);
};

interface Row {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly reason: ReasonCode | 'ok';
  readonly options?: LambdaZipOptions;
  readonly trust?: TrustStore;
}

const rows: Row[] = [
  { name: '[baseline] deflated and stored entries, CMS over SHA-384(SHA-384(name ‖ body …))', bytes: good, reason: 'ok' },
  { name: '[CodeSigningPolicies] allowed publisher', bytes: good, reason: 'ok', options: { allowedProfileVersionArns: [PROFILE] } },
  { name: '[APPNOTE 4.3.16] package cut before the central directory', bytes: good.subarray(0, good.length - 200), reason: 'Truncated' },
  { name: '[APPNOTE 4.3.7] not a zip', bytes: new Uint8Array(64).fill(7), reason: 'BadMagic' },
  { name: '[lambda-code-signing.md] empty zip is not signed', bytes: zipSync({}), reason: 'MissingSignature' },
  { name: '[lambda-code-signing.md] unsigned package', bytes: zipOf(files), reason: 'MissingSignature' },
  { name: '[APPNOTE 4.4.4] encrypted entry', bytes: patched(good, (dv) => dv.setUint16(6, 1, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.4.4] data-descriptor entry cannot be bounded while streaming', bytes: patched(good, (dv) => dv.setUint16(6, 8, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.4.5] compression method 12 (bzip2)', bytes: patched(good, (dv) => dv.setUint16(8, 12, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.5.3] zip64 sizes', bytes: patched(good, (dv) => dv.setUint32(18, 0xffffffff, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.5.3] zip64 uncompressed size', bytes: patched(good, (dv) => dv.setUint32(22, 0xffffffff, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.4.8] stored entry whose sizes differ', bytes: patched(good, (dv) => dv.setUint32(second(good) + 22, 5, true)), reason: 'BadHeader' },
  { name: '[working memory] entry name over 4096 bytes', bytes: patched(good, (dv) => dv.setUint16(26, 5000, true)), reason: 'Oversize' },
  { name: '[APPNOTE 4.4.7] CRC-32 mismatch', bytes: patched(good, (dv) => dv.setUint32(14, dv.getUint32(14, true) ^ 1, true)), reason: 'BadCrc' },
  { name: '[APPNOTE 4.4.9] inflated size differs from the header', bytes: patched(good, (dv) => dv.setUint32(22, dv.getUint32(22, true) + 1, true)), reason: 'BadLength' },
  { name: '[RFC1951] corrupt deflate data', bytes: patched(good, (_, b) => b.fill(0xff, 30 + 8, 30 + 8 + 40)), reason: 'BadCrc' },
  { name: '[APPNOTE 4.3.12] central directory CRC differs from the local header', bytes: patched(good, (dv) => dv.setUint32(cd(good) + 16, dv.getUint32(cd(good) + 16, true) ^ 1, true)), reason: 'BadHeader' },
  { name: '[APPNOTE 4.3.12] central directory offset points elsewhere', bytes: patched(good, (dv) => dv.setUint32(cd(good) + 42, 1, true)), reason: 'BadHeader' },
  { name: '[APPNOTE 4.3.12] central directory on another disk', bytes: patched(good, (dv) => dv.setUint16(cd(good) + 34, 1, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.3.12] central directory entry flagged encrypted', bytes: patched(good, (dv) => dv.setUint16(cd(good) + 8, 1, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.3.16] end record counts another number of entries', bytes: patched(good, (dv) => dv.setUint16(good.length - 22 + 10, 9, true)), reason: 'BadHeader' },
  { name: '[APPNOTE 4.3.16] end record entries on this disk differ', bytes: patched(good, (dv) => dv.setUint16(good.length - 22 + 8, 9, true)), reason: 'BadHeader' },
  { name: '[APPNOTE 4.3.16] end record central directory size wrong', bytes: patched(good, (dv) => dv.setUint32(good.length - 22 + 12, 1, true)), reason: 'BadHeader' },
  { name: '[APPNOTE 4.3.16] end record central directory offset wrong', bytes: patched(good, (dv) => dv.setUint32(good.length - 22 + 16, 1, true)), reason: 'BadHeader' },
  { name: '[APPNOTE 4.3.16] multi-disk end record', bytes: patched(good, (dv) => dv.setUint16(good.length - 22 + 4, 1, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.3.16] multi-disk end record (central directory disk)', bytes: patched(good, (dv) => dv.setUint16(good.length - 22 + 6, 1, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[APPNOTE 4.3.16] end record comment is skipped', bytes: patched(Uint8Array.from([...good, 0x41, 0x42]), (dv) => dv.setUint16(good.length - 22 + 20, 2, true)), reason: 'ok' },
  { name: '[APPNOTE 4.3.16] bytes after the end record', bytes: Uint8Array.from([...good, 0]), reason: 'BadLength' },
  { name: '[APPNOTE 4.3.6] a local header after the central directory', bytes: patched(good, (dv) => dv.setUint32(cd(good) + 46 + dv.getUint16(cd(good) + 28, true) + dv.getUint16(cd(good) + 30, true) + dv.getUint16(cd(good) + 32, true), 0x04034b50, true)), reason: 'BadMagic' },
  { name: '[integrity] content changed after signing', bytes: lambdaPackage({ signedEntries: [['index.py', strToU8('other'), 6]] }), reason: 'HashMismatch' },
  {
    name: '[lambda-code-signing.md] two signature entries',
    bytes: patched(lambdaPackage({ entries: [...files, ['META_INF/aws_signer_signature_v1.0.SG', new Uint8Array(1), 0]] }), (_, b) => {
      const name = strToU8('META_INF/aws_signer_signature_v1.0.SG');
      for (let i = 0; i < b.length - name.length; i++) if (name.every((c, j) => b[i + j] === c)) b[i + name.length - 1] = 0x46;
    }),
    reason: 'BadEnvelope',
  },
  { name: '[working memory] signature entry over 16 KiB', bytes: lambdaPackage({ signatureEntry: (pem) => strToU8(pem + ' '.repeat(17 * 1024)) }), reason: 'Oversize' },
  { name: '[lambda-code-signing.md] signature entry not PEM', bytes: lambdaPackage({ signatureEntry: () => strToU8('hello') }), reason: 'BadEnvelope' },
  { name: '[RFC5652 3] PKCS7 PEM that is not CMS', bytes: lambdaPackage({ signatureEntry: () => strToU8('-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n') }), reason: 'BadEnvelope' },
  { name: '[RFC5652 3] ContentInfo that is not SignedData', bytes: lambdaPackage({ contentType: '1.2.840.113549.1.7.1' }), reason: 'BadEnvelope' },
  { name: '[RFC5652 5.1] two SignerInfos', bytes: lambdaPackage({ signerInfos: 2 }), reason: 'BadEnvelope' },
  { name: '[RFC5652 5.3] no signed attributes', bytes: lambdaPackage({ noAttributes: true }), reason: 'BadEnvelope' },
  { name: '[AWSLambda-SHA384-ECDSA] digest algorithm SHA-256', bytes: lambdaPackage({ digestAlgorithm: '2.16.840.1.101.3.4.2.1' }), reason: 'UnsupportedAlgorithm' },
  { name: '[AWSLambda-SHA384-ECDSA] signature algorithm ecdsa-with-SHA256', bytes: lambdaPackage({ signatureAlgorithm: '1.2.840.10045.4.3.2' }), reason: 'UnsupportedAlgorithm' },
  { name: '[RFC5652 11.1] contentType attribute missing', bytes: lambdaPackage({ attributes: (a) => a.slice(1) }), reason: 'BadEnvelope' },
  { name: '[RFC5652 11.1] contentType not id-data', bytes: lambdaPackage({ attributes: (a) => [attr('1.2.840.113549.1.9.3', Uint8Array.from([6, 1, 0]).buffer), ...a.slice(1)] }), reason: 'BadEnvelope' },
  { name: '[RFC5652 11.2] messageDigest missing', bytes: lambdaPackage({ attributes: (a) => a.filter((x) => x.attrType !== '1.2.840.113549.1.9.4') }), reason: 'BadEnvelope' },
  { name: '[RFC5652 11.2] messageDigest not an OCTET STRING', bytes: lambdaPackage({ attributes: (a) => a.map((x) => (x.attrType === '1.2.840.113549.1.9.4' ? attr(x.attrType, utf8('x')) : x)) }), reason: 'BadEnvelope' },
  { name: '[RFC5652 5.3] a lone contentType attribute (short-form DER length)', bytes: lambdaPackage({ attributes: (a) => a.slice(0, 1) }), reason: 'BadEnvelope' },
  { name: '[RFC5652 5.3] attribute repeated', bytes: lambdaPackage({ attributes: (a) => [...a, a[0]!] }), reason: 'BadEnvelope' },
  { name: '[RFC5652 11.2] attribute with two values', bytes: lambdaPackage({ attributes: (a) => a.map((x) => (x.attrType === '1.2.840.113549.1.9.4' ? attr(x.attrType, ...x.attrValues, ...x.attrValues) : x)) }), reason: 'BadEnvelope' },
  { name: '[RFC5652 5.3] no certificate matches the signer (serial)', bytes: lambdaPackage({ sid: 'wrong-serial' }), reason: 'BadEnvelope' },
  { name: '[RFC5652 5.3] signer named by subjectKeyIdentifier', bytes: lambdaPackage({ sid: 'skid' }), reason: 'BadEnvelope' },
  { name: '[RFC5652 5.1] no certificates in the SignedData', bytes: lambdaPackage({ certificates: 'none' }), reason: 'BadEnvelope' },
  { name: '[AWSLambda-SHA384-ECDSA] P-256 signer', bytes: lambdaPackage({ key: p256Key, chainOf: p256Chain }), reason: 'UnsupportedAlgorithm' },
  { name: '[integrity] signature over other attributes', bytes: lambdaPackage({ signBytes: (a) => Uint8Array.from([...a, 0]) }), reason: 'SignatureInvalid' },
  { name: '[lambda-code-signing.md] job ARN not a UTF8String', bytes: lambdaPackage({ attributes: (a) => a.map((x) => (x.attrType === '1.3.187.137.1.2' ? attr(x.attrType, AsnConvert.serialize(new DirectoryString({ printableString: 'arn' }))) : x)) }), reason: 'BadEnvelope' },
  { name: '[lambda-code-signing.md] expiry attribute missing', bytes: lambdaPackage({ attributes: (a) => a.filter((x) => x.attrType !== '1.3.187.137.1.3') }), reason: 'BadEnvelope' },
  { name: '[fail closed] no trusted roots', bytes: good, reason: 'NoTrustAnchor', trust: createTrustStore({}) },
  { name: '[mismatch] chain to a root that is not trusted', bytes: good, reason: 'UntrustedCertificate', trust: createTrustStore({ roots: [p256Chain.rootPem] }) },
  { name: '[mismatch] profile version not an allowed publisher', bytes: good, reason: 'UntrustedSigner', options: { allowedProfileVersionArns: [`${PROFILE}x`] } },
  { name: '[expiry] signature expired', bytes: good, reason: 'Expired', options: { at: new Date('2100-01-01T00:00:00Z') } },
  { name: '[revocation] profile version revoked (RevokeSigningProfile)', bytes: good, reason: 'Revoked', trust: revoked([PROFILE]) },
  { name: '[revocation] signing job revoked (RevokeSignature)', bytes: good, reason: 'Revoked', trust: revoked([JOB]) },
  { name: '[limit] package over maxImageSize', bytes: good, reason: 'Oversize', options: { maxImageSize: 100 } },
];

describe('Lambda signed-zip bad-input table', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.reason}`, () => {
      const store = row.trust ?? trust;
      const result = verify(row.bytes, 'lambda-zip', store, row.options);
      if (row.reason === 'ok') expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      else expect(result, JSON.stringify(result)).toMatchObject({ ok: false, reason: row.reason });
      const v = createVerifier('lambda-zip', store, row.options);
      for (let i = 0; i < row.bytes.length; i += 301) v.update(row.bytes.subarray(i, i + 301));
      expect(v.finish()).toEqual(result);
    });
  }

  it('[info] success reports the content digest, key and certificate', () => {
    const result = verify(good, 'lambda-zip', trust);
    expect(result).toMatchObject({ ok: true, info: { format: 'lambda-zip', size: good.length, digest: Buffer.from(contentDigest(files)).toString('hex') } });
    expect(createPublicKey(leafKey).asymmetricKeyType).toBe('ec');
  });

  it('[options] maxImageSize must be a positive integer', () => {
    expect(() => createVerifier('lambda-zip', trust, { maxImageSize: -1 })).toThrow(RangeError);
  });
});

describe(fuzzTitle('Lambda zip fuzzing: mutated packages'), () => {
  it('[no false accept] accepted ⇒ an unzip through the central directory sees exactly the signed names and contents; no exception escapes', () => {
    const original = unzipSync(good);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ at: fc.nat(good.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
            fc.record({ at: fc.nat(good.length - 1), value: fc.constant(-1) }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        fc.integer({ min: 1, max: 4096 }),
        (mutations, chunk) => {
          let mutated = Uint8Array.from(good);
          for (const m of mutations) {
            if (m.value < 0) mutated = mutated.slice(0, m.at);
            else if (m.at < mutated.length) mutated[m.at] = m.value;
          }
          const whole = verify(mutated, 'lambda-zip', trust);
          const v = createVerifier('lambda-zip', trust);
          for (let i = 0; i < mutated.length; i += chunk) v.update(mutated.subarray(i, i + chunk));
          expect(v.finish()).toEqual(whole);
          if (whole.ok) expect(unzipSync(mutated)).toEqual(original);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  }, TIMEOUT);
});

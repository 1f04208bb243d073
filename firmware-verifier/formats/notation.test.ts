/**
 * Notary Project JWS envelope bad-input table (notaryproject/specifications
 * specs/signature-envelope-jws.md, specs/signature-specification.md, specs/trust-store-trust-policy.md
 * "Signature Verification"; RFC 7515 §4.1.11 crit, RFC 7518 §3.4 ES384).
 */
import { createHash, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTrustStore, createVerifier, InMemoryRevocationList, verify, type NotationOptions, type ReasonCode, type TrustStore } from '../index.js';
import { issueTestChain, type TestChain } from '../../test/support/local-signing-key.js';

const artifact = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
const leafKey = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
const chain: TestChain = issueTestChain(leafKey);
const otherChain: TestChain = issueTestChain(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey);
const p256Key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const p256Chain: TestChain = issueTestChain(p256Key);
const PROFILE = 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/notation_test/AbCdEf1234';
const JOB = 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/5a4f3a0e-4c1b-4f6e-9d7e-2b7c3a1d0e9f';
const b64u = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

interface EnvelopeSpec {
  header?: Record<string, unknown>;
  dropHeader?: string[];
  payload?: unknown;
  key?: KeyObject;
  hash?: 'sha256' | 'sha384';
  x5c?: unknown;
  chainOf?: TestChain;
  tamper?: boolean;
}

function envelope(spec: EnvelopeSpec = {}): string {
  const header: Record<string, unknown> = {
    alg: 'ES384',
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority',
    'io.cncf.notary.authenticSigningTime': new Date(Date.now() + 2000).toISOString().slice(0, 19) + 'Z', // the test chain was just issued
    'io.cncf.notary.expiry': '2099-01-01T00:00:00Z',
    'io.cncf.notary.verificationPlugin': 'com.amazonaws.signer.notation.plugin',
    'com.amazonaws.signer.signingProfileVersion': PROFILE,
    'com.amazonaws.signer.signingJob': JOB,
    crit: [
      'io.cncf.notary.signingScheme',
      'io.cncf.notary.authenticSigningTime',
      'io.cncf.notary.expiry',
      'io.cncf.notary.verificationPlugin',
      'com.amazonaws.signer.signingProfileVersion',
      'com.amazonaws.signer.signingJob',
    ],
    ...spec.header,
  };
  for (const name of spec.dropHeader ?? []) delete header[name];
  const payload = spec.payload ?? {
    targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${createHash('sha256').update(artifact).digest('hex')}`, size: artifact.length },
  };
  const protectedB64 = b64u(JSON.stringify(header));
  const payloadB64 = b64u(JSON.stringify(payload));
  const signature = nodeSign(spec.hash ?? 'sha384', Buffer.from(`${protectedB64}.${payloadB64}`), { key: spec.key ?? leafKey, dsaEncoding: 'ieee-p1363' });
  if (spec.tamper) signature[5] = (signature[5] as number) ^ 1;
  const x5c = spec.x5c ?? (spec.chainOf ?? chain).chain.map((c) => Buffer.from(c).toString('base64'));
  return JSON.stringify({ payload: payloadB64, protected: protectedB64, header: { x5c }, signature: b64u(signature) });
}

const trust = createTrustStore({ roots: [chain.rootPem, p256Chain.rootPem] });
const revoked = (update: { signers?: string[]; certificates?: string[] }): TrustStore => {
  const list = new InMemoryRevocationList();
  list.apply({ version: 1, ...update });
  return createTrustStore({ roots: [chain.rootPem], revocation: list });
};
const leafFingerprint = createTrustStore({ certificates: [chain.leafPem] }).certificates[0]!.fingerprint;
const envelopeWith = (fields: Record<string, unknown>): string => JSON.stringify({ ...JSON.parse(envelope()), ...fields });

interface Row {
  readonly name: string;
  readonly options: NotationOptions;
  readonly reason: ReasonCode | 'ok';
  readonly trust?: TrustStore;
  readonly bytes?: Uint8Array;
}

const rows: Row[] = [
  { name: '[baseline] ES384 envelope over the artifact descriptor, chain to a trusted root', options: { envelope: envelope() }, reason: 'ok' },
  { name: '[baseline] envelope given as bytes', options: { envelope: new TextEncoder().encode(envelope()) }, reason: 'ok' },
  { name: '[RFC7518 3.4] ES256 with a P-256 signer', options: { envelope: envelope({ header: { alg: 'ES256' }, key: p256Key, hash: 'sha256', chainOf: p256Chain }) }, reason: 'ok' },
  { name: '[signature-specification] signingTime instead of authenticSigningTime (notary.x509)', options: { envelope: envelope({ header: { 'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': new Date().toISOString() }, dropHeader: ['io.cncf.notary.authenticSigningTime'], }) }, reason: 'BadEnvelope' },
  {
    name: '[signature-specification] notary.x509 with signingTime',
    options: {
      envelope: envelope({
        header: { 'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': new Date(Date.now() + 2000).toISOString(), crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] },
        dropHeader: ['io.cncf.notary.authenticSigningTime'],
      }),
    },
    reason: 'ok',
  },
  { name: '[OCI descriptor] sha512 target digest', options: { envelope: envelope({ payload: { targetArtifact: { mediaType: 'x', digest: `sha512:${createHash('sha512').update(artifact).digest('hex')}`, size: artifact.length } } }) }, reason: 'ok' },
  { name: '[fail closed] no envelope', options: {}, reason: 'MissingSignature' },
  { name: '[signature-envelope-jws] envelope is not JSON', options: { envelope: 'not json' }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] envelope is not UTF-8', options: { envelope: Uint8Array.from([0xff, 0xfe]) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] envelope is a JSON array', options: { envelope: '[]' }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] envelope is JSON null', options: { envelope: 'null' }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] payload not a string', options: { envelope: envelopeWith({ payload: 1 }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] protected not a string', options: { envelope: envelopeWith({ protected: null }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] signature not a string', options: { envelope: envelopeWith({ signature: [] }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] no unprotected header', options: { envelope: envelopeWith({ header: undefined }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] unprotected header null', options: { envelope: envelopeWith({ header: null }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] x5c not an array', options: { envelope: envelope({ x5c: 'abc' }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] x5c empty', options: { envelope: envelope({ x5c: [] }) }, reason: 'BadEnvelope' },
  { name: '[RFC7515 2] protected header not base64url', options: { envelope: envelopeWith({ protected: 'a+b/' }) }, reason: 'BadEnvelope' },
  { name: '[RFC7515 2] protected header of impossible base64url length', options: { envelope: envelopeWith({ protected: 'abcde' }) }, reason: 'BadEnvelope' },
  { name: '[RFC7518 3.4] alg none', options: { envelope: envelope({ header: { alg: 'none' } }) }, reason: 'UnsupportedAlgorithm' },
  { name: '[signature-envelope-jws] cty not the Notary payload type', options: { envelope: envelope({ header: { cty: 'application/json' } }) }, reason: 'BadEnvelope' },
  { name: '[signature-specification] unknown signing scheme', options: { envelope: envelope({ header: { 'io.cncf.notary.signingScheme': 'notary.x509.tsa' } }) }, reason: 'BadEnvelope' },
  { name: '[signature-specification] crit without the signing scheme', options: { envelope: envelope({ header: { crit: ['io.cncf.notary.expiry'] } }) }, reason: 'BadEnvelope' },
  { name: '[RFC7515 4.1.11] crit not an array', options: { envelope: envelope({ header: { crit: 'io.cncf.notary.signingScheme' } }) }, reason: 'BadEnvelope' },
  { name: '[RFC7515 4.1.11] crit names a header this verifier does not understand', options: { envelope: envelope({ header: { crit: ['io.cncf.notary.signingScheme', 'x-unknown'], 'x-unknown': 1 } }) }, reason: 'BadEnvelope' },
  { name: '[RFC7515 4.1.11] crit names an absent header', options: { envelope: envelope({ dropHeader: ['io.cncf.notary.expiry'] }) }, reason: 'BadEnvelope' },
  { name: '[RFC7515 4.1.11] crit entry not a string', options: { envelope: envelope({ header: { crit: ['io.cncf.notary.signingScheme', 7] } }) }, reason: 'BadEnvelope' },
  { name: '[signature-specification] payload without targetArtifact', options: { envelope: envelope({ payload: { other: 1 } }) }, reason: 'BadEnvelope' },
  { name: '[signature-specification] targetArtifact null', options: { envelope: envelope({ payload: { targetArtifact: null } }) }, reason: 'BadEnvelope' },
  { name: '[OCI descriptor] digest not a string', options: { envelope: envelope({ payload: { targetArtifact: { digest: 5, size: 1 } } }) }, reason: 'BadEnvelope' },
  { name: '[OCI descriptor] digest malformed', options: { envelope: envelope({ payload: { targetArtifact: { digest: 'sha256-abc', size: 1 } } }) }, reason: 'BadEnvelope' },
  { name: '[OCI descriptor] digest algorithm md5', options: { envelope: envelope({ payload: { targetArtifact: { digest: 'md5:abcd', size: 1 } } }) }, reason: 'UnsupportedAlgorithm' },
  { name: '[OCI descriptor] size negative', options: { envelope: envelope({ payload: { targetArtifact: { digest: 'sha256:ab', size: -1 } } }) }, reason: 'BadEnvelope' },
  { name: '[OCI descriptor] size not a number', options: { envelope: envelope({ payload: { targetArtifact: { digest: 'sha256:ab', size: '1' } } }) }, reason: 'BadEnvelope' },
  { name: '[OCI descriptor] size not an integer', options: { envelope: envelope({ payload: { targetArtifact: { digest: 'sha256:ab', size: 1.5 } } }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] x5c entry not a string', options: { envelope: envelope({ x5c: [1] }) }, reason: 'BadEnvelope' },
  { name: '[signature-envelope-jws] x5c entry not base64', options: { envelope: envelope({ x5c: ['***'] }) }, reason: 'BadEnvelope' },
  { name: '[RFC4648 3.5] non-canonical base64 (stray bits in the last character)', options: { envelope: envelope({ x5c: ['QR=='] }) }, reason: 'BadEnvelope' },
  { name: '[X.690 DER] certificate followed by a trailing byte', options: { envelope: envelope({ x5c: [Buffer.concat([Buffer.from(chain.chain[0]!), Buffer.from([0])]).toString('base64')] }) }, reason: 'BadCertificate' },
  { name: '[signature-envelope-jws] x5c entry not a certificate', options: { envelope: envelope({ x5c: ['AAAA'] }) }, reason: 'BadCertificate' },
  { name: '[fail closed] no trusted roots', options: { envelope: envelope() }, reason: 'NoTrustAnchor', trust: createTrustStore({}) },
  { name: '[RFC7518 3.4] ES256 declared for a P-384 signer', options: { envelope: envelope({ header: { alg: 'ES256' }, hash: 'sha256' }) }, reason: 'UnsupportedAlgorithm' },
  { name: '[integrity] signature altered', options: { envelope: envelope({ tamper: true }) }, reason: 'SignatureInvalid' },
  { name: '[integrity] signature by a key other than x5c[0]', options: { envelope: envelope({ key: p256Key }) }, reason: 'SignatureInvalid' },
  { name: '[authenticity] signing time not RFC 3339', options: { envelope: envelope({ header: { 'io.cncf.notary.authenticSigningTime': 'yesterday' } }) }, reason: 'BadEnvelope' },
  { name: '[integrity] x5c from another signer than the signing key', options: { envelope: envelope({ chainOf: otherChain, key: leafKey }) }, reason: 'SignatureInvalid' },
  { name: '[authenticity] root not in the trust store', options: { envelope: envelope() }, reason: 'UntrustedCertificate', trust: createTrustStore({ roots: [otherChain.rootPem] }) },
  { name: '[authenticity] certificate not yet valid at the signing time', options: { envelope: envelope({ header: { 'io.cncf.notary.authenticSigningTime': '2001-01-01T00:00:00Z' } }) }, reason: 'NotYetValid' },
  { name: '[trusted identity] profile version allowed', options: { envelope: envelope(), allowedProfileVersionArns: [PROFILE] }, reason: 'ok' },
  { name: '[trusted identity] profile version not allowed', options: { envelope: envelope(), allowedProfileVersionArns: [`${PROFILE}x`] }, reason: 'UntrustedSigner' },
  {
    name: '[trusted identity] no profile version header while identities are pinned',
    options: { envelope: envelope({ dropHeader: ['com.amazonaws.signer.signingProfileVersion'], header: { crit: ['io.cncf.notary.signingScheme'] } }), allowedProfileVersionArns: [PROFILE] },
    reason: 'UntrustedSigner',
  },
  { name: '[expiry] expired at the check instant', options: { envelope: envelope(), at: new Date('2100-01-01T00:00:00Z') }, reason: 'Expired' },
  { name: '[expiry] no expiry header never expires', options: { envelope: envelope({ dropHeader: ['io.cncf.notary.expiry'], header: { crit: ['io.cncf.notary.signingScheme'] } }), at: new Date('2100-01-01T00:00:00Z') }, reason: 'ok' },
  { name: '[expiry] malformed expiry', options: { envelope: envelope({ header: { 'io.cncf.notary.expiry': 'soon' } }) }, reason: 'BadEnvelope' },
  { name: '[revocation] revoked signing profile version (RevokeSigningProfile)', options: { envelope: envelope() }, reason: 'Revoked', trust: revoked({ signers: [PROFILE] }) },
  { name: '[revocation] revoked signing job (RevokeSignature)', options: { envelope: envelope() }, reason: 'Revoked', trust: revoked({ signers: [JOB] }) },
  { name: '[revocation] revoked leaf certificate', options: { envelope: envelope() }, reason: 'Revoked', trust: revoked({ certificates: [leafFingerprint] }) },
  { name: '[revocation] no AWS headers: nothing to revoke by ARN', options: { envelope: envelope({ dropHeader: ['com.amazonaws.signer.signingProfileVersion', 'com.amazonaws.signer.signingJob'], header: { crit: ['io.cncf.notary.signingScheme'] } }) }, reason: 'ok', trust: revoked({ signers: [PROFILE] }) },
  { name: '[OCI descriptor] artifact size differs', options: { envelope: envelope() }, reason: 'BadLength', bytes: artifact.subarray(1) },
  { name: '[OCI descriptor] artifact changed', options: { envelope: envelope() }, reason: 'HashMismatch', bytes: Uint8Array.from(artifact).reverse() },
  { name: '[limit] artifact over maxImageSize', options: { envelope: envelope(), maxImageSize: 10 }, reason: 'Oversize' },
];

describe('Notation JWS envelope bad-input table', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.reason}`, () => {
      const store = row.trust ?? trust;
      const bytes = row.bytes ?? artifact;
      const result = verify(bytes, 'notation', store, row.options);
      if (row.reason === 'ok') expect(result).toMatchObject({ ok: true });
      else expect(result).toMatchObject({ ok: false, reason: row.reason });
      const v = createVerifier('notation', store, row.options);
      for (let i = 0; i < bytes.length; i += 7) v.update(bytes.subarray(i, i + 7));
      expect(v.finish()).toEqual(result);
    });
  }

  it('[info] success names the artifact digest, key and signer certificate', () => {
    expect(verify(artifact, 'notation', trust, { envelope: envelope() })).toEqual({
      ok: true,
      info: { format: 'notation', size: artifact.length, digest: createHash('sha256').update(artifact).digest('hex'), keyId: expect.stringMatching(/^[0-9a-f]{64}$/), certificate: leafFingerprint },
    });
  });

  it('[options] maxImageSize must be a positive integer', () => {
    expect(() => createVerifier('notation', trust, { maxImageSize: 0 })).toThrow(RangeError);
  });
});

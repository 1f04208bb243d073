import { writeFileSync } from 'node:fs';
import { p384 } from '@noble/curves/nist.js';
import { beforeAll, describe, expect, it } from 'vitest';
import platform from '../platforms/Notation-OCI-SHA384-ECDSA/index.js';
import descriptor from '../platforms/Notation-OCI-SHA384-ECDSA/descriptor.json' with { type: 'json' };
import { PlatformInputError, type PlatformDescriptorFile, type SignPayloadRequest, type SigningKey } from '../platforms/platform.types.js';
import { openssl, signRequest, withTempDir } from './platforms-helpers.js';
import { generateTestKey, issueTestChain, localSigningKey, type TestChain } from './support/local-signing-key.js';

const d = descriptor as PlatformDescriptorFile;
const MEDIA_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
const PAYLOAD = Buffer.from(JSON.stringify({
  targetArtifact: {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: 'sha256:73c803930ea3ba1e54bc25c2bdc53edd0284c62ed651fe7b00369da519a3c333',
    size: 16724,
  },
}));

let chain: TestChain;
let key: SigningKey;
beforeAll(() => {
  const keyObject = generateTestKey('EC_secp384r1');
  chain = issueTestChain(keyObject, '/CN=notation signer');
  key = localSigningKey(keyObject, chain.chain);
});

const job = () => signRequest(d, new Uint8Array(0), key).job;
const request = (over: Partial<SignPayloadRequest> = {}): SignPayloadRequest => ({ payload: PAYLOAD, payloadFormat: MEDIA_TYPE, key, job: job(), ...over });

describe('Notation-OCI-SHA384-ECDSA: SignPayload returns a Notary Project JWS envelope', () => {
  it('[signature-envelope-jws.md] flattened JWS JSON with payload, protected, header.x5c and an ES384 signature that openssl verifies with x5c[0], whose chain openssl verifies', async () => {
    const result = await platform.signPayload!(request());
    const envelope = JSON.parse(Buffer.from(result.signature).toString('utf8')) as { payload: string; protected: string; header: { x5c: string[] }; signature: string };
    expect(Object.keys(envelope).sort()).toEqual(['header', 'payload', 'protected', 'signature']);
    expect(Buffer.from(envelope.payload, 'base64url').equals(PAYLOAD)).toBe(true);
    expect(envelope.header.x5c).toEqual(chain.chain.map((c) => Buffer.from(c).toString('base64')));
    const raw = Buffer.from(envelope.signature, 'base64url');
    expect(raw.length).toBe(96);
    withTempDir((p) => {
      writeFileSync(p('input.txt'), `${envelope.protected}.${envelope.payload}`);
      writeFileSync(p('sig.der'), p384.Signature.fromBytes(raw, 'compact').toBytes('der'));
      writeFileSync(p('leaf.der'), Buffer.from(envelope.header.x5c[0]!, 'base64'));
      writeFileSync(p('root.pem'), chain.rootPem);
      writeFileSync(p('leaf.pem'), openssl(['x509', '-inform', 'DER', '-in', p('leaf.der')]).out);
      writeFileSync(p('pub.pem'), openssl(['x509', '-in', p('leaf.pem'), '-pubkey', '-noout']).out);
      expect(openssl(['dgst', '-sha384', '-verify', p('pub.pem'), '-signature', p('sig.der'), p('input.txt')]).out).toContain('Verified OK');
      expect(openssl(['verify', '-CAfile', p('root.pem'), p('leaf.pem')]).out).toContain(': OK');
      writeFileSync(p('input.txt'), `${envelope.protected}.${envelope.payload}x`);
      expect(openssl(['dgst', '-sha384', '-verify', p('pub.pem'), '-signature', p('sig.der'), p('input.txt')]).status).not.toBe(0);
    });
  });

  it('[signature-envelope-jws.md protected headers; aws-signer-notation-plugin verifier] alg ES384, cty, signingAuthority scheme with authentic signing time and expiry, AWS extended attributes, all critical', async () => {
    const result = await platform.signPayload!(request());
    const envelope = JSON.parse(Buffer.from(result.signature).toString('utf8')) as { protected: string };
    const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toEqual({
      alg: 'ES384',
      cty: MEDIA_TYPE,
      'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority',
      'io.cncf.notary.authenticSigningTime': '2026-11-24T12:00:00Z',
      'io.cncf.notary.expiry': '2037-11-24T12:00:00Z',
      'io.cncf.notary.verificationPlugin': 'com.amazonaws.signer.notation.plugin',
      'com.amazonaws.signer.signingProfileVersion': job().profileVersionArn,
      'com.amazonaws.signer.signingJob': job().jobArn,
      crit: [
        'io.cncf.notary.signingScheme',
        'io.cncf.notary.authenticSigningTime',
        'io.cncf.notary.expiry',
        'io.cncf.notary.verificationPlugin',
        'com.amazonaws.signer.signingProfileVersion',
        'com.amazonaws.signer.signingJob',
      ],
    });
    expect(result.metadata).toEqual({ signingProfileVersionArn: job().profileVersionArn, signingJobArn: job().jobArn });
  });
});

describe('Notation-OCI-SHA384-ECDSA: bad input is refused with PlatformInputError', () => {
  const bad = (text: string) => Buffer.from(text);
  const table: [string, () => Partial<SignPayloadRequest>, RegExp][] = [
    ['another payloadFormat', () => ({ payloadFormat: 'application/vnd.oci.descriptor.v1+json' }), /payloadFormat must be/],
    ['an empty payload', () => ({ payload: new Uint8Array(0) }), /empty/],
    ['a payload over 1 MB', () => ({ payload: new Uint8Array(1024 * 1024 + 1) }), /at most 1 MB/],
    ['a payload that is not JSON', () => ({ payload: bad('{"targetArtifact":') }), /not UTF-8 JSON/],
    ['a payload that is not UTF-8', () => ({ payload: Uint8Array.from([0xff, 0xfe, 0x7b]) }), /not UTF-8 JSON/],
    ['JSON without targetArtifact', () => ({ payload: bad('{"subject":{}}') }), /no targetArtifact/],
    ['a bad digest', () => ({ payload: bad('{"targetArtifact":{"mediaType":"x","digest":"73c8","size":1}}') }), /OCI digest/],
    ['a negative size', () => ({ payload: bad('{"targetArtifact":{"mediaType":"x","digest":"sha256:ab","size":-1}}') }), /non-negative integer/],
    ['a key without a certificate chain', () => ({ key: localSigningKey(generateTestKey('EC_secp384r1')) }), /no certificate/],
    ['a P-256 key', () => ({ key: localSigningKey(generateTestKey('EC_prime256v1'), chain.chain) }), /needs a key of type EC_secp384r1/],
  ];
  for (const [name, over, message] of table) {
    it(`refuses ${name}`, async () => {
      const attempt = platform.signPayload!(request(over()));
      await expect(attempt).rejects.toBeInstanceOf(PlatformInputError);
      await expect(attempt).rejects.toThrow(message);
    });
  }

  it('[descriptor extras.supportsSigningJobs false] StartSigningJob is refused', async () => {
    const attempt = platform.sign(signRequest(d, PAYLOAD, key));
    await expect(attempt).rejects.toBeInstanceOf(PlatformInputError);
    await expect(attempt).rejects.toThrow(/SignPayload only/);
  });
});

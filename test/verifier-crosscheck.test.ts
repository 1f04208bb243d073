/**
 * Sign with our own server platforms (platforms/<id>/index.ts), then verify with firmware-verifier
 * the way the device would: a signature the server produces must be accepted, and the same image
 * with one bit changed must not. Keys are generated per run (TEST ONLY).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import mcuboot from '../platforms/MCUboot/index.js';
import mcubootDescriptor from '../platforms/MCUboot/descriptor.json' with { type: 'json' };
import esp32 from '../platforms/ESP32-SecureBootV2/index.js';
import esp32Descriptor from '../platforms/ESP32-SecureBootV2/descriptor.json' with { type: 'json' };
import freertos from '../platforms/AmazonFreeRTOS-Default/index.js';
import freertosDescriptor from '../platforms/AmazonFreeRTOS-Default/descriptor.json' with { type: 'json' };
import cc3220 from '../platforms/AmazonFreeRTOS-TI-CC3220SF/index.js';
import cc3220Descriptor from '../platforms/AmazonFreeRTOS-TI-CC3220SF/descriptor.json' with { type: 'json' };
import { strToU8, zipSync } from 'fflate';
import lambda from '../platforms/AWSLambda-SHA384-ECDSA/index.js';
import lambdaDescriptor from '../platforms/AWSLambda-SHA384-ECDSA/descriptor.json' with { type: 'json' };
import notation from '../platforms/Notation-OCI-SHA384-ECDSA/index.js';
import notationDescriptor from '../platforms/Notation-OCI-SHA384-ECDSA/descriptor.json' with { type: 'json' };
import type { HashAlgorithm, KeyType, PlatformDescriptorFile } from '../platforms/platform.types.js';
import { createTrustStore, createVerifier, verify, type FormatId, type FormatOptions, type TrustStore, type VerifyResult } from '../firmware-verifier/index.js';
import { generateTestKey, issueTestChain, localSigningKey } from './support/local-signing-key.js';
import { collect, signRequest } from './platforms-helpers.js';

const firmware = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 131 + 17) & 0xff);
const spki = (key: KeyObject): Uint8Array => new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

function both<F extends FormatId>(image: Uint8Array, format: F, trust: TrustStore, options: FormatOptions[F] | undefined, flipAt: number): [VerifyResult, VerifyResult] {
  return [verify(image, format, trust, options), verify(flipped(image, flipAt), format, trust, options)];
}

describe('cross-check: platforms/MCUboot signs, firmware-verifier (mcuboot) verifies', () => {
  const cases: [KeyType, string, HashAlgorithm][] = [
    ['EC_prime256v1', 'ECDSA', 'SHA256'],
    ['EC_secp384r1', 'ECDSA', 'SHA384'],
    ['RSA_2048', 'RSA', 'SHA256'],
    ['RSA_3072', 'RSA', 'SHA256'],
    ['ED25519', 'ED25519', 'SHA256'],
  ];
  for (const [keyType, encryptionAlgorithm, hashAlgorithm] of cases) {
    it(`[bootutil_img_validate] ${keyType} image with SEC_CNT is accepted, a payload bit flip is HashMismatch`, async () => {
      const privateKey = generateTestKey(keyType);
      const request = signRequest(mcubootDescriptor as PlatformDescriptorFile, firmware, localSigningKey(privateKey), {
        encryptionAlgorithm,
        hashAlgorithm,
        signingParameters: { version: '1.4.2+9', headerSize: '0x200', securityCounter: '7' },
      });
      const image = new Uint8Array(await collect((await mcuboot.sign(request)).body()));
      const trust = createTrustStore({ publicKeys: [spki(privateKey)] });
      const [ok, bad] = both(image, 'mcuboot', trust, undefined, 0x200 + 1000);
      expect(ok).toMatchObject({ ok: true, info: { version: '1.4.2+9', securityCounter: 7 } });
      expect(bad).toMatchObject({ ok: false, reason: 'HashMismatch' });
      const other = createTrustStore({ publicKeys: [spki(generateTestKey(keyType))] });
      expect(verify(image, 'mcuboot', other)).toMatchObject({ ok: false, reason: 'KeyHashMismatch' });
    });
  }
});

describe('cross-check: platforms/ESP32-SecureBootV2 signs, firmware-verifier (esp32-sbv2) verifies', () => {
  const cases: [KeyType, string, HashAlgorithm][] = [
    ['RSA_3072', 'RSA', 'SHA256'],
    ['EC_prime256v1', 'ECDSA', 'SHA256'],
    ['EC_secp384r1', 'ECDSA', 'SHA384'],
  ];
  for (const [keyType, encryptionAlgorithm, hashAlgorithm] of cases) {
    it(`[secure-boot-v2.rst] ${keyType} signature sector is accepted with the key's eFuse digest; a bit flip is HashMismatch`, async () => {
      const privateKey = generateTestKey(keyType);
      const request = signRequest(esp32Descriptor as PlatformDescriptorFile, firmware, localSigningKey(privateKey), {
        encryptionAlgorithm,
        hashAlgorithm,
        imageFormat: 'SecureBootV2',
      });
      const image = new Uint8Array(await collect((await esp32.sign(request)).body()));
      const trust = createTrustStore({ publicKeys: [spki(privateKey)] });
      const [ok, bad] = both(image, 'esp32-sbv2', trust, undefined, 10);
      expect(ok).toMatchObject({ ok: true, info: { block: 0 } });
      expect(bad).toMatchObject({ ok: false, reason: 'HashMismatch' });
    });
  }
});

describe('cross-check: FreeRTOS OTA platforms sign, firmware-verifier (freertos / cc3220sf) verifies the job-document signature', () => {
  it('[otaPal_CheckFileSignature] AmazonFreeRTOS-Default ECDSA P-256: PAL and strict mode accept, a changed file is SignatureInvalid', async () => {
    const privateKey = generateTestKey('EC_prime256v1');
    const chain = issueTestChain(privateKey);
    const request = signRequest(freertosDescriptor as PlatformDescriptorFile, firmware, localSigningKey(privateKey, chain.chain));
    const { rawSignature } = await freertos.sign(request);
    const pal = createTrustStore({ certificates: [chain.leafPem] });
    expect(verify(firmware, 'freertos', pal, { signature: rawSignature })).toMatchObject({ ok: true });
    expect(verify(flipped(firmware, 5), 'freertos', pal, { signature: rawSignature })).toMatchObject({ ok: false, reason: 'SignatureInvalid' });
    const strict = createTrustStore({ roots: [chain.rootPem] });
    expect(verify(firmware, 'freertos', strict, { signature: rawSignature, mode: 'strict', signerCertificate: chain.leafPem })).toMatchObject({ ok: true });
  });

  it('[CC3220SF] AmazonFreeRTOS-TI-CC3220SF RSA SHA-1: accepted with the certificate chained to the root catalog', async () => {
    const privateKey = generateTestKey('RSA_2048');
    const chain = issueTestChain(privateKey);
    const request = signRequest(cc3220Descriptor as PlatformDescriptorFile, firmware, localSigningKey(privateKey, chain.chain));
    const { rawSignature } = await cc3220.sign(request);
    const trust = createTrustStore({ roots: [chain.rootPem] });
    expect(verify(firmware, 'cc3220sf', trust, { signature: rawSignature, signerCertificate: chain.leafPem })).toMatchObject({ ok: true });
    expect(verify(flipped(firmware, 5), 'cc3220sf', trust, { signature: rawSignature, signerCertificate: chain.leafPem })).toMatchObject({
      ok: false,
      reason: 'SignatureInvalid',
    });
  });
});

describe('cross-check: platforms/Notation-OCI-SHA384-ECDSA SignPayload, firmware-verifier (notation) verifies', () => {
  it('[trust-store-trust-policy Signature Verification] the envelope verifies for its artifact, pinned to its profile version; another artifact is HashMismatch', async () => {
    const privateKey = generateTestKey('EC_secp384r1');
    const chain = issueTestChain(privateKey, '/CN=notation signer');
    const base = signRequest(notationDescriptor as PlatformDescriptorFile, new Uint8Array(0), localSigningKey(privateKey, chain.chain)).job;
    // The test chain was issued just now; sign "now" so the signing time falls inside its validity.
    const job = { ...base, createdAt: new Date(Date.now() + 2000) };
    const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, layers: [{ digest: 'sha256:00' }] }));
    const payload = new TextEncoder().encode(
      JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}`, size: manifest.length } }),
    );
    const { signature: envelope } = await notation.signPayload!({ payload, payloadFormat: 'application/vnd.cncf.notary.payload.v1+json', key: localSigningKey(privateKey, chain.chain), job });
    const trust = createTrustStore({ roots: [chain.rootPem] });
    expect(verify(manifest, 'notation', trust, { envelope, allowedProfileVersionArns: [job.profileVersionArn] })).toMatchObject({ ok: true });
    const other = Uint8Array.from(manifest).reverse();
    expect(verify(other, 'notation', trust, { envelope })).toMatchObject({ ok: false, reason: 'HashMismatch' });
    expect(verify(manifest, 'notation', trust, { envelope, allowedProfileVersionArns: ['arn:aws:signer:us-east-1:123456789012:/signing-profiles/x/y'] })).toMatchObject({
      ok: false,
      reason: 'UntrustedSigner',
    });
  });
});

describe('cross-check: platforms/AWSLambda-SHA384-ECDSA signs a zip, firmware-verifier (lambda-zip) verifies like Lambda', () => {
  it('[lambda-code-signing.md] integrity, allowed publisher, expiry and revocation on a package signed by our server', async () => {
    const privateKey = generateTestKey('EC_secp384r1');
    const chain = issueTestChain(privateKey, '/CN=lambda signer');
    const zip = zipSync({ 'index.py': strToU8('def handler(e, c):\n    return 42\n'.repeat(50)), 'lib/data.bin': firmware.subarray(0, 5000) }, { level: 6 });
    const base = signRequest(lambdaDescriptor as PlatformDescriptorFile, zip, localSigningKey(privateKey, chain.chain), { sourceKey: 'fn.zip' });
    const request = { ...base, job: { ...base.job, createdAt: new Date(Date.now() + 2000) } };
    const signed = new Uint8Array(await collect((await lambda.sign(request)).body()));
    const trust = createTrustStore({ roots: [chain.rootPem] });
    const ok = verify(signed, 'lambda-zip', trust, { allowedProfileVersionArns: [request.job.profileVersionArn] });
    expect(ok, JSON.stringify(ok)).toMatchObject({ ok: true, info: { format: 'lambda-zip' } });
    for (const size of [1, 777, 65536]) {
      const v = createVerifier('lambda-zip', trust);
      for (let i = 0; i < signed.length; i += size) v.update(signed.subarray(i, i + size));
      expect(v.finish().ok).toBe(true);
    }
    expect(verify(signed, 'lambda-zip', trust, { allowedProfileVersionArns: ['arn:other'] })).toMatchObject({ ok: false, reason: 'UntrustedSigner' });
    expect(verify(signed, 'lambda-zip', trust, { at: new Date('2099-01-01') })).toMatchObject({ ok: false, reason: 'Expired' });
    expect(verify(zip, 'lambda-zip', trust)).toMatchObject({ ok: false, reason: 'MissingSignature' });
  });
});

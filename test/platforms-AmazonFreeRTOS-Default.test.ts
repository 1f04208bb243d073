import { describe, expect, it } from 'vitest';
import platform from '../platforms/AmazonFreeRTOS-Default/index.js';
import descriptor from '../platforms/AmazonFreeRTOS-Default/descriptor.json' with { type: 'json' };
import { readSignedJson } from '../platforms/_shared/index.js';
import type { PlatformDescriptorFile } from '../platforms/platform.types.js';
import { collect, opensslVerifies, publicPem, signRequest } from './platforms-helpers.js';
import { FREERTOS_MESSAGE, freertosVector, otaJsonSuite } from './platforms-ota-json-suite.js';
import { localSigningKey, pemToDer } from './support/local-signing-key.js';

const d = descriptor as PlatformDescriptorFile;

otaJsonSuite(platform, d, [
  { encryptionAlgorithm: 'ECDSA', hash: 'SHA256', keyType: 'EC_prime256v1', otaKey: 'sig-sha256-ecdsa', signatureAlgorithm: 'SHA256withECDSA' },
  { encryptionAlgorithm: 'RSA', hash: 'SHA256', keyType: 'RSA_2048', otaKey: 'sig-sha256-rsa', signatureAlgorithm: 'SHA256withRSA' },
  { encryptionAlgorithm: 'RSA', hash: 'SHA256', keyType: 'RSA_3072', otaKey: 'sig-sha256-rsa', signatureAlgorithm: 'SHA256withRSA' },
]);

describe('AmazonFreeRTOS-Default: published FreeRTOS OTA PAL test keys', () => {
  it('[FreeRTOS OTA PAL sig-sha256-ecdsa] the published P-256 test key signs ucDummyData; openssl verifies with the published signer certificate', async () => {
    const v = freertosVector('sig-sha256-ecdsa');
    const key = localSigningKey(v.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY, [pemToDer(v.signerCertificatePem)]);
    const artifact = await platform.sign(signRequest(d, FREERTOS_MESSAGE, key));
    const certPublicKey = publicPem(new (await import('node:crypto')).X509Certificate(v.signerCertificatePem).publicKey);
    expect(opensslVerifies({ hash: 'sha256', publicKeyPem: certPublicKey, signature: artifact.rawSignature, data: FREERTOS_MESSAGE })).toBe(true);
    // the published signature verifies the same way: the oracle accepts what the device accepts
    expect(opensslVerifies({ hash: 'sha256', publicKeyPem: certPublicKey, signature: Buffer.from(v.validSignature.hex, 'hex'), data: FREERTOS_MESSAGE })).toBe(true);
  });

  it('[FreeRTOS OTA PAL sig-sha256-rsa] the published RSA-2048 test key reproduces the published signature byte for byte (PKCS#1 v1.5 is deterministic)', async () => {
    const v = freertosVector('sig-sha256-rsa');
    const key = localSigningKey(v.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY, [pemToDer(v.signerCertificatePem)]);
    const artifact = await platform.sign(signRequest(d, FREERTOS_MESSAGE, key, { encryptionAlgorithm: 'RSA' }));
    expect(Buffer.from(artifact.rawSignature).toString('hex')).toBe(v.validSignature.hex);
    const { header } = readSignedJson((await collect(artifact.body())).toString('utf8'));
    expect(header.signature).toBe(Buffer.from(v.validSignature.hex, 'hex').toString('base64'));
  });
});

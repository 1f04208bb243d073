import { describe, expect, it } from 'vitest';
import platform from '../platforms/AmazonFreeRTOS-TI-CC3220SF/index.js';
import descriptor from '../platforms/AmazonFreeRTOS-TI-CC3220SF/descriptor.json' with { type: 'json' };
import type { PlatformDescriptorFile } from '../platforms/platform.types.js';
import { openssl, signRequest, withTempDir } from './platforms-helpers.js';
import { FREERTOS_MESSAGE, freertosVector, otaJsonSuite } from './platforms-ota-json-suite.js';
import { localSigningKey, pemToDer } from './support/local-signing-key.js';
import { writeFileSync } from 'node:fs';

const d = descriptor as PlatformDescriptorFile;

otaJsonSuite(platform, d, [
  { encryptionAlgorithm: 'RSA', hash: 'SHA1', keyType: 'RSA_2048', otaKey: 'sig-sha1-rsa', signatureAlgorithm: 'SHA1withRSA' },
  { encryptionAlgorithm: 'RSA', hash: 'SHA1', keyType: 'RSA_3072', otaKey: 'sig-sha1-rsa', signatureAlgorithm: 'SHA1withRSA' },
]);

describe('AmazonFreeRTOS-TI-CC3220SF: published TI test signer', () => {
  it('[FreeRTOS OTA PAL sig-sha1-rsa] the published RSA-SHA1 test key reproduces the published ucValidSignature byte for byte', async () => {
    const v = freertosVector('sig-sha1-rsa');
    const key = localSigningKey(v.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY, [pemToDer(v.signerCertificatePem)]);
    const artifact = await platform.sign(signRequest(d, FREERTOS_MESSAGE, key));
    expect(Buffer.from(artifact.rawSignature).toString('hex')).toBe(v.validSignature.hex);
  });

  it('[CC3220SF network processor] the signature verifies with the certificate that chains to the TI dummy root (openssl verify + dgst)', async () => {
    const v = freertosVector('sig-sha1-rsa');
    const artifact = await platform.sign(signRequest(d, FREERTOS_MESSAGE, localSigningKey(v.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY)));
    withTempDir((p) => {
      writeFileSync(p('signer.pem'), v.signerCertificatePem);
      writeFileSync(p('msg.bin'), FREERTOS_MESSAGE);
      writeFileSync(p('sig.bin'), artifact.rawSignature);
      const root = new URL('./vectors/bootloaders/freertos-ota/certs/rsa-sha1-root-ca-cert.pem', import.meta.url).pathname;
      expect(openssl(['verify', '-no_check_time', '-CAfile', root, p('signer.pem')]).status).toBe(0);
      const pub = openssl(['x509', '-in', p('signer.pem'), '-pubkey', '-noout']);
      writeFileSync(p('pub.pem'), pub.out);
      expect(openssl(['dgst', '-sha1', '-verify', p('pub.pem'), '-signature', p('sig.bin'), p('msg.bin')]).out).toContain('Verified OK');
    });
  });
});

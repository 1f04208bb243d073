import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import platform from '../platforms/AWSIoTDeviceManagement-SHA256-ECDSA/index.js';
import descriptor from '../platforms/AWSIoTDeviceManagement-SHA256-ECDSA/descriptor.json' with { type: 'json' };
import { readSignedJson } from '../platforms/_shared/index.js';
import type { PlatformDescriptorFile } from '../platforms/platform.types.js';
import { collect, openssl, publicPem, signRequest, withTempDir } from './platforms-helpers.js';
import { otaJsonSuite } from './platforms-ota-json-suite.js';
import { generateTestKey, localSigningKey } from './support/local-signing-key.js';
import { writeFileSync } from 'node:fs';

const d = descriptor as PlatformDescriptorFile;

otaJsonSuite(platform, d, [
  { encryptionAlgorithm: 'ECDSA', hash: 'SHA256', keyType: 'EC_prime256v1', otaKey: 'sig-sha256-ecdsa', signatureAlgorithm: 'SHA256withECDSA' },
]);

describe('AWSIoTDeviceManagement-SHA256-ECDSA: large objects', () => {
  it('[platform maxSizeInMB 2048] a 256 MiB source is hashed while streaming (never concatenated) and the digest signature verifies with openssl pkeyutl', async () => {
    const chunk = new Uint8Array(1024 * 1024).map((_, i) => (i * 31 + 7) & 0xff);
    const chunks = 256;
    let opened = 0;
    const openSource = async function* () {
      opened++;
      for (let i = 0; i < chunks; i++) yield chunk;
    };
    const key = generateTestKey('EC_prime256v1');
    const artifact = await platform.sign(signRequest(d, new Uint8Array(0), localSigningKey(key), { openSource, sourceSize: chunks * chunk.length }));
    const h = createHash('sha256');
    for (let i = 0; i < chunks; i++) h.update(chunk);
    const digest = h.digest();
    const { header } = readSignedJson((await collect(artifact.body())).toString('utf8'));
    expect(opened).toBe(1); // JSONDetached is one pass
    expect(header.digest).toBe(digest.toString('base64'));
    withTempDir((p) => {
      writeFileSync(p('pub.pem'), publicPem(key));
      writeFileSync(p('digest.bin'), digest);
      writeFileSync(p('sig.der'), artifact.rawSignature);
      const r = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', p('pub.pem'), '-in', p('digest.bin'), '-sigfile', p('sig.der')]);
      expect(r.out).toContain('Signature Verified Successfully');
    });
  });
});

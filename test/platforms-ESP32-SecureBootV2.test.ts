import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { p256, p384 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import platform, { sbv2Format } from '../platforms/ESP32-SecureBootV2/index.js';
import descriptor from '../platforms/ESP32-SecureBootV2/descriptor.json' with { type: 'json' };
import { PlatformInputError, type KeyType, type PlatformDescriptorFile, type SignRequest, type SigningKey } from '../platforms/platform.types.js';
import { collect, opensslVerifies, publicPem, signRequest, sourceOf } from './platforms-helpers.js';
import { generateTestKey, localSigningKey } from './support/local-signing-key.js';

const d = descriptor as PlatformDescriptorFile;
const dir = new URL('./vectors/bootloaders/esp32-sbv2/', import.meta.url);
const file = (name: string) => readFileSync(new URL(name, dir));
const manifest = JSON.parse(file('manifest.json').toString('utf8')) as { key_digests: Record<string, string> };
const BLOCK = 1216;

async function sign(bytes: Uint8Array, key: SigningKey, over: Partial<SignRequest> = {}): Promise<{ out: Buffer; raw: Uint8Array }> {
  const encryptionAlgorithm = key.keyType.startsWith('RSA') ? 'RSA' : 'ECDSA';
  const hashAlgorithm = key.keyType === 'EC_secp384r1' ? 'SHA384' : 'SHA256';
  const artifact = await platform.sign(signRequest(d, bytes, key, { encryptionAlgorithm, hashAlgorithm, ...over }));
  return { out: await collect(artifact.body()), raw: artifact.rawSignature };
}

/** Where the signature sits in a block (the only bytes a randomized signature changes, with the CRC). */
function signatureRange(block: Buffer): [number, number] {
  if (block[1] === 2) return [812, 1196];
  const size = block[2] === 1 ? 48 : 32;
  const start = 4 + size + 1 + 2 * size;
  return [start, start + 2 * size];
}

/** openssl checks a block's signature over the image region (test-side conversion of the stored form). */
function opensslAcceptsBlock(block: Buffer, region: Uint8Array, publicKeyPem: string): boolean {
  const [s, e] = signatureRange(block);
  const sig = Buffer.from(block.subarray(s, e));
  if (block[1] === 2) return opensslVerifies({ hash: 'sha256', publicKeyPem, signature: sig.reverse(), data: region, pssSaltLen: 32 });
  const size = (e - s) / 2;
  const compact = Buffer.concat([Buffer.from(sig.subarray(0, size)).reverse(), Buffer.from(sig.subarray(size)).reverse()]);
  const der = (size === 48 ? p384 : p256).Signature.fromBytes(compact, 'compact').toBytes('der');
  return opensslVerifies({ hash: size === 48 ? 'sha384' : 'sha256', publicKeyPem, signature: der, data: region });
}

const VECTORS = [
  { input: 'generated/payload-4096.bin', vector: 'generated/payload-4096.sbv2-rsa3072.bin', key: 'rsa_secure_boot_signing_key.pem' },
  { input: 'generated/payload-4096.bin', vector: 'generated/payload-4096.sbv2-ecdsa256.bin', key: 'ecdsa256_secure_boot_signing_key.pem' },
  { input: 'generated/payload-4096.bin', vector: 'generated/payload-4096.sbv2-ecdsa384.bin', key: 'ecdsa384_secure_boot_signing_key.pem' },
  { input: 'generated/payload-3000.bin', vector: 'generated/payload-3000.sbv2-ecdsa256.bin', key: 'ecdsa256_secure_boot_signing_key.pem' },
  { input: 'esptool-fixtures/bootloader_unsigned_v2.bin', vector: 'esptool-fixtures/bootloader_signed_v2_rsa.bin', key: 'rsa_secure_boot_signing_key.pem' },
  { input: 'esptool-fixtures/bootloader_unsigned_v2.bin', vector: 'esptool-fixtures/bootloader_signed_v2_ecdsa256.bin', key: 'ecdsa256_secure_boot_signing_key.pem' },
  { input: 'esptool-fixtures/bootloader_unsigned_v2.bin', vector: 'esptool-fixtures/bootloader_signed_v2_ecdsa384.bin', key: 'ecdsa384_secure_boot_signing_key.pem' },
];

describe('ESP32-SecureBootV2: against espsecure-signed vectors and published keys', () => {
  for (const v of VECTORS) {
    it(`[espsecure sign_data -v 2, secure-boot-v2.rst "Signature Block Format"] ${v.key} on ${v.input}: every byte but the randomized signature (and its CRC) equals ${v.vector}; openssl verifies our block`, async () => {
      const keyPem = file(`esptool-fixtures/${v.key}`).toString('utf8');
      const { out, raw } = await sign(new Uint8Array(file(v.input)), localSigningKey(keyPem));
      const vector = file(v.vector);
      expect(out.length).toBe(vector.length);
      const L = out.length - 4096;
      expect(out.subarray(0, L).equals(vector.subarray(0, L))).toBe(true);
      const ours = out.subarray(L, L + BLOCK);
      const theirs = vector.subarray(L, L + BLOCK);
      const [s, e] = signatureRange(ours);
      expect(ours.subarray(0, s).equals(theirs.subarray(0, s))).toBe(true);
      expect(ours.subarray(e, 1196).equals(theirs.subarray(e, 1196))).toBe(true);
      expect(ours.subarray(1200).equals(theirs.subarray(1200))).toBe(true);
      expect(out.subarray(L + BLOCK).equals(vector.subarray(L + BLOCK))).toBe(true);
      expect(ours.readUInt32LE(1196)).toBe(crc32(ours.subarray(0, 1196)) >>> 0);
      expect(Buffer.from(sbv2Format.publicKeyDigest(ours)).toString('hex')).toBe(manifest.key_digests[v.key]);
      const pub = publicPem(createPublicKey(createPrivateKey(keyPem)));
      expect(opensslAcceptsBlock(ours, out.subarray(0, L), pub)).toBe(true);
      expect(opensslAcceptsBlock(theirs, vector.subarray(0, L), pub)).toBe(true); // the oracle accepts espsecure's block too
      const tampered = Buffer.from(out.subarray(0, L));
      tampered[100] = tampered[100]! ^ 1;
      expect(opensslAcceptsBlock(ours, tampered, pub)).toBe(false);
      expect(raw.length).toBeGreaterThan(0);
    });
  }

  it('[secure-boot-v2.rst "Verifying a Signature Block"] the RSA public key digest equals the published rsa_public_key_digest.bin', async () => {
    const { out } = await sign(new Uint8Array(file('generated/payload-4096.bin')), localSigningKey(file('esptool-fixtures/rsa_secure_boot_signing_key.pem').toString('utf8')));
    expect(Buffer.from(sbv2Format.publicKeyDigest(out.subarray(4096, 4096 + BLOCK))).equals(file('esptool-fixtures/rsa_public_key_digest.bin'))).toBe(true);
  });
});

describe('ESP32-SecureBootV2: fresh local keys', () => {
  for (const keyType of ['RSA_3072', 'EC_prime256v1', 'EC_secp384r1'] as KeyType[]) {
    it(`[issue 3 item 2] a ${keyType} key signs a 10 000-byte image: padded to 12 288 with 0xff, one valid block, openssl verifies`, async () => {
      const keyObject = generateTestKey(keyType);
      const data = new Uint8Array(10_000).map((_, i) => i & 0xff);
      const { out } = await sign(data, localSigningKey(keyObject));
      expect(out.length).toBe(12_288 + 4096);
      expect(out.subarray(10_000, 12_288).every((b) => b === 0xff)).toBe(true);
      const block = out.subarray(12_288, 12_288 + BLOCK);
      expect(block[0]).toBe(0xe7);
      expect(block.readUInt32LE(1196)).toBe(crc32(block.subarray(0, 1196)) >>> 0);
      expect(opensslAcceptsBlock(block, out.subarray(0, 12_288), publicPem(keyObject))).toBe(true);
    });
  }
});

describe('ESP32-SecureBootV2: bad input is refused with PlatformInputError', () => {
  const rsa = localSigningKey(file('esptool-fixtures/rsa_secure_boot_signing_key.pem').toString('utf8'));
  const data = new Uint8Array(file('generated/payload-4096.bin'));
  const table: [string, SigningKey, Partial<SignRequest>, RegExp][] = [
    ['empty source', rsa, { sourceSize: 0, openSource: sourceOf(new Uint8Array(0)) }, /empty/],
    ['source over maxSizeInMB', rsa, { sourceSize: 16 * 1024 * 1024 + 1 }, /at most/],
    ['truncated source', rsa, { sourceSize: data.length + 7 }, /changed while signing/],
    ['RSA-2048 key (the ROM verifies RSA-3072 only)', localSigningKey(generateTestKey('RSA_2048')), {}, /needs a key of type RSA_3072/],
    ['Ed25519 key', localSigningKey(generateTestKey('ED25519')), { encryptionAlgorithm: 'ECDSA' }, /needs a key of type/],
    ['P-384 key with SHA256', localSigningKey(generateTestKey('EC_secp384r1')), { hashAlgorithm: 'SHA256' }, /use SHA384/],
    ['P-256 key with SHA384', localSigningKey(generateTestKey('EC_prime256v1')), { hashAlgorithm: 'SHA384' }, /use SHA256/],
    ['image format outside supportedFormats', rsa, { imageFormat: 'JSONEmbedded' }, /signing image format/],
  ];
  for (const [name, key, over, message] of table) {
    it(`refuses ${name}`, async () => {
      const attempt = sign(data, key, over);
      await expect(attempt).rejects.toBeInstanceOf(PlatformInputError);
      await expect(attempt).rejects.toThrow(message);
    });
  }
});

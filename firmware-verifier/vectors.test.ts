/**
 * Every vendor vector in test/vectors is judged the way the vendor tool / boot loader judged it
 * (manifests: test/vectors/bootloaders/{mcuboot,esp32-sbv2}/manifest.json, freertos-ota/vectors.json).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTrustStore, createVerifier, verify, type ReasonCode, type VerifyResult } from './index.js';

const VECTORS = new URL('../test/vectors/bootloaders/', import.meta.url);
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, VECTORS)));
const json = (path: string): any => JSON.parse(readFileSync(new URL(path, VECTORS), 'utf8'));
const spkiOf = (path: string): Uint8Array => new Uint8Array(createPublicKey(readFileSync(new URL(path, VECTORS))).export({ type: 'spki', format: 'der' }));
const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

/** Streams `bytes` in chunks of `size` and returns the result. */
function streamed(bytes: Uint8Array, size: number, run: (v: ReturnType<typeof createVerifier>) => void, v: ReturnType<typeof createVerifier>): VerifyResult {
  for (let i = 0; i < bytes.length; i += size) v.update(bytes.subarray(i, i + size));
  run(v);
  return v.finish();
}

/** imgtool verify messages → the check bootutil fails first for the same image. */
const IMGTOOL_REASON: Record<string, ReasonCode> = {
  'Invalid image magic; is this an MCUboot image?': 'BadMagic',
  'Invalid TLV info magic; is this an MCUboot image?': 'BadMagic',
  'Image has an invalid hash': 'HashMismatch',
};

describe('MCUboot vectors (imgtool 2.4.0 manifest)', () => {
  const manifest = json('mcuboot/manifest.json');
  const images = Object.entries(manifest.images as Record<string, any>);
  const keyNames = ['root-ec-p256.pem', 'root-ec-p384.pem', 'root-rsa-2048.pem', 'root-rsa-3072.pem', 'root-ed25519.pem', 'bad-ec-p256.pem', 'bad-rsa-2048.pem'];

  for (const [name, entry] of images) {
    for (const keyName of keyNames) {
      const expected = entry.imgtool_verify[keyName] as { rc: number; stdout: string[] };
      it(`[bootutil_img_validate] ${name} with only ${keyName} trusted: ${expected.rc === 0 ? 'accepted' : 'rejected'} like imgtool verify -k`, () => {
        const trust = createTrustStore({ publicKeys: [spkiOf(`mcuboot/keys/${keyName}`)] });
        const result = verify(read(`mcuboot/images/${name}`), 'mcuboot', trust);
        expect(result.ok).toBe(expected.rc === 0);
        const reason = IMGTOOL_REASON[expected.stdout[0] as string];
        if (!result.ok && reason !== undefined && expected.stdout[0] !== undefined && entry.imgtool_verify['(no key)'].rc !== 0) {
          expect(result.reason).toBe(reason);
        }
      });
    }
  }

  const allKeys = createTrustStore({ publicKeys: keyNames.map((k) => spkiOf(`mcuboot/keys/${k}`)) });
  const expectedReason: Record<string, ReasonCode> = {
    'neg-ecdsa-p256-bad-magic.bin': 'BadMagic',
    'neg-ecdsa-p256-bad-tlv-magic.bin': 'BadMagic',
    'neg-ecdsa-p256-body-bitflip.bin': 'HashMismatch',
    'neg-ecdsa-p256-header-version-changed.bin': 'HashMismatch',
    'neg-ecdsa-p256-seccnt-altered.bin': 'HashMismatch',
    'neg-ecdsa-p256-sig-lastbyte-flip.bin': 'SignatureInvalid',
    'neg-ed25519-body-bitflip.bin': 'HashMismatch',
    'hash-only.signed.bin': 'MissingSignature',
  };
  for (const [name, reason] of Object.entries(expectedReason)) {
    it(`[image_validate.c] broken copy ${name} is rejected with ${reason} (manifest: ${String(manifest.images[name].imgtool_sign_cmd).slice(0, 60)}…)`, () => {
      const result = verify(read(`mcuboot/images/${name}`), 'mcuboot', allKeys);
      expect(result).toMatchObject({ ok: false, reason });
    });
  }

  for (const [name, entry] of images.filter(([n]) => n.endsWith('.signed.bin') && n !== 'hash-only.signed.bin')) {
    it(`[streaming] ${name} gives the same verdict in 1-, 7- and 4096-byte chunks and reports the manifest digest`, () => {
      const bytes = read(`mcuboot/images/${name}`);
      const whole = verify(bytes, 'mcuboot', allKeys);
      expect(whole.ok).toBe(true);
      if (whole.ok) {
        const digestTlv = (entry.layout.tlvs as { name: string; value_hex: string }[]).find((t) => t.name.startsWith('SHA'));
        expect(whole.info.digest).toBe(digestTlv?.value_hex);
        expect(whole.info.version).toBe(entry.layout.header.ih_ver);
      }
      for (const size of [1, 7, 4096]) expect(streamed(bytes, size, () => undefined, createVerifier('mcuboot', allKeys))).toEqual(whole);
    });
  }
});

describe('ESP32 Secure Boot V2 vectors (espsecure v5.3.1 manifest)', () => {
  const manifest = json('esp32-sbv2/manifest.json');
  const keyFiles: Record<string, string> = {
    'rsa_secure_boot_signing_key.pem': 'esptool-fixtures/rsa_secure_boot_signing_key.pem',
    'rsa_secure_boot_signing_key2.pem': 'esptool-fixtures/rsa_secure_boot_signing_key2.pem',
    'ecdsa256_secure_boot_signing_key.pem': 'esptool-fixtures/ecdsa256_secure_boot_signing_key.pem',
    'ecdsa256_secure_boot_signing_key2.pem': 'esptool-fixtures/ecdsa256_secure_boot_signing_key2.pem',
    'ecdsa384_secure_boot_signing_key.pem': 'esptool-fixtures/ecdsa384_secure_boot_signing_key.pem',
  };
  const trustFor = (keyName: string) =>
    keyFiles[keyName] !== undefined
      ? createTrustStore({ publicKeys: [spkiOf(`esp32-sbv2/${keyFiles[keyName]}`)] })
      : createTrustStore({ esp32KeyDigests: [hex(manifest.key_digests[keyName])] });

  it('[secure-boot-v2.rst "eFuse Usage"] key digests derived from the public keys equal espsecure digest-sbv2-public-key', () => {
    for (const keyName of Object.keys(keyFiles)) {
      expect(Buffer.from(trustFor(keyName).esp32KeyDigests[0] as Uint8Array).toString('hex')).toBe(manifest.key_digests[keyName]);
    }
  });

  for (const [file, entry] of Object.entries(manifest.files as Record<string, any>)) {
    const verdicts = entry.verify['espsecure v5.3.1'] as Record<string, { rc: number }>;
    for (const [keyName, verdict] of Object.entries(verdicts)) {
      // ECDSA P-192 is deliberately unsupported (weak curve); espsecure accepts it.
      const expectOk = verdict.rc === 0 && keyName !== 'ecdsa192_secure_boot_signing_key.pem';
      it(`[secure_boot_signatures_bootloader.c] ${file} with eFuse digest of ${keyName}: ${expectOk ? 'accepted' : 'rejected'}`, () => {
        expect(verify(read(`esp32-sbv2/${file}`), 'esp32-sbv2', trustFor(keyName)).ok).toBe(expectOk);
      });
    }
  }

  const both = createTrustStore({ publicKeys: Object.values(keyFiles).slice(0, 3).map((f) => spkiOf(`esp32-sbv2/${f}`)) });
  const expected: Record<string, ReasonCode> = {
    'generated/neg-crc-flip.sbv2-ecdsa256.bin': 'BadCrc',
    'generated/neg-sig-r-flip.sbv2-ecdsa256.bin': 'BadCrc',
    'generated/neg-payload-bitflip.sbv2-ecdsa256.bin': 'HashMismatch',
    'generated/neg-sig-r-flip-crc-fixed.sbv2-ecdsa256.bin': 'SignatureInvalid',
    'generated/neg-sig-flip-crc-fixed.sbv2-rsa3072.bin': 'SignatureInvalid',
    'esptool-fixtures/bootloader_unsigned_v2.bin': 'BadMagic',
  };
  for (const [file, reason] of Object.entries(expected)) {
    it(`[bootloaders-verify-like-a-bootloader ESP32 §2-5] broken copy ${file} is rejected with ${reason}`, () => {
      expect(verify(read(`esp32-sbv2/${file}`), 'esp32-sbv2', both)).toMatchObject({ ok: false, reason });
    });
  }

  it('[secure-boot-v2.rst] the P-192 fixture is rejected as UnsupportedAlgorithm when its digest is trusted', () => {
    expect(verify(read('esp32-sbv2/esptool-fixtures/bootloader_signed_v2_ecdsa192.bin'), 'esp32-sbv2', trustFor('ecdsa192_secure_boot_signing_key.pem'))).toMatchObject({
      ok: false,
      reason: 'UnsupportedAlgorithm',
    });
  });

  it('[streaming] ESP32 images verify identically in 1-, 1000- and 5000-byte chunks', () => {
    for (const file of ['generated/payload-3000.sbv2-ecdsa256.bin', 'generated/payload-4096.sbv2-rsa3072-2keys.bin', 'esptool-fixtures/bootloader_multi_signed_v2_rsa.bin']) {
      const bytes = read(`esp32-sbv2/${file}`);
      const whole = verify(bytes, 'esp32-sbv2', both);
      expect(whole.ok).toBe(true);
      for (const size of [1, 1000, 5000]) expect(streamed(bytes, size, () => undefined, createVerifier('esp32-sbv2', both))).toEqual(whole);
    }
  });
});

describe('FreeRTOS OTA PAL vectors (freertos-ota/vectors.json)', () => {
  const file = json('freertos-ota/vectors.json');
  for (const vector of file.vectors as any[]) {
    it(`[otaPal_CheckFileSignature] ${vector.job_doc_sig_key} ${vector.signature_name}: ${vector.expected_valid ? 'accepted' : 'rejected with SignatureInvalid'}`, () => {
      const message = hex(vector.message_override_hex ?? file.message.hex);
      const signature = hex(vector.signature_hex);
      const cert = readFileSync(new URL(`freertos-ota/${vector.cert}`, VECTORS), 'utf8');
      const result =
        vector.job_doc_sig_key === 'sig-sha1-rsa'
          ? verify(message, 'cc3220sf', createTrustStore({ certificates: [cert], roots: [readFileSync(new URL('freertos-ota/certs/rsa-sha1-root-ca-cert.pem', VECTORS), 'utf8')] }), { signature })
          : verify(message, 'freertos', createTrustStore({ certificates: [cert] }), { signature, signatureMethod: vector.job_doc_sig_key });
      expect(result.ok).toBe(vector.expected_valid);
      if (!result.ok) expect(result.reason).toBe('SignatureInvalid');
    });
  }
});

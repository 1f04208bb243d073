/**
 * MCUboot bad-input table: each row names the bootutil rule it exercises
 * (mcu-tools/mcuboot boot/bootutil/src/{image_validate.c,tlv.c,bootutil_find_key.c,loader.c}).
 */
import { generateKeyPairSync } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  createTrustStore,
  createVerifier,
  InMemoryRevocationList,
  InMemoryRollbackCounter,
  verify,
  type McubootOptions,
  type ReasonCode,
  type TrustStore,
} from '../index.js';
import {
  b64uToBigInt,
  mcubootEcdsaSigner,
  mcubootEd25519Signer,
  mcubootImage,
  mcubootRsaSigner,
  spkiFor,
  type McubootImageSpec,
  type RsaPrivate,
} from '../testing/signers.js';

const payload = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) & 0xff);
const p256Secret = sha256(new TextEncoder().encode('test-only p256 key'));
const p256Spki = spkiFor('p256', p256.getPublicKey(p256Secret, false));
const otherSecret = sha256(new TextEncoder().encode('test-only other p256 key'));
const otherSpki = spkiFor('p256', p256.getPublicKey(otherSecret, false));
const p384Secret = sha256(new TextEncoder().encode('test-only p384 key')).slice(0, 32);
const p384SecretFull = Uint8Array.from([...p384Secret, ...p384Secret.slice(0, 16)]);
const p384Spki = spkiFor('p384', p384.getPublicKey(p384SecretFull, false));
const edSecret = sha256(new TextEncoder().encode('test-only ed25519 key'));
const edSpki = spkiFor('ed25519', ed25519.getPublicKey(edSecret));

function rsaKey(bits: number): { priv: RsaPrivate; spki: Uint8Array; pkcs1: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    priv: { n: b64uToBigInt(jwk.n as string), e: b64uToBigInt(jwk.e as string), d: b64uToBigInt(jwk.d as string) },
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    pkcs1: new Uint8Array(publicKey.export({ type: 'pkcs1', format: 'der' })),
  };
}
const rsa2048 = rsaKey(2048);
const rsa3072 = rsaKey(3072);

const trust = createTrustStore({ publicKeys: [p256Spki, p384Spki, edSpki, rsa2048.spki, rsa3072.spki] });
const p256Only = createTrustStore({ publicKeys: [p256Spki] });
const signer = mcubootEcdsaSigner('p256', p256Secret, p256Spki);
const secCnt = (n: number) => ({ type: 0x50, value: Uint8Array.from([n & 0xff, (n >> 8) & 0xff, 0, 0]) });

function image(spec: Partial<McubootImageSpec> = {}): Uint8Array {
  return mcubootImage({ payload, signer, protectedTlvs: [secCnt(5)], ...spec });
}
const good = image();
/** Offset of the unprotected TLV info header in `good` (hdr 32 + payload + protected 12). */
const unprot = 32 + 4096 + 12;

function patched(base: Uint8Array, patch: (b: Uint8Array, dv: DataView) => void): Uint8Array {
  const copy = Uint8Array.from(base);
  patch(copy, new DataView(copy.buffer));
  return copy;
}

interface Row {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly reason: ReasonCode | 'ok';
  readonly options?: McubootOptions;
  readonly trust?: TrustStore;
}

const revokedList = new InMemoryRevocationList();
revokedList.apply({ version: 1, keys: [p256Only.publicKeys[0]!.id] });

const rows: Row[] = [
  { name: '[baseline] imgtool-shaped ECDSA P-256 image with protected SEC_CNT', bytes: good, reason: 'ok' },
  { name: '[boot_check_header_valid] empty input', bytes: new Uint8Array(0), reason: 'Truncated' },
  { name: '[boot_check_header_valid] header cut at 31 bytes', bytes: good.subarray(0, 31), reason: 'Truncated' },
  { name: '[image.h IMAGE_MAGIC] wrong ih_magic', bytes: patched(good, (b) => (b[0] = 0x3c)), reason: 'BadMagic' },
  { name: '[image.h] ih_hdr_size smaller than the 32-byte header', bytes: patched(good, (_, dv) => dv.setUint16(8, 16, true)), reason: 'BadHeader' },
  { name: '[boot_check_header_valid] ENCRYPTED_AES128 needs encryption support', bytes: patched(good, (_, dv) => dv.setUint32(16, 0x04, true)), reason: 'UnsupportedAlgorithm' },
  { name: '[image.h] unknown ih_flags bit', bytes: patched(good, (_, dv) => dv.setUint32(16, 0x02, true)), reason: 'BadHeader' },
  { name: '[tlv.c] ih_protect_tlv_size smaller than its info header', bytes: patched(good, (_, dv) => dv.setUint16(10, 2, true)), reason: 'BadTlv' },
  { name: '[working memory] protected TLV area over 8 KiB', bytes: patched(good, (_, dv) => dv.setUint16(10, 9000, true)), reason: 'Oversize' },
  { name: '[boot_check_header_valid] ih_img_size beyond the slot', bytes: patched(good, (_, dv) => dv.setUint32(12, 0xfffffff0, true)), reason: 'Oversize' },
  { name: '[boot_check_header_valid] image larger than slotSize', bytes: good, reason: 'Oversize', options: { slotSize: 4096 } },
  { name: '[slot] bytes past the slot end', bytes: Uint8Array.from([...good, ...new Uint8Array(100)]), reason: 'Oversize', options: { slotSize: good.length + 10 } },
  { name: '[slot] padding and trailer after the TLVs inside the slot are ignored', bytes: Uint8Array.from([...good, ...new Uint8Array(100).fill(0xff)]), reason: 'ok', options: { slotSize: 0x2000 } },
  { name: '[stream] cut inside the payload', bytes: good.subarray(0, 1000), reason: 'Truncated' },
  { name: '[stream] cut inside the unprotected TLVs', bytes: good.subarray(0, good.length - 5), reason: 'Truncated' },
  { name: '[stream] cut inside the unprotected TLV info', bytes: good.subarray(0, unprot + 2), reason: 'Truncated' },
  { name: '[tlv.c] unprotected info magic 0x6906', bytes: patched(good, (_, dv) => dv.setUint16(unprot, 0x6906, true)), reason: 'BadMagic' },
  { name: '[tlv.c] unprotected it_tlv_tot smaller than its header', bytes: patched(good, (_, dv) => dv.setUint16(unprot + 2, 3, true)), reason: 'BadTlv' },
  { name: '[working memory] unprotected area over 8 KiB', bytes: patched(good, (_, dv) => dv.setUint16(unprot + 2, 9000, true)), reason: 'Oversize' },
  { name: '[bootutil_max_image_size] TLVs run past the slot', bytes: good, reason: 'Oversize', options: { slotSize: unprot + 8 } },
  { name: '[tlv.c] protected info magic wrong', bytes: patched(good, (_, dv) => dv.setUint16(32 + 4096, 0x6907, true)), reason: 'BadMagic' },
  { name: '[tlv.c] protected it_tlv_tot differs from ih_protect_tlv_size', bytes: patched(good, (_, dv) => dv.setUint16(32 + 4096 + 2, 8, true)), reason: 'BadTlv' },
  { name: '[tlv.c] a TLV value runs past its area end', bytes: patched(good, (_, dv) => dv.setUint16(unprot + 2, dv.getUint16(unprot + 2, true) - 2, true)), reason: 'BadTlv' },
  {
    name: '[tlv.c] a TLV value runs past its area end (area shortened, image too)',
    bytes: patched(good, (_, dv) => dv.setUint16(unprot + 2, dv.getUint16(unprot + 2, true) - 2, true)).subarray(0, good.length - 2),
    reason: 'BadTlv',
  },
  {
    name: '[tlv.c] a TLV header runs past its area end',
    bytes: patched(mcubootImage({ payload, signer, extraUnprotected: [{ type: 0x01, value: new Uint8Array(0) }] }), (_, dv) =>
      dv.setUint16(unprot - 12 + 2, dv.getUint16(unprot - 12 + 2, true) - 2, true),
    ),
    reason: 'BadTlv',
  },
  { name: '[MCUBOOT_USE_TLV_ALLOW_LIST] SEC_CNT in the unprotected area', bytes: mcubootImage({ payload, signer, extraUnprotected: [secCnt(1)] }), reason: 'UnknownTlv' },
  { name: '[MCUBOOT_USE_TLV_ALLOW_LIST] encryption TLV on an unencrypted image', bytes: mcubootImage({ payload, signer, extraUnprotected: [{ type: 0x30, value: new Uint8Array(8) }] }), reason: 'UnknownTlv' },
  { name: '[allow-list] unknown protected TLV 0x30', bytes: image({ protectedTlvs: [{ type: 0x30, value: new Uint8Array(4) }] }), reason: 'UnknownTlv' },
  { name: '[image.h vendor range] protected vendor TLV 0x00a0 is hashed and accepted', bytes: image({ protectedTlvs: [secCnt(5), { type: 0xa0, value: new Uint8Array(3) }] }), reason: 'ok' },
  { name: '[image_validate.c] SEC_CNT twice', bytes: image({ protectedTlvs: [secCnt(5), secCnt(6)] }), reason: 'BadTlv' },
  { name: '[image_validate.c] SEC_CNT not 4 bytes', bytes: image({ protectedTlvs: [{ type: 0x50, value: new Uint8Array(2) }] }), reason: 'BadTlv' },
  { name: '[image_validate.c] hash TLV missing', bytes: patched(good, (_, dv) => dv.setUint16(unprot + 4, 0x01, true)), reason: 'MissingHash' },
  { name: '[image_validate.c] two hash TLVs', bytes: mcubootImage({ payload, signer, extraUnprotected: [{ type: 0x10, value: new Uint8Array(32) }] }), reason: 'BadTlv' },
  { name: '[image_validate.c] hash TLV length wrong for its type', bytes: patched(good, (_, dv) => dv.setUint16(unprot + 4, 0x11, true)), reason: 'BadTlv' },
  { name: '[build config] SHA-512 image on a SHA-256 build', bytes: mcubootImage({ payload, hash: 'sha512', signer: mcubootEd25519Signer(edSecret, edSpki) }), reason: 'UnsupportedAlgorithm' },
  { name: '[build config] SHA-512 + Ed25519 accepted when sha512 is enabled', bytes: mcubootImage({ payload, hash: 'sha512', signer: mcubootEd25519Signer(edSecret, edSpki) }), reason: 'ok', options: { hashes: ['sha512'] } },
  { name: '[image_validate.c] payload bit flip', bytes: patched(good, (b) => (b[100] = (b[100] as number) ^ 1)), reason: 'HashMismatch' },
  { name: '[bootutil_find_key] KEYHASH of an untrusted key', bytes: mcubootImage({ payload, signer: mcubootEcdsaSigner('p256', otherSecret, otherSpki) }), reason: 'KeyHashMismatch' },
  { name: '[bootutil_find_key] KEYHASH of 20 bytes', bytes: mcubootImage({ payload, signer: (h) => [{ type: 0x01, value: new Uint8Array(20) }, ...signer(h).slice(1)] }), reason: 'BadTlv' },
  { name: '[bootutil_find_key] signature with no KEYHASH before it', bytes: mcubootImage({ payload, signer: (h) => signer(h).slice(1) }), reason: 'KeyHashMismatch' },
  { name: '[image_ecdsa.c] signature over another hash', bytes: mcubootImage({ payload, signer: (h) => signer(sha256(h)) }), reason: 'SignatureInvalid' },
  { name: '[revocation] KEYHASH names a revoked key', bytes: good, reason: 'Revoked', trust: createTrustStore({ publicKeys: [p256Spki], revocation: revokedList }) },
  { name: '[bootutil] ED25519 TLV under an ECDSA key is not a valid signature', bytes: mcubootImage({ payload, signer: (h) => [signer(h)[0]!, { type: 0x24, value: new Uint8Array(64) }] }), reason: 'SignatureInvalid' },
  { name: '[image_ecdsa.c] P-384 key with a SHA-256 image hash', bytes: mcubootImage({ payload, signer: mcubootEcdsaSigner('p384', p384SecretFull, p384Spki) }), reason: 'SignatureInvalid' },
  { name: '[imgtool] P-384 image with SHA-384 hash and 48-byte KEYHASH', bytes: mcubootImage({ payload, hash: 'sha384', signer: mcubootEcdsaSigner('p384', p384SecretFull, p384Spki) }), reason: 'ok' },
  { name: '[image_ed25519.c] Ed25519 over a SHA-384 hash', bytes: mcubootImage({ payload, hash: 'sha384', signer: mcubootEd25519Signer(edSecret, edSpki) }), reason: 'SignatureInvalid', options: { hashes: ['sha384'] } },
  { name: '[image_ed25519.c] Ed25519 image', bytes: mcubootImage({ payload, signer: mcubootEd25519Signer(edSecret, edSpki) }), reason: 'ok' },
  { name: '[image_rsa.c] RSA-2048 PSS salt 32', bytes: mcubootImage({ payload, signer: mcubootRsaSigner(rsa2048.priv, rsa2048.pkcs1) }), reason: 'ok' },
  { name: '[image_rsa.c] RSA-3072 PSS salt 32', bytes: mcubootImage({ payload, signer: mcubootRsaSigner(rsa3072.priv, rsa3072.pkcs1) }), reason: 'ok' },
  { name: '[image_rsa.c PSS_SLEN] RSA-PSS with a 20-byte salt', bytes: mcubootImage({ payload, signer: mcubootRsaSigner(rsa2048.priv, rsa2048.pkcs1, new Uint8Array(20)) }), reason: 'SignatureInvalid' },
  {
    name: '[image_rsa.c] RSA-2048 signature in an RSA3072_PSS TLV',
    bytes: mcubootImage({ payload, signer: (h) => mcubootRsaSigner(rsa2048.priv, rsa2048.pkcs1)(h).map((t) => (t.type === 0x20 ? { ...t, type: 0x23 } : t)) }),
    reason: 'SignatureInvalid',
  },
  { name: '[image_rsa.c] RSA key with a SHA-384 image hash', bytes: mcubootImage({ payload, hash: 'sha384', signer: mcubootRsaSigner(rsa2048.priv, rsa2048.pkcs1) }), reason: 'SignatureInvalid', options: { hashes: ['sha384'] } },
  { name: '[MCUBOOT_HW_KEY] PUBKEY TLV with the trusted key', bytes: mcubootImage({ payload, signer: (h) => [{ type: 0x02, value: p256Spki }, signer(h)[1]!] }), reason: 'ok' },
  { name: '[MCUBOOT_HW_KEY] PUBKEY TLV with an untrusted key', bytes: mcubootImage({ payload, signer: (h) => [{ type: 0x02, value: otherSpki }, signer(h)[1]!] }), reason: 'KeyHashMismatch' },
  {
    name: '[imgtool --pad-sig] DER signature padded with zeros verifies (DER length governs)',
    bytes: mcubootImage({ payload, signer: (h) => signer(h).map((t) => (t.type === 0x22 ? { ...t, value: Uint8Array.from([...t.value, 0, 0]) } : t)) }),
    reason: 'ok',
  },
  { name: '[image_ecdsa.c] empty ECDSA signature', bytes: mcubootImage({ payload, signer: (h) => [signer(h)[0]!, { type: 0x22, value: new Uint8Array(0) }] }), reason: 'SignatureInvalid' },
  { name: '[image_ecdsa.c] ECDSA signature with a long-form DER length', bytes: mcubootImage({ payload, signer: (h) => [signer(h)[0]!, { type: 0x22, value: Uint8Array.from([0x30, 0x81, 0x02, 0x00, 0x00]) }] }), reason: 'SignatureInvalid' },
  {
    name: '[bootutil] an untrusted KEYHASH+signature pair before a trusted one: the trusted one decides',
    bytes: mcubootImage({ payload, signer: (h) => [...mcubootEcdsaSigner('p256', otherSecret, otherSpki)(h), ...signer(h)] }),
    reason: 'ok',
  },
  {
    name: '[bootutil] a bad trusted signature then an untrusted pair: SignatureInvalid is reported',
    bytes: mcubootImage({ payload, signer: (h) => [...signer(sha256(h)), ...mcubootEcdsaSigner('p256', otherSecret, otherSpki)(h)] }),
    reason: 'SignatureInvalid',
  },
  {
    name: '[bootutil] ECDSA_SIG TLV under an Ed25519 key is not a valid signature',
    bytes: mcubootImage({ payload, signer: (h) => [mcubootEd25519Signer(edSecret, edSpki)(h)[0]!, signer(h)[1]!] }),
    reason: 'SignatureInvalid',
  },
  { name: '[bootutil] a second signature after a verified one is not needed', bytes: mcubootImage({ payload, signer: (h) => [...signer(h), ...signer(h)] }), reason: 'ok' },
  { name: '[bootutil] hash-only image when keys are provisioned', bytes: mcubootImage({ payload }), reason: 'MissingSignature' },
  { name: '[fail closed] no trusted keys', bytes: good, reason: 'NoTrustAnchor', trust: createTrustStore({}) },
  { name: '[MCUBOOT_HW_ROLLBACK_PROT] SEC_CNT 5 ≥ counter 5', bytes: good, reason: 'ok', options: { rollback: { counter: new InMemoryRollbackCounter({ 'mcuboot:0': 5 }) } } },
  { name: '[MCUBOOT_HW_ROLLBACK_PROT] SEC_CNT 5 < counter 6', bytes: good, reason: 'Rollback', options: { rollback: { counter: new InMemoryRollbackCounter({ 'mcuboot:0': 6 }) } } },
  { name: '[MCUBOOT_HW_ROLLBACK_PROT] counter kept per domain', bytes: good, reason: 'ok', options: { rollback: { counter: new InMemoryRollbackCounter({ 'mcuboot:0': 6 }), domain: 'mcuboot:1' } } },
  { name: '[MCUBOOT_HW_ROLLBACK_PROT] SEC_CNT missing', bytes: image({ protectedTlvs: [] }), reason: 'Rollback', options: { rollback: { counter: new InMemoryRollbackCounter() } } },
  { name: '[MCUBOOT_DOWNGRADE_PREVENTION] 1.2.3 < 1.2.4', bytes: good, reason: 'Downgrade', options: { minVersion: { major: 1, minor: 2, revision: 4 } } },
  { name: '[MCUBOOT_DOWNGRADE_PREVENTION] 1.2.3 = 1.2.3 (build ignored)', bytes: good, reason: 'ok', options: { minVersion: { major: 1, minor: 2, revision: 3, build: 99 } } },
  { name: '[MCUBOOT_DOWNGRADE_PREVENTION] 1.2.3 > 0.9.9', bytes: good, reason: 'ok', options: { minVersion: { major: 0, minor: 9, revision: 9 } } },
  { name: '[VERSION_CMP_USE_BUILD_NUMBER] 1.2.3+4 < 1.2.3+5', bytes: good, reason: 'Downgrade', options: { minVersion: { major: 1, minor: 2, revision: 3, build: 5 }, compareBuildNumber: true } },
  { name: '[VERSION_CMP_USE_BUILD_NUMBER] 1.2.3+4 ≥ 1.2.3 (build 0)', bytes: good, reason: 'ok', options: { minVersion: { major: 1, minor: 2, revision: 3 }, compareBuildNumber: true } },
  { name: '[image.h] NON_BOOTABLE and RAM_LOAD flags are accepted', bytes: image({ flags: 0x30 }), reason: 'ok' },
  { name: '[imgtool --pad-header] header of 0x200 bytes', bytes: image({ hdrSize: 0x200 }), reason: 'ok' },
];

describe('MCUboot bad-input table', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.reason}`, () => {
      const result = verify(row.bytes, 'mcuboot', row.trust ?? trust, row.options);
      if (row.reason === 'ok') expect(result).toMatchObject({ ok: true });
      else expect(result).toMatchObject({ ok: false, reason: row.reason });
      // The same verdict when streamed byte by byte through header, area and TLV boundaries.
      const v = createVerifier('mcuboot', row.trust ?? trust, row.options);
      for (let i = 0; i < row.bytes.length; i += 13) v.update(row.bytes.subarray(i, i + 13));
      expect(v.finish()).toEqual(result);
    });
  }

  it('[info] success reports version, security counter, digest and key id', () => {
    const result = verify(good, 'mcuboot', p256Only);
    expect(result).toEqual({
      ok: true,
      info: { format: 'mcuboot', size: good.length, digest: expect.stringMatching(/^[0-9a-f]{64}$/), keyId: p256Only.publicKeys[0]!.id, version: '1.2.3+4', securityCounter: 5 },
    });
  });

  it('[options] slotSize must be an integer of at least 32 bytes (RangeError)', () => {
    expect(() => createVerifier('mcuboot', trust, { slotSize: 16 })).toThrow(RangeError);
    expect(() => createVerifier('mcuboot', trust, { slotSize: 1.5 })).toThrow(RangeError);
  });

  it('[hash choice] with no keys the verifier still hashes with SHA-256 and fails closed', () => {
    expect(verify(good, 'mcuboot', createTrustStore({}))).toMatchObject({ ok: false, reason: 'NoTrustAnchor' });
  });
});

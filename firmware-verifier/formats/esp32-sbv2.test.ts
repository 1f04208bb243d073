/**
 * ESP32 Secure Boot V2 bad-input table (ESP-IDF docs/en/security/secure-boot-v2.rst
 * "Signature Block Format", "Verifying a Signature Block", "Verifying an Image", "eFuse Usage";
 * app anti-rollback: bootloader_support check_anti_rollback).
 */
import { generateKeyPairSync } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../crc32.js';
import {
  createTrustStore,
  createVerifier,
  esp32KeyDigest,
  InMemoryRollbackCounter,
  verify,
  type Esp32Options,
  type ReasonCode,
  type TrustStore,
} from '../index.js';
import { b64uToBigInt, esp32AppPayload, esp32Image, spkiFor, type RsaPrivate } from '../testing/signers.js';

const secretA = sha256(new TextEncoder().encode('test-only esp32 key A'));
const secretB = sha256(new TextEncoder().encode('test-only esp32 key B'));
const secret384 = Uint8Array.from([...secretA, ...secretB.slice(0, 16)]);
const spkiA = spkiFor('p256', p256.getPublicKey(secretA, false));
const spkiB = spkiFor('p256', p256.getPublicKey(secretB, false));
const spki384 = spkiFor('p384', p384.getPublicKey(secret384, false));
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
const jwk = privateKey.export({ format: 'jwk' });
const rsa: RsaPrivate = { n: b64uToBigInt(jwk.n as string), e: b64uToBigInt(jwk.e as string), d: b64uToBigInt(jwk.d as string) };
const rsaSpki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));

const trust = createTrustStore({ publicKeys: [spkiA, spki384, rsaSpki] });
const payload = esp32AppPayload(3);
const good = esp32Image(payload, [{ kind: 'ecdsa256', secret: secretA }]);
const sector = good.length - 4096;

function patched(base: Uint8Array, patch: (b: Uint8Array, dv: DataView) => void, fixCrc?: number): Uint8Array {
  const copy = Uint8Array.from(base);
  const dv = new DataView(copy.buffer);
  patch(copy, dv);
  if (fixCrc !== undefined) {
    const block = sector + fixCrc * 1216;
    dv.setUint32(block + 1196, crc32(copy.subarray(block, block + 1196)), true);
  }
  return copy;
}

interface Row {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly reason: ReasonCode | 'ok';
  readonly options?: Esp32Options;
  readonly trust?: TrustStore;
}

const rows: Row[] = [
  { name: '[baseline] P-256 block over a 4 KiB app', bytes: good, reason: 'ok' },
  { name: '[baseline] P-384 block (SHA-384 digest)', bytes: esp32Image(payload, [{ kind: 'ecdsa384', secret: secret384 }]), reason: 'ok' },
  { name: '[baseline] RSA-3072 PSS block', bytes: esp32Image(payload, [{ kind: 'rsa3072', rsa }]), reason: 'ok' },
  { name: '[fail closed] no eFuse digests', bytes: good, reason: 'NoTrustAnchor', trust: createTrustStore({}) },
  { name: '[espsecure] empty input', bytes: new Uint8Array(0), reason: 'Truncated' },
  { name: '[espsecure] only a signature sector, no image', bytes: good.subarray(sector), reason: 'Truncated' },
  { name: '[secure-boot-v2.rst] length not a multiple of 4096', bytes: Uint8Array.from([...good, 0xff]), reason: 'BadLength' },
  { name: '[limit] image over maxImageSize', bytes: Uint8Array.from([...new Uint8Array(8192), ...good]), reason: 'Oversize', options: { maxImageSize: 8192 } },
  { name: '[Verifying a Signature Block] all three blocks erased', bytes: patched(good, (b) => b.fill(0xff, sector)), reason: 'BadMagic' },
  { name: '[Verifying a Signature Block] block version 1 (Secure Boot V1)', bytes: patched(good, (b) => (b[sector + 1] = 1), 0), reason: 'BadMagic' },
  { name: '[Verifying a Signature Block] CRC32 mismatch', bytes: patched(good, (b) => (b[sector + 1196] = (b[sector + 1196] as number) ^ 1)), reason: 'BadCrc' },
  { name: '[eFuse Usage] key digest not burnt in eFuse', bytes: esp32Image(payload, [{ kind: 'ecdsa256', secret: secretB }]), reason: 'KeyHashMismatch' },
  {
    name: '[eFuse KEY_REVOKE] block signed by a revoked slot',
    bytes: good,
    reason: 'Revoked',
    trust: createTrustStore({ publicKeys: [spkiA, spkiB], esp32RevokedSlots: [0] }),
  },
  {
    name: '[eFuse KEY_REVOKE] revoked slot 0 block, then a valid slot 1 block: accepted by block 1',
    bytes: esp32Image(payload, [
      { kind: 'ecdsa256', secret: secretA },
      { kind: 'ecdsa256', secret: secretB },
    ]),
    reason: 'ok',
    trust: createTrustStore({ publicKeys: [spkiA, spkiB], esp32RevokedSlots: [0] }),
  },
  {
    name: '[secure-boot-v2.rst] P-192 block with a trusted digest is not accepted',
    bytes: patched(good, (b) => (b[sector + 36] = 1), 0),
    reason: 'UnsupportedAlgorithm',
    trust: createTrustStore({ esp32KeyDigests: [sha256(patched(good, (b) => (b[sector + 36] = 1)).subarray(sector + 36, sector + 101))] }),
  },
  {
    name: '[secure-boot-v2.rst] unknown curve id with a trusted digest',
    bytes: patched(good, (b) => (b[sector + 36] = 9), 0),
    reason: 'UnsupportedAlgorithm',
    trust: createTrustStore({ esp32KeyDigests: [sha256(patched(good, (b) => (b[sector + 36] = 9)).subarray(sector + 36, sector + 101))] }),
  },
  {
    name: '[secure-boot-v2.rst] P-256 block claiming SHA-384',
    bytes: patched(good, (b) => (b[sector + 2] = 1), 0),
    reason: 'KeyHashMismatch',
  },
  { name: '[chip config] P-384 block on a chip without ECDSA-384', bytes: esp32Image(payload, [{ kind: 'ecdsa384', secret: secret384 }]), reason: 'UnsupportedAlgorithm', options: { schemes: ['ecdsa256'] } },
  { name: '[chip config] RSA block on an ECDSA chip', bytes: esp32Image(payload, [{ kind: 'rsa3072', rsa }]), reason: 'UnsupportedAlgorithm', options: { schemes: ['ecdsa256'] } },
  { name: '[Verifying an Image] payload bit flip', bytes: patched(good, (b) => (b[100] = (b[100] as number) ^ 1)), reason: 'HashMismatch' },
  { name: '[Verifying an Image] signature r flipped, CRC fixed', bytes: patched(good, (b) => (b[sector + 101] = (b[sector + 101] as number) ^ 1), 0), reason: 'SignatureInvalid' },
  {
    name: '[Verifying an Image] RSA signature flipped, CRC fixed',
    bytes: patched(esp32Image(payload, [{ kind: 'rsa3072', rsa }]), (b) => (b[sector + 900] = (b[sector + 900] as number) ^ 1), 0),
    reason: 'SignatureInvalid',
  },
  { name: '[check_anti_rollback] secure_version 3 ≥ eFuse 3', bytes: good, reason: 'ok', options: { rollback: { counter: new InMemoryRollbackCounter({ 'esp32:app': 3 }) } } },
  { name: '[check_anti_rollback] secure_version 3 < eFuse 4', bytes: good, reason: 'Rollback', options: { rollback: { counter: new InMemoryRollbackCounter({ 'esp32:app': 4 }) } } },
  { name: '[check_anti_rollback] counter domains are separate', bytes: good, reason: 'ok', options: { rollback: { counter: new InMemoryRollbackCounter({ 'esp32:app': 4 }), domain: 'esp32:other' } } },
  {
    name: '[esp_app_desc_t] no app descriptor magic when anti-rollback is on',
    bytes: esp32Image(new Uint8Array(4096), [{ kind: 'ecdsa256', secret: secretA }]),
    reason: 'BadMagic',
    options: { rollback: { counter: new InMemoryRollbackCounter() } },
  },
];

describe('ESP32 SBv2 bad-input table', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.reason}`, () => {
      const result = verify(row.bytes, 'esp32-sbv2', row.trust ?? trust, row.options);
      if (row.reason === 'ok') expect(result).toMatchObject({ ok: true });
      else expect(result).toMatchObject({ ok: false, reason: row.reason });
      const v = createVerifier('esp32-sbv2', row.trust ?? trust, row.options);
      for (let i = 0; i < row.bytes.length; i += 1500) v.update(row.bytes.subarray(i, i + 1500));
      expect(v.finish()).toEqual(result);
    });
  }

  it('[info] success reports block index, key digest and secure_version', () => {
    const result = verify(good, 'esp32-sbv2', trust, { rollback: { counter: new InMemoryRollbackCounter() } });
    expect(result).toEqual({
      ok: true,
      info: { format: 'esp32-sbv2', size: good.length, digest: expect.stringMatching(/^[0-9a-f]{64}$/), keyId: Buffer.from(esp32KeyDigest(trust.publicKeys[0]!)!).toString('hex'), block: 0, securityCounter: 3 },
    });
  });

  it('[options] maxImageSize below two sectors is a RangeError', () => {
    expect(() => createVerifier('esp32-sbv2', trust, { maxImageSize: 4096 })).toThrow(RangeError);
    expect(() => createVerifier('esp32-sbv2', trust, { maxImageSize: Number.NaN })).toThrow(RangeError);
  });

  it('[eFuse Usage] keys ESP32 cannot use (Ed25519, RSA-2048) get no digest', () => {
    const rsa2048 = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }));
    const store = createTrustStore({ publicKeys: [rsa2048, spkiFor('ed25519', ed25519.getPublicKey(secretA))] });
    expect(store.esp32KeyDigests).toHaveLength(0);
  });
});

import { constants, createHash, createPublicKey, generateKeyPairSync, privateEncrypt, publicDecrypt, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkDigest, DIGEST_INFO_PREFIX, ecdsaRawToDer, emsaPssEncode, HASH_LENGTH } from './signature-encoding.js';

describe('signature encodings', () => {
  it('ecdsaRawToDer: minimal INTEGERs, a 0x00 pad when the high bit is set, leading zeros stripped', () => {
    const r = new Uint8Array(32).fill(0);
    r[31] = 1;
    const s = new Uint8Array(32).fill(0xff);
    expect(Buffer.from(ecdsaRawToDer(new Uint8Array([...r, ...s]))).toString('hex')).toBe('3026' + '020101' + '022100' + 'ff'.repeat(32));
    // P-384 sized (96 bytes) and a long-form length is never needed below 128 bytes of body.
    const der = ecdsaRawToDer(new Uint8Array(96).fill(0x80));
    expect(der[0]).toBe(0x30);
    expect(der[1]).toBe(der.length - 2);
  });

  it('ecdsaRawToDer rejects empty and odd-length input', () => {
    expect(() => ecdsaRawToDer(new Uint8Array(0))).toThrow(RangeError);
    expect(() => ecdsaRawToDer(new Uint8Array(63))).toThrow(RangeError);
  });

  it('DigestInfo prefixes end with the digest length (RFC 8017 §9.2 note 1)', () => {
    for (const [h, p] of Object.entries(DIGEST_INFO_PREFIX)) expect(p[p.length - 1]).toBe(HASH_LENGTH[h as keyof typeof HASH_LENGTH]);
  });

  it('emsaPssEncode output, raised to the public exponent, is what OpenSSL verifies as PSS (salt = hash length)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const msg = Buffer.from('pss');
    const em = emsaPssEncode('SHA256', createHash('sha256').update(msg).digest(), 2048);
    expect(em.length).toBe(256);
    expect(em[255]).toBe(0xbc);
    expect((em[0] as number) & 0x80).toBe(0);
    const sig = privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
    expect(verify('sha256', msg, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);
    expect(Buffer.from(publicDecrypt({ key: createPublicKey(privateKey), padding: constants.RSA_NO_PADDING }, sig)).equals(em)).toBe(true);
  });

  it('checkDigest: type and length table', () => {
    expect(() => checkDigest(new Uint8Array(32), 'SHA256')).not.toThrow();
    expect(() => checkDigest(new Uint8Array(20), 'SHA1')).not.toThrow();
    expect(() => checkDigest(new Uint8Array(32), 'toString')).toThrow(TypeError);
    expect(() => checkDigest(new Uint8Array(32), 'sha256')).toThrow(TypeError);
    expect(() => checkDigest([1, 2, 3], 'SHA256')).toThrow(TypeError);
    expect(() => checkDigest(new Uint8Array(64), 'SHA384')).toThrow(RangeError);
  });
});

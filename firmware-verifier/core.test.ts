/**
 * The verifier's own machinery: streaming contract, fail-closed exit, trust material parsing,
 * revocation list, rollback counter, RSA edge cases (RFC 8017), signature dispatch.
 */
import { generateKeyPairSync, generatePrimeSync } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { readFileSync } from 'node:fs';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  createTrustStore,
  createVerifier,
  InMemoryRevocationList,
  InMemoryRollbackCounter,
  rollbackCounterContract,
  verify,
  type RevocationList,
  type RollbackCounter,
} from './index.js';
import { parseSpki } from './public-key.js';
import { verifyPkcs1v15, verifyPss, type RsaPublicKey } from './rsa.js';
import { verifySignature } from './signature.js';
import { settle } from './settle.js';
import { derFromPemOrDer } from './pem.js';
import { derTotalLength } from './der.js';
import { b64uToBigInt, mcubootEcdsaSigner, mcubootImage, rsaRaw, rsaSignPkcs1, rsaSignPss, spkiFor } from './testing/signers.js';

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

const secret = sha256(new TextEncoder().encode('test-only core key'));
const spki = spkiFor('p256', p256.getPublicKey(secret, false));
const trust = createTrustStore({ publicKeys: [spki] });
const image = mcubootImage({ payload: new Uint8Array(1000).fill(1), signer: mcubootEcdsaSigner('p256', secret, spki) });
const der = (k: { export(o: object): Buffer | string }): Uint8Array => new Uint8Array(k.export({ type: 'spki', format: 'der' }) as Buffer);
const spkiWith = (algorithm: string, key: Uint8Array, parameters?: ArrayBuffer): Uint8Array =>
  new Uint8Array(AsnConvert.serialize(new SubjectPublicKeyInfo({ algorithm: new AlgorithmIdentifier({ algorithm, ...(parameters ? { parameters } : {}) }), subjectPublicKey: key.slice().buffer })));
const rsaSpki = (modulus: Uint8Array, exponent: number): Uint8Array =>
  spkiWith('1.2.840.113549.1.1.1', new Uint8Array(AsnConvert.serialize(new RSAPublicKey({ modulus: modulus.slice().buffer, publicExponent: Uint8Array.from([exponent]).buffer }))), new Uint8Array([5, 0]).buffer);

describe('streaming contract', () => {
  it('[API] unknown format is a TypeError', () => {
    expect(() => createVerifier('uf2' as never, trust)).toThrow(TypeError);
    expect(() => createVerifier('toString' as never, trust)).toThrow(TypeError);
  });

  it('[API] a chunk that is not a Uint8Array is a TypeError', () => {
    expect(() => createVerifier('mcuboot', trust).update('abc' as never)).toThrow(TypeError);
  });

  it('[API] update or finish after finish throws', () => {
    const v = createVerifier('mcuboot', trust);
    v.update(image);
    expect(v.finish().ok).toBe(true);
    expect(() => v.update(image)).toThrow(Error);
    expect(() => v.finish()).toThrow(Error);
  });

  it('[fail closed] the first failure decides; later chunks are ignored', () => {
    const v = createVerifier('mcuboot', trust);
    v.update(new Uint8Array(32));
    v.update(image);
    expect(v.finish()).toMatchObject({ ok: false, reason: 'BadMagic' });
  });

  it('[fail closed] an unexpected exception inside a check becomes InternalError, never ok', () => {
    const throwing: RollbackCounter = {
      read: () => {
        throw new Error('flash read failed');
      },
      advance: () => undefined,
    };
    const image5 = mcubootImage({ payload: new Uint8Array(10), signer: mcubootEcdsaSigner('p256', secret, spki), protectedTlvs: [{ type: 0x50, value: new Uint8Array(4) }] });
    expect(verify(image5, 'mcuboot', trust, { rollback: { counter: throwing } })).toEqual({ ok: false, reason: 'InternalError', detail: 'unexpected error' });
  });

  it('[fail closed] an unexpected exception while streaming becomes InternalError', () => {
    const brokenRevocation: RevocationList = {
      isRevoked: () => {
        throw new Error('storage gone');
      },
    };
    const strictTrust = createTrustStore({ certificates: [], roots: [], revocation: brokenRevocation });
    expect(verify(new Uint8Array(1), 'freertos', strictTrust, { signature: new Uint8Array(1), mode: 'strict' }).ok).toBe(false);
    expect(settle(() => {
      throw new RangeError('boom');
    })).toMatchObject({ ok: false, reason: 'InternalError' });
  });

  it('[working memory] every verifier reports a bound under 64 KiB', () => {
    for (const format of ['mcuboot', 'esp32-sbv2', 'freertos', 'cc3220sf', 'notation', 'lambda-zip'] as const) {
      expect(createVerifier(format, trust).workingMemory).toBeLessThanOrEqual(64 * 1024);
    }
  });
});

describe('trust material', () => {
  it('[PEM] accepts PUBLIC KEY PEM and rejects other labels and types', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(createTrustStore({ publicKeys: [pem] }).publicKeys[0]?.kind).toBe('ecdsa-p256');
    expect(() => createTrustStore({ publicKeys: [pem.replace(/PUBLIC KEY/g, 'PRIVATE KEY')] })).toThrow(TypeError);
    expect(() => createTrustStore({ publicKeys: ['no pem here'] })).toThrow(TypeError);
    expect(() => derFromPemOrDer(42 as never, ['CERTIFICATE'])).toThrow(TypeError);
  });

  it('[SPKI] malformed or unsupported keys are TypeErrors at provisioning time', () => {
    const bad: Uint8Array[] = [
      new Uint8Array([1, 2, 3]),
      Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]),
      der(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey),
      der(generateKeyPairSync('x25519').publicKey),
      der(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey),
      spkiWith('1.2.840.10045.2.1', p256.getPublicKey(secret, false)),
      spkiWith('1.2.840.10045.2.1', p256.getPublicKey(secret, false), new Uint8Array([5, 0]).buffer),
      spkiWith('1.2.840.10045.2.1', p256.getPublicKey(secret, false), new Uint8Array([2, 1, 1]).buffer),
      spkiWith('1.2.840.10045.2.1', Uint8Array.from([4, ...new Uint8Array(64).fill(1)]), new Uint8Array([6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7]).buffer),
      spkiWith('1.3.101.112', new Uint8Array(32).fill(0xff)),
      spkiWith('1.2.840.113549.1.1.1', new Uint8Array([1, 2, 3])),
      rsaSpki(Uint8Array.from([0xc0, ...new Uint8Array(255).fill(0xab)]), 1),
      rsaSpki(Uint8Array.from([0xc0, ...new Uint8Array(255).fill(0xab)]), 4),
    ];
    for (const key of bad) expect(() => createTrustStore({ publicKeys: [key] })).toThrow(TypeError);
    expect(parseSpki(rsaSpki(Uint8Array.from([0xc0, ...new Uint8Array(255).fill(0xab)]), 3)).kind).toBe('rsa');
  });

  it('[RFC5280 4.1] a certificate without extensions parses (no CA, no code-signing EKU)', () => {
    const pem = readFileSync(new URL('../test/vectors/bootloaders/freertos-ota/certs/ecdsa-sha256-signer.crt.pem', import.meta.url), 'utf8');
    const cert = AsnConvert.parse(derFromPemOrDer(pem, ['CERTIFICATE']), Certificate);
    cert.tbsCertificate.extensions = undefined;
    const store = createTrustStore({ certificates: [new Uint8Array(AsnConvert.serialize(cert))] });
    expect(store.certificates[0]).toMatchObject({ isCa: false, codeSigning: false, digitalSignature: true });
  });

  it('[certificates] garbage certificates are TypeErrors at provisioning time', () => {
    expect(() => createTrustStore({ roots: [new Uint8Array([0x30, 0x00])] })).toThrow(TypeError);
  });

  it('[ESP32 eFuse] at most three 32-byte digests, revoked slots 0..2', () => {
    expect(() => createTrustStore({ esp32KeyDigests: [new Uint8Array(32), new Uint8Array(32), new Uint8Array(32), new Uint8Array(32)] })).toThrow(RangeError);
    expect(() => createTrustStore({ esp32KeyDigests: [new Uint8Array(31)] })).toThrow(RangeError);
    expect(() => createTrustStore({ esp32RevokedSlots: [3] })).toThrow(RangeError);
    expect(() => createTrustStore({ esp32RevokedSlots: [0.5] })).toThrow(RangeError);
    expect(createTrustStore({ esp32RevokedSlots: [2] }).esp32RevokedSlots.has(2)).toBe(true);
  });

  it('[trust] the store is frozen', () => {
    expect(Object.isFrozen(trust)).toBe(true);
    expect(Object.isFrozen(trust.publicKeys)).toBe(true);
  });
});

describe('DER lengths (X.690 8.1.3)', () => {
  it('[X.690 8.1.3] short and long form lengths; indefinite, over-long and cut headers are undefined', () => {
    expect(derTotalLength(Uint8Array.from([0x30, 0x03, 1, 2, 3]))).toBe(5);
    expect(derTotalLength(Uint8Array.from([0x30, 0x82, 0x01, 0x00]))).toBe(260);
    expect(derTotalLength(Uint8Array.from([0x30]))).toBeUndefined();
    expect(derTotalLength(Uint8Array.from([0x30, 0x80]))).toBeUndefined();
    expect(derTotalLength(Uint8Array.from([0x30, 0x85, 1, 1, 1, 1, 1]))).toBeUndefined();
    expect(derTotalLength(Uint8Array.from([0x30, 0x82, 0x01]))).toBeUndefined();
  });

  it('[X.690] keys and certificates with trailing bytes are refused', () => {
    expect(() => createTrustStore({ publicKeys: [Uint8Array.from([...spki, 0])] })).toThrow(TypeError);
  });
});

describe('revocation list (offline updates)', () => {
  const fingerprint = 'ab'.repeat(32);
  it('[revocation] updates apply in version order, never roll back, and match case-insensitively', () => {
    const list = new InMemoryRevocationList();
    expect(list.version).toBe(0);
    expect(list.apply({ version: 2, certificates: [fingerprint.toUpperCase()] })).toBe(true);
    expect(list.isRevoked('certificate', fingerprint)).toBe(true);
    expect(list.isRevoked('key', fingerprint)).toBe(false);
    expect(list.apply({ version: 2, keys: [fingerprint] })).toBe(false);
    expect(list.apply({ version: 1, keys: [fingerprint] })).toBe(false);
    expect(list.isRevoked('key', fingerprint)).toBe(false);
    expect(list.apply({ version: 3, keys: [fingerprint] })).toBe(true);
    expect(list.isRevoked('key', fingerprint.toUpperCase())).toBe(true);
    expect(list.version).toBe(3);
    expect(list.apply({ version: 4, signers: ['arn:aws:signer:us-east-1:1:/signing-profiles/p/V1'] })).toBe(true);
    expect(list.isRevoked('signer', 'arn:aws:signer:us-east-1:1:/signing-profiles/p/V1')).toBe(true);
    expect(list.isRevoked('signer', 'arn:aws:signer:us-east-1:1:/signing-profiles/p/v1')).toBe(false);
  });

  it('[revocation] malformed updates throw', () => {
    const list = new InMemoryRevocationList();
    expect(() => list.apply({ version: 0 })).toThrow(RangeError);
    expect(() => list.apply({ version: 1.5 })).toThrow(RangeError);
    expect(() => list.apply({ version: 1, keys: ['xyz'] })).toThrow(TypeError);
    expect(() => list.apply({ version: 1, signers: [''] })).toThrow(TypeError);
  });
});

rollbackCounterContract('InMemoryRollbackCounter', () => new InMemoryRollbackCounter(), { describe, it, expect });

describe('rollback counter', () => {
  it('[MCUboot boot_update_security_counter] counters only go up, per domain', () => {
    const counter = new InMemoryRollbackCounter({ a: 3 });
    expect(counter.read('a')).toBe(3);
    expect(counter.read('b')).toBe(0);
    counter.advance('a', 2);
    expect(counter.read('a')).toBe(3);
    counter.advance('a', 7);
    expect(counter.read('a')).toBe(7);
    expect(() => counter.advance('a', -1)).toThrow(RangeError);
    expect(() => counter.advance('a', 2 ** 32)).toThrow(RangeError);
    expect(() => counter.advance('a', 1.5)).toThrow(RangeError);
  });
});

describe('RSA (RFC 8017)', () => {
  // A modulus of exactly 2049 bits (OpenSSL rounds 2049 down), so emLen = k - 1. [RFC8017 9.1.1 step 2]
  // Primes come with their top two bits set, so 1025 × 1024 bits always gives 2049 bits.
  const signer = (() => {
    const e = 65537n;
    for (let attempt = 0; attempt < 20; attempt++) {
      const p = generatePrimeSync(1025, { bigint: true });
      const q = generatePrimeSync(1024, { bigint: true });
      const n = p * q;
      const phi = (p - 1n) * (q - 1n);
      if (n.toString(2).length !== 2049 || phi % e === 0n) continue;
      return { n, e, d: modInverse(e, phi) };
    }
    throw new Error('could not make a 2049-bit test key');
  })();
  const rsa: RsaPublicKey = { n: signer.n, e: signer.e, bits: 2049 };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const k2048pub = (parseSpki(der(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)) as { rsa: RsaPublicKey }).rsa;
  const digest = sha256(new Uint8Array([1, 2, 3]));

  it('[RFC8017 9.1.2] PSS with a modulus of 8k+1 bits (encoded message one byte shorter)', () => {
    const sig = rsaSignPss(signer, 'sha256', digest, new Uint8Array(32).fill(3));
    expect(verifyPss(rsa, 'sha256', digest, sig, 32)).toBe(true);
    expect(verifyPss(rsa, 'sha256', digest, sig, 20)).toBe(false);
    expect(verifyPss(rsa, 'sha256', digest, sig.subarray(1), 32)).toBe(false);
  });

  it('[RFC8017 9.1.2] PSS rejects a bad trailer, bad top bits and a non-zero leading byte', () => {
    const k = 257;
    const sig = Uint8Array.from({ length: k }, (_, i) => (i === 0 ? 0 : (i * 7) & 0xff));
    expect(verifyPss(rsa, 'sha256', digest, sig, 32)).toBe(false);
    expect(verifyPss(rsa, 'sha256', digest, sig, 300)).toBe(false);
  });

  it('[RFC8017 8.2.2] PKCS#1 v1.5 rejects wrong length and s ≥ n', () => {
    const pub = (parseSpki(der(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)) as { rsa: RsaPublicKey }).rsa;
    const sig = rsaSignPkcs1(signer, 'sha256', digest);
    expect(verifyPkcs1v15(rsa, 'sha256', digest, sig)).toBe(true);
    expect(verifyPkcs1v15(rsa, 'sha256', digest, sig.subarray(1))).toBe(false);
    expect(verifyPkcs1v15(rsa, 'sha256', digest, new Uint8Array(sig.length).fill(0xff))).toBe(false);
    expect(verifyPkcs1v15(pub, 'sha256', digest, new Uint8Array(256).fill(1))).toBe(false);
    expect(privateKey.asymmetricKeyType).toBe('rsa');
    expect(k2048pub.bits).toBe(2048);
  });

  it('[RFC8017 9.1.2] PSS with an 8k+1-bit modulus rejects a non-zero leading byte', () => {
    const em = new Uint8Array(257);
    em[0] = 1;
    em[256] = 0xbc;
    expect(verifyPss(rsa, 'sha256', digest, rsaRaw(signer, em), 32)).toBe(false);
  });

  it('[RFC8017 9.1.2 steps 4 and 6] PSS rejects a missing 0xbc trailer and set top bits', () => {
    const { publicKey: pub, privateKey: priv } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = priv.export({ format: 'jwk' });
    const signer = { n: b64uToBigInt(jwk.n as string), e: b64uToBigInt(jwk.e as string), d: b64uToBigInt(jwk.d as string) };
    const k2048 = (parseSpki(der(pub)) as { rsa: RsaPublicKey }).rsa;
    const em = new Uint8Array(256).fill(0x11);
    em[0] = 0x7f;
    em[255] = 0x00;
    expect(verifyPss(k2048, 'sha256', digest, rsaRaw(signer, em), 32)).toBe(false);
    // 2048-bit modulus: emBits = 2047, so the top bit of the first byte must be zero. [step 6]
    const hiBit = new Uint8Array(256);
    hiBit[0] = 0x80;
    hiBit[255] = 0xbc;
    expect(verifyPss(k2048, 'sha256', digest, rsaRaw(signer, hiBit), 32)).toBe(false);
  });

  it('[RFC8017 9.1.2] PSS with random signatures exercising every decode branch never verifies', () => {
    const pss2048 = parseSpki(der(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)) as { rsa: RsaPublicKey };
    for (let i = 0; i < 64; i++) {
      const sig = sha256(new Uint8Array([i]));
      const full = Uint8Array.from({ length: 256 }, (_, j) => (sig[j % 32] as number) ^ j);
      full[0] = 0;
      expect(verifyPss(pss2048.rsa, 'sha256', digest, full, 32)).toBe(false);
    }
  });
});

describe('signature dispatch', () => {
  const ec = parseSpki(spki);
  it('[signature] a scheme that does not fit the key kind is false, and malformed input is false, not a throw', () => {
    expect(verifySignature(ec, { kind: 'rsa-pss', hash: 'sha256', saltLength: 32 }, new Uint8Array(32), new Uint8Array(256))).toBe(false);
    expect(verifySignature(ec, { kind: 'rsa-pkcs1', hash: 'sha256' }, new Uint8Array(32), new Uint8Array(256))).toBe(false);
    expect(verifySignature(ec, { kind: 'ed25519' }, new Uint8Array(32), new Uint8Array(64))).toBe(false);
    expect(verifySignature(ec, { kind: 'ecdsa', encoding: 'raw' }, new Uint8Array(32), new Uint8Array(3))).toBe(false);
  });
});

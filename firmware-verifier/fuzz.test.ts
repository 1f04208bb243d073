/**
 * Property-based fuzzing (fast-check): mutated images never make the verifier throw, never
 * flip a verdict to "accepted" unless the bytes the signature covers are unchanged, and the
 * verdict does not depend on how the stream is chunked.
 * Runs per format: VERIFIER_FUZZ_RUNS (default 2000; CI sets 100000).
 */
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { issueTestChain } from '../test/support/local-signing-key.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { createTrustStore, createVerifier, type FormatId, type FormatOptions, type TrustStore, type VerifyResult } from './index.js';
import { esp32AppPayload, esp32Image, mcubootEcdsaSigner, mcubootImage, spkiFor } from './testing/signers.js';

const RUNS = Number(process.env.VERIFIER_FUZZ_RUNS ?? 2000);
/** Fuzz properties run synchronously for a while; allow ~100 ms per run on a loaded machine. */
const TIMEOUT = 60_000 + RUNS * 100;
const secret = sha256(new TextEncoder().encode('test-only fuzz key'));
const spki = spkiFor('p256', p256.getPublicKey(secret, false));
const trust = createTrustStore({ publicKeys: [spki] });
const payload = Uint8Array.from({ length: 2048 }, (_, i) => (i * 31 + 7) & 0xff);

const mutation = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(length - 1), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(length - 1), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length) }),
    fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    fc.record({ kind: fc.constant('splice' as const), at: fc.nat(length - 1), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );
type Mutation = typeof mutation extends (n: number) => fc.Arbitrary<infer M> ? M : never;

function apply(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(base);
  for (const m of mutations) {
    if (m.kind === 'flip' && m.at < out.length) out[m.at] = (out[m.at] as number) ^ (1 << m.bit);
    else if (m.kind === 'set' && m.at < out.length) out[m.at] = m.value;
    else if (m.kind === 'truncate') out = out.slice(0, Math.min(m.at, out.length));
    else if (m.kind === 'extend') out = Uint8Array.from([...out, ...m.bytes]);
    else if (m.kind === 'splice' && m.at < out.length) out.set(m.bytes.subarray(0, out.length - m.at), m.at);
  }
  return out;
}

function run<F extends FormatId>(format: F, bytes: Uint8Array, chunk: number, store: TrustStore = trust, options?: FormatOptions[F]): VerifyResult {
  const v = createVerifier(format, store, options);
  for (let i = 0; i < bytes.length; i += chunk) v.update(bytes.subarray(i, i + chunk));
  return v.finish();
}

function equalPrefix(a: Uint8Array, b: Uint8Array, length: number): boolean {
  if (a.length < length || b.length < length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fuzz<F extends FormatId>(format: F, base: Uint8Array, covered: (mutated: Uint8Array) => boolean, options?: FormatOptions[F], store: TrustStore = trust): void {
  fc.assert(
    fc.property(fc.array(mutation(base.length), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 5000 }), (mutations, chunk) => {
      const mutated = apply(base, mutations);
      const whole = run(format, mutated, Math.max(1, mutated.length), store, options);
      const chunked = run(format, mutated, chunk, store, options);
      expect(chunked).toEqual(whole);
      if (whole.ok) expect(covered(mutated)).toBe(true);
      else expect(typeof whole.reason).toBe('string');
    }),
    { numRuns: RUNS, seed: Number(process.env.VERIFIER_FUZZ_SEED ?? 20261124) },
  );
}

describe(`fuzzing (${RUNS} mutated images per format)`, () => {
  it('[MCUboot] no exception, no false accept: accepted ⇒ header, image, protected and unprotected TLVs unchanged', () => {
    const base = mcubootImage({ payload, signer: mcubootEcdsaSigner('p256', secret, spki), protectedTlvs: [{ type: 0x50, value: Uint8Array.from([1, 0, 0, 0]) }] });
    expect(run('mcuboot', base, 64, trust).ok).toBe(true);
    // Bytes after the TLVs (slot padding/trailer) are outside what bootutil checks; everything before must be intact.
    fuzz('mcuboot', base, (m) => equalPrefix(m, base, base.length));
  }, TIMEOUT);

  it('[ESP32 SBv2] no exception, no false accept: accepted ⇒ image and the verifying block unchanged', () => {
    const base = esp32Image(esp32AppPayload(1, 4096), [{ kind: 'ecdsa256', secret }]);
    expect(run('esp32-sbv2', base, 64, trust).ok).toBe(true);
    // Only block 0's first 1200 bytes (fields + CRC) are checked; its 16 reserved bytes and the rest of the sector are not (ESP-IDF).
    fuzz('esp32-sbv2', base, (m) => m.length === base.length && equalPrefix(m, base, 4096 + 1200));
  }, TIMEOUT);

  it('[FreeRTOS] no exception, no false accept: accepted ⇒ file unchanged', () => {
    const file = payload;
    const signature = p256.sign(sha256(file), secret, { prehash: false, format: 'der' });
    const options = { signature };
    expect(run('freertos', file, 64, trust, options).ok).toBe(true);
    fuzz('freertos', file, (m) => m.length === file.length && equalPrefix(m, file, file.length), options);
  }, TIMEOUT);

  it('[CC3220SF] no exception, no false accept: accepted ⇒ file unchanged', () => {
    const vectors = JSON.parse(readFileSync(new URL('../test/vectors/ota/signature-vectors.json', import.meta.url), 'utf8'));
    const sha1Vector = vectors.vectors.find((v: { id: string }) => v.id === 'rsa2048-pkcs1v15-sha1');
    const certs = new URL('../test/vectors/bootloaders/freertos-ota/certs/', import.meta.url);
    const store = createTrustStore({
      certificates: [readFileSync(new URL('rsa-sha1-signer.crt.pem', certs), 'utf8')],
      roots: [readFileSync(new URL('rsa-sha1-root-ca-cert.pem', certs), 'utf8')],
    });
    const file = payload;
    const signature = new Uint8Array(nodeSign('sha1', file, sha1Vector.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY));
    const options = { signature };
    expect(run('cc3220sf', file, 64, store, options).ok).toBe(true);
    fuzz('cc3220sf', file, (m) => m.length === file.length && equalPrefix(m, file, file.length), options, store);
  }, TIMEOUT);

  it('[Notation] no exception, no false accept: accepted ⇒ artifact unchanged; envelope mutations accepted only if the signed parts are intact', () => {
    const leaf = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const chain = issueTestChain(leaf);
    const store = createTrustStore({ roots: [chain.rootPem] });
    const artifact = payload.subarray(0, 512);
    const header = {
      alg: 'ES384',
      cty: 'application/vnd.cncf.notary.payload.v1+json',
      'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority',
      'io.cncf.notary.authenticSigningTime': `${new Date(Date.now() + 2000).toISOString().slice(0, 19)}Z`,
      crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.authenticSigningTime'],
    };
    const prot = Buffer.from(JSON.stringify(header)).toString('base64url');
    const body = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: 'm', digest: `sha256:${createHash('sha256').update(artifact).digest('hex')}`, size: artifact.length } })).toString('base64url');
    const signature = nodeSign('sha384', Buffer.from(`${prot}.${body}`), { key: leaf, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const x5c = chain.chain.map((c) => Buffer.from(c).toString('base64'));
    const envelope = new TextEncoder().encode(JSON.stringify({ payload: body, protected: prot, header: { x5c }, signature }));
    expect(run('notation', artifact, 64, store, { envelope }).ok).toBe(true);
    fuzz('notation', artifact, (m) => m.length === artifact.length && equalPrefix(m, artifact, artifact.length), { envelope }, store);
    fc.assert(
      fc.property(fc.array(mutation(envelope.length), { minLength: 1, maxLength: 3 }), (mutations) => {
        const mutated = apply(envelope, mutations);
        const result = run('notation', artifact, 4096, store, { envelope: mutated });
        if (result.ok) {
          const parsed = JSON.parse(new TextDecoder().decode(mutated));
          expect([parsed.payload, parsed.protected, parsed.signature, parsed.header.x5c[0]]).toEqual([body, prot, signature, x5c[0]]);
        }
      }),
      { numRuns: Math.max(1, Math.floor(RUNS / 4)), seed: Number(process.env.VERIFIER_FUZZ_SEED ?? 20261124) },
    );
  }, TIMEOUT);
});

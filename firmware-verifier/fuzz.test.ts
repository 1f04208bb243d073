/**
 * Property-based fuzzing (fast-check): mutated images never make the verifier throw, never
 * flip a verdict to "accepted" unless the bytes the signature covers are unchanged, and the
 * verdict does not depend on how the stream is chunked. The Notation artifact campaign is in
 * fuzz-notation-1/2.test.ts (own files, so the slow P-384 runs spread over both workers).
 * Runs per format: VERIFIER_FUZZ_RUNS (default 2000; `npm run fuzz:campaign` 100000).
 */
import { readFileSync } from 'node:fs';
import { sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { createTrustStore } from './index.js';
import { esp32AppPayload, esp32Image, mcubootEcdsaSigner, mcubootImage } from './testing/signers.js';
import { RUNS, SEED, TIMEOUT, fuzzTitle, apply, equalPrefix, fuzz, mutation, notationFixture, payload, run, secret, spki, trust } from '../test/support/verifier-fuzz.js';

describe(fuzzTitle('fuzzing: mutated images per format'), () => {
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

  it('[Notation] envelope mutations are accepted only if the signed parts are intact; no exception escapes', () => {
    const { store, artifact, envelope, body, prot, signature, x5c } = notationFixture();
    fc.assert(
      fc.property(fc.array(mutation(envelope.length), { minLength: 1, maxLength: 3 }), (mutations) => {
        const mutated = apply(envelope, mutations);
        const result = run('notation', artifact, 4096, store, { envelope: mutated });
        if (result.ok) {
          const parsed = JSON.parse(new TextDecoder().decode(mutated));
          expect([parsed.payload, parsed.protected, parsed.signature, parsed.header.x5c[0]]).toEqual([body, prot, signature, x5c[0]]);
        }
      }),
      { numRuns: Math.max(1, Math.floor(RUNS / 4)), seed: SEED },
    );
  }, TIMEOUT);
});

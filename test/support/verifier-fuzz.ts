/**
 * The fuzzing harness of firmware-verifier (fast-check): mutations, chunked vs whole runs, and the
 * property "no exception, no false accept, verdict independent of chunking". Used by the fuzz suites.
 * Runs per format: VERIFIER_FUZZ_RUNS (default 2000; CI a few thousand; `npm run fuzz:campaign` 100000).
 * Seed: VERIFIER_FUZZ_SEED (default fixed, so a local `npm test` is repeatable; .ci/run picks a new
 * one per run and prints it). Every fuzz suite names runs and seed in its title (see `fuzzTitle`), so a
 * failure in a log says how to replay it.
 */
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { issueTestChain } from './local-signing-key.js';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { expect } from 'vitest';
import { createTrustStore, createVerifier, type FormatId, type FormatOptions, type TrustStore, type VerifyResult } from '../../firmware-verifier/index.js';
import { esp32AppPayload, esp32Image, mcubootEcdsaSigner, mcubootImage, spkiFor } from '../../firmware-verifier/testing/signers.js';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${raw} is not a non-negative integer`);
  return n;
}
export const RUNS = Math.max(1, positiveInt('VERIFIER_FUZZ_RUNS', 2000));
/** fast-check takes a 32-bit seed. */
export const SEED = positiveInt('VERIFIER_FUZZ_SEED', 20261124) | 0;
/** `<what> (<runs> runs, seed <seed>; replay: VERIFIER_FUZZ_SEED=<seed> VERIFIER_FUZZ_RUNS=<RUNS>)`. */
export const fuzzTitle = (what: string, runs: number = RUNS): string =>
  `${what} (${runs} runs, seed ${SEED}; replay: VERIFIER_FUZZ_SEED=${SEED} VERIFIER_FUZZ_RUNS=${RUNS})`;
/**
 * A ceiling, not a budget. A property runs synchronously, so vitest cannot stop it early: the timeout
 * only turns a finished-but-slow run into a failure. A Notation run verifies a P-384 chain in pure JS
 * (~30 ms idle) and took 480 ms on a 2-core machine at load average 15 (two `npm test` and other work),
 * so allow a full second per run (and never less than ten minutes).
 */
export const TIMEOUT = Math.max(600_000, RUNS * 1_000);
export const secret = sha256(new TextEncoder().encode('test-only fuzz key'));
export const spki = spkiFor('p256', p256.getPublicKey(secret, false));
export const trust = createTrustStore({ publicKeys: [spki] });
export const payload = Uint8Array.from({ length: 2048 }, (_, i) => (i * 31 + 7) & 0xff);

export const mutation = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(length - 1), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(length - 1), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length) }),
    fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    fc.record({ kind: fc.constant('splice' as const), at: fc.nat(length - 1), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );
export type Mutation = typeof mutation extends (n: number) => fc.Arbitrary<infer M> ? M : never;

export function apply(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
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

export function run<F extends FormatId>(format: F, bytes: Uint8Array, chunk: number, store: TrustStore = trust, options?: FormatOptions[F]): VerifyResult {
  const v = createVerifier(format, store, options);
  for (let i = 0; i < bytes.length; i += chunk) v.update(bytes.subarray(i, i + chunk));
  return v.finish();
}

export function equalPrefix(a: Uint8Array, b: Uint8Array, length: number): boolean {
  if (a.length < length || b.length < length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fuzz<F extends FormatId>(
  format: F,
  base: Uint8Array,
  covered: (mutated: Uint8Array) => boolean,
  options?: FormatOptions[F],
  store: TrustStore = trust,
  params: { numRuns: number; seed: number } = { numRuns: RUNS, seed: SEED },
): void {
  fc.assert(
    fc.property(fc.array(mutation(base.length), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 5000 }), (mutations, chunk) => {
      const mutated = apply(base, mutations);
      const whole = run(format, mutated, Math.max(1, mutated.length), store, options);
      const chunked = run(format, mutated, chunk, store, options);
      expect(chunked).toEqual(whole);
      if (whole.ok) expect(covered(mutated)).toBe(true);
      else expect(typeof whole.reason).toBe('string');
    }),
    params,
  );
}


/** A signed Notation envelope over a 512-byte artifact, with its trust store (TEST ONLY keys). */
export function notationFixture() {
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
  return { store, artifact, envelope, body, prot, signature, x5c };
}

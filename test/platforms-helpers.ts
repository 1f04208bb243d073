/**
 * Shared helpers of the platform suites (test/platforms-*.test.ts): sign requests over in-memory
 * sources, collecting a signed object, and the `openssl` CLI as the independent verifier.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HashAlgorithm, PlatformDescriptorFile, SignRequest, SigningKey } from '../platforms/platform.types.js';

/** A source that yields `bytes` in `chunkSize` pieces (odd sizes exercise carry-over logic). */
export function sourceOf(bytes: Uint8Array, chunkSize = 65_521): () => AsyncIterable<Uint8Array> {
  return async function* () {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, Math.min(bytes.length, i + chunkSize));
  };
}

/** A sign request for `bytes` with the platform defaults; `over` overrides any field. */
export function signRequest(
  descriptor: PlatformDescriptorFile,
  bytes: Uint8Array,
  key: SigningKey,
  over: Partial<SignRequest> = {},
): SignRequest {
  const createdAt = new Date('2026-11-24T12:00:00.000Z');
  return {
    openSource: sourceOf(bytes),
    sourceSize: bytes.length,
    sourceKey: 'uploads/firmware.bin',
    key,
    encryptionAlgorithm: descriptor.signingConfiguration.encryptionAlgorithmOptions.defaultValue,
    hashAlgorithm: descriptor.signingConfiguration.hashAlgorithmOptions.defaultValue as HashAlgorithm,
    imageFormat: descriptor.signingImageFormat.defaultFormat,
    signingParameters: {},
    job: {
      jobId: '5a4f3a0e-4c1b-4f6e-9d7e-2b7c3a1d0e9f',
      jobArn: 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/5a4f3a0e-4c1b-4f6e-9d7e-2b7c3a1d0e9f',
      profileName: 'fw_profile',
      profileVersion: 'AbCdEf1234',
      profileVersionArn: 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/fw_profile/AbCdEf1234',
      platformId: descriptor.platformId,
      createdAt,
      signatureExpiresAt: new Date('2037-11-24T12:00:00.000Z'),
    },
    ...over,
  };
}

/** Concatenates a signed object's body. */
export async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export function withTempDir<T>(fn: (path: (name: string) => string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'platforms-'));
  try {
    return fn((name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the openssl CLI; returns exit status and output. */
export function openssl(args: string[], input?: Uint8Array): { status: number; out: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'buffer' });
  return { status: r.status ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

/** PEM SubjectPublicKeyInfo of a public key given as DER SPKI or KeyObject. */
export function publicPem(key: Uint8Array | KeyObject): string {
  const k =
    key instanceof Uint8Array
      ? createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' })
      : key.type === 'public'
        ? key
        : createPublicKey(key);
  return String(k.export({ type: 'spki', format: 'pem' }));
}

/**
 * `openssl dgst -<hash> -verify pub.pem -signature sig data`: verifies a signature over `data`
 * (RSA-PSS with `pssSaltLen`). True when openssl prints "Verified OK".
 */
export function opensslVerifies(opts: {
  hash: 'sha1' | 'sha256' | 'sha384';
  publicKeyPem: string;
  signature: Uint8Array;
  data: Uint8Array;
  pssSaltLen?: number;
}): boolean {
  return withTempDir((p) => {
    writeFileSync(p('pub.pem'), opts.publicKeyPem);
    writeFileSync(p('sig.bin'), opts.signature);
    writeFileSync(p('data.bin'), opts.data);
    const pss = opts.pssSaltLen === undefined ? [] : ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${opts.pssSaltLen}`];
    const r = openssl(['dgst', `-${opts.hash}`, ...pss, '-verify', p('pub.pem'), '-signature', p('sig.bin'), p('data.bin')]);
    return r.status === 0 && r.out.includes('Verified OK');
  });
}

/** `openssl pkeyutl -verify -rawin`: Ed25519 over `message` (MCUboot signs the image digest as the message). */
export function opensslVerifiesEd25519(publicKeyPem: string, signature: Uint8Array, message: Uint8Array): boolean {
  return withTempDir((p) => {
    writeFileSync(p('pub.pem'), publicKeyPem);
    writeFileSync(p('sig.bin'), signature);
    writeFileSync(p('msg.bin'), message);
    const r = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', p('pub.pem'), '-rawin', '-in', p('msg.bin'), '-sigfile', p('sig.bin')]);
    return r.status === 0 && r.out.includes('Signature Verified Successfully');
  });
}

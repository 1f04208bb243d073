/**
 * One suite every JSON signed-object platform (FreeRTOS default, IoT Device Management, TI CC3220SF)
 * must pass: the signature verifies with openssl over the whole file, the object follows the
 * documented schema, the payload streams, and bad input is refused with PlatformInputError.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSignedJson, type SignedJsonHeader } from '../platforms/_shared/index.js';
import {
  PlatformInputError,
  type HashAlgorithm,
  type KeyType,
  type PlatformDescriptorFile,
  type PlatformModule,
  type SignRequest,
} from '../platforms/platform.types.js';
import { collect, opensslVerifies, publicPem, signRequest, sourceOf } from './platforms-helpers.js';
import { generateTestKey, issueTestChain, localSigningKey } from './support/local-signing-key.js';

/** What one platform × algorithm combination is expected to produce. */
export interface OtaJsonCase {
  encryptionAlgorithm: 'ECDSA' | 'RSA';
  hash: HashAlgorithm;
  keyType: KeyType;
  /** job document key, e.g. sig-sha256-ecdsa */
  otaKey: string;
  signatureAlgorithm: string;
}

const SIGNATURE_VECTORS = JSON.parse(readFileSync(new URL('./vectors/ota/signature-vectors.json', import.meta.url), 'utf8')) as {
  message: { hex: string };
  vectors: { id: string; jobDocumentKey: string; validSignature: { hex: string }; signerCertificatePem: string; testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY: string }[];
};
/** The published FreeRTOS OTA PAL test message (84 bytes, signed as a whole). */
export const FREERTOS_MESSAGE = new Uint8Array(Buffer.from(SIGNATURE_VECTORS.message.hex, 'hex'));
/** A published FreeRTOS OTA PAL vector (PUBLIC TEST KEY ONLY). */
export function freertosVector(jobDocumentKey: string) {
  const v = SIGNATURE_VECTORS.vectors.find((x) => x.jobDocumentKey === jobDocumentKey);
  if (v === undefined) throw new Error(`no vector ${jobDocumentKey}`);
  return v;
}

/** A firmware-like test payload: `byte[i] = (i*31+7) & 0xff` (the rule of the boot-loader vectors). */
export function payload(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

const DGST: Record<HashAlgorithm, 'sha1' | 'sha256' | 'sha384'> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha384' };

/** Registers the shared suite for one JSON signed-object platform. */
export function otaJsonSuite(platform: PlatformModule, descriptor: PlatformDescriptorFile, cases: OtaJsonCase[]): void {
  const id = descriptor.platformId;
  const format = descriptor.signingImageFormat.defaultFormat;

  describe(`${id}: every algorithm signs, openssl verifies`, () => {
    for (const c of cases) {
      it(`[FreeRTOS OTA PAL ${c.otaKey}] ${c.signatureAlgorithm} with a ${c.keyType} key: openssl dgst -verify accepts the signature over the whole file`, async () => {
        const keyObject = generateTestKey(c.keyType);
        const key = localSigningKey(keyObject, issueTestChain(keyObject).chain);
        const data = payload(10_007);
        const request = signRequest(descriptor, data, key, { encryptionAlgorithm: c.encryptionAlgorithm, hashAlgorithm: c.hash });
        const artifact = await platform.sign(request);
        const object = await collect(artifact.body());
        const { header, signature, payload: embedded } = readSignedJson(object.toString('utf8'));

        expect(opensslVerifies({ hash: DGST[c.hash], publicKeyPem: publicPem(key.publicKeySpki), signature, data })).toBe(true);
        expect(opensslVerifies({ hash: DGST[c.hash], publicKeyPem: publicPem(key.publicKeySpki), signature, data: payload(10_006) })).toBe(false);
        expect(Buffer.from(artifact.rawSignature).equals(Buffer.from(signature))).toBe(true);
        expect(header.signatureAlgorithm).toBe(c.signatureAlgorithm);
        expect(header.metadata.otaSignatureKey).toBe(c.otaKey);
        expect(header.rawPayloadSize).toBe(data.length);
        expect(header.metadata.signingJobArn).toBe(request.job.jobArn);
        expect(header.metadata.signingProfileVersionArn).toBe(request.job.profileVersionArn);
        expect(header.metadata.certificateChain).toHaveLength(2);
        expect(new X509Certificate(Buffer.from(header.metadata.certificateChain[0]!, 'base64')).publicKey.equals(createPublicKey(keyObject))).toBe(true);
        if (format === 'JSONEmbedded') {
          expect(Buffer.from(embedded!).equals(Buffer.from(data))).toBe(true);
          expect(header.digest).toBeUndefined();
        } else {
          expect(embedded).toBeUndefined();
          expect(header.digestAlgorithm).toBe(c.hash);
          expect(header.digest).toBe(createHash(DGST[c.hash]).update(data).digest('base64'));
        }
        if (c.encryptionAlgorithm === 'RSA') expect(signature.length).toBe(Number(c.keyType.slice(4)) / 8);
        else expect(signature[0]).toBe(0x30);
      });
    }
  });

  describe(`${id}: the signed object`, () => {
    it(`[Signer API ImageFormat ${format}] has exactly the documented members, signature and metadata before any payload`, async () => {
      const keyObject = generateTestKey(cases[0]!.keyType);
      const request = signRequest(descriptor, payload(100), localSigningKey(keyObject), {
        encryptionAlgorithm: cases[0]!.encryptionAlgorithm,
        hashAlgorithm: cases[0]!.hash,
        signingParameters: descriptor.extras.signingParameters?.['certname'] ? { certname: '/certs/signer.crt' } : {},
      });
      const text = (await collect((await platform.sign(request)).body())).toString('utf8');
      const parsed = JSON.parse(text) as SignedJsonHeader & { payload?: string };
      const expected =
        format === 'JSONEmbedded'
          ? ['rawPayloadSize', 'signatureAlgorithm', 'signature', 'metadata', 'payload']
          : ['rawPayloadSize', 'signatureAlgorithm', 'signature', 'digestAlgorithm', 'digest', 'metadata'];
      expect(Object.keys(parsed)).toEqual(expected);
      expect(Object.keys(parsed.metadata).sort()).toEqual(
        [
          'platformId', 'signingJobArn', 'jobId', 'signingProfileName', 'signingProfileVersion', 'signingProfileVersionArn', 'signedAt',
          'otaSignatureKey', 'certificateChain', ...(descriptor.extras.signingParameters?.['certname'] ? ['certname'] : []),
        ].sort(),
      );
      expect(parsed.metadata.certificateChain).toEqual([]);
      if (descriptor.extras.signingParameters?.['certname']) expect(parsed.metadata.certname).toBe('/certs/signer.crt');
    });

    it('[issue 3 item 2] streams: a source read in odd-sized chunks comes out in bounded chunks and round-trips', async () => {
      const keyObject = generateTestKey(cases[0]!.keyType);
      const size = Math.min(descriptor.maxSizeInMB, 8) * 1024 * 1024 - 1;
      const data = payload(size);
      const request = signRequest(descriptor, data, localSigningKey(keyObject), {
        encryptionAlgorithm: cases[0]!.encryptionAlgorithm,
        hashAlgorithm: cases[0]!.hash,
        openSource: sourceOf(data, 4097),
      });
      const artifact = await platform.sign(request);
      let largest = 0;
      const parts: Buffer[] = [];
      for await (const chunk of artifact.body()) {
        largest = Math.max(largest, chunk.length);
        parts.push(Buffer.from(chunk));
      }
      expect(largest).toBeLessThan(64 * 1024);
      const { payload: embedded, signature } = readSignedJson(Buffer.concat(parts).toString('utf8'));
      if (format === 'JSONEmbedded') expect(createHash('sha256').update(embedded!).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      expect(opensslVerifies({ hash: DGST[cases[0]!.hash], publicKeyPem: publicPem(keyObject), signature, data })).toBe(true);
    });
  });

  if (format === 'JSONEmbedded') {
    it('[issue 3 item 2] JSONEmbedded streams: payload base64 leaves the body while the second read of the source is still under way', async () => {
      const keyObject = generateTestKey(cases[0]!.keyType);
      const chunk = payload(64 * 1024);
      const chunks = 64;
      let secondPassYielded = -1;
      let passes = 0;
      const openSource = async function* () {
        const pass = ++passes;
        for (let i = 0; i < chunks; i++) {
          if (pass === 2) secondPassYielded = i + 1;
          yield chunk;
        }
      };
      const request = signRequest(descriptor, new Uint8Array(0), localSigningKey(keyObject), {
        encryptionAlgorithm: cases[0]!.encryptionAlgorithm,
        hashAlgorithm: cases[0]!.hash,
        openSource,
        sourceSize: chunks * chunk.length,
      });
      const artifact = await platform.sign(request);
      let seenAtFirstPayload = -1;
      let index = 0;
      for await (const _ of artifact.body()) {
        if (index++ === 1) seenAtFirstPayload = secondPassYielded;
      }
      expect(passes).toBe(2);
      expect(seenAtFirstPayload).toBeGreaterThan(0);
      expect(seenAtFirstPayload).toBeLessThan(chunks);
    });
  }

  describe(`${id}: bad input is refused with PlatformInputError`, () => {
    const c = cases[0]!;
    const okKey = localSigningKey(generateTestKey(c.keyType));
    const base = (over: Partial<SignRequest> = {}) =>
      signRequest(descriptor, payload(64), okKey, { encryptionAlgorithm: c.encryptionAlgorithm, hashAlgorithm: c.hash, ...over });
    const max = descriptor.maxSizeInMB * 1024 * 1024;
    const table: [string, () => SignRequest, RegExp][] = [
      ['empty source', () => base({ sourceSize: 0, openSource: sourceOf(new Uint8Array(0)) }), /empty/],
      ['one byte over maxSizeInMB', () => base({ sourceSize: max + 1 }), /at most/],
      ['source shorter than sourceSize (truncated read)', () => base({ sourceSize: 65 }), /changed while signing/],
      ['source longer than sourceSize', () => base({ sourceSize: 63 }), /changed while signing/],
      ['hash algorithm outside allowedValues', () => base({ hashAlgorithm: 'SHA512' }), /hash algorithm SHA512/],
      ['encryption algorithm outside allowedValues', () => base({ encryptionAlgorithm: 'ED25519' }), /encryption algorithm ED25519/],
      ['image format outside supportedFormats', () => base({ imageFormat: 'JSON' }), /signing image format JSON/],
      ['key of the wrong type', () => base({ key: localSigningKey(generateTestKey('ED25519')) }), /needs a key of type/],
      ['unknown signing parameter', () => base({ signingParameters: { nonsense: 'x' } }), /does not understand signing parameter "nonsense"/],
    ];
    if (descriptor.extras.signingParameters?.['certname']) {
      table.push(['certname longer than 256 characters', () => base({ signingParameters: { certname: 'x'.repeat(257) } }), /certname/]);
    }
    for (const [name, make, message] of table) {
      it(`refuses ${name}`, async () => {
        const attempt = platform.sign(make());
        await expect(attempt).rejects.toBeInstanceOf(PlatformInputError);
        await expect(attempt).rejects.toThrow(message);
      });
    }
  });
}

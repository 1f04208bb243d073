import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import platform, { buildMcubootImage, mcubootFormat, mcubootPublicKeyBytes } from '../platforms/MCUboot/index.js';
import descriptor from '../platforms/MCUboot/descriptor.json' with { type: 'json' };
import { PlatformInputError, type PlatformDescriptorFile, type SignRequest } from '../platforms/platform.types.js';
import { collect, opensslVerifies, opensslVerifiesEd25519, publicPem, signRequest, sourceOf } from './platforms-helpers.js';
import { generateTestKey, localSigningKey } from './support/local-signing-key.js';

const d = descriptor as PlatformDescriptorFile;
const dir = new URL('./vectors/bootloaders/mcuboot/', import.meta.url);
const file = (name: string) => readFileSync(new URL(name, dir));
const manifest = JSON.parse(file('manifest.json').toString('utf8')) as {
  keys: Record<string, { getpub_raw_der_hex: string; sha256_of_getpub_raw: string; sha384_of_getpub_raw: string }>;
};
const PAYLOAD = new Uint8Array(file('images/payload.bin'));
const keyFile = (name: string) => localSigningKey(file(`keys/${name}`).toString('utf8'));

/** imgtool's options for the published vectors: `--pad-header -H 0x20 -v 1.2.3+4`. */
const IMGTOOL_DEFAULTS = { version: '1.2.3+4', headerSize: '0x20' };

async function signImage(over: Partial<SignRequest> & { params?: Record<string, string> }, bytes = PAYLOAD): Promise<{ image: Buffer; raw: Uint8Array }> {
  const { params, ...rest } = over;
  const key = rest.key ?? keyFile('root-ed25519.pem');
  const encryptionAlgorithm = key.keyType === 'ED25519' ? 'ED25519' : key.keyType.startsWith('RSA') ? 'RSA' : 'ECDSA';
  const hashAlgorithm = key.keyType === 'EC_secp384r1' ? 'SHA384' : 'SHA256';
  const request = signRequest(d, bytes, key, { encryptionAlgorithm, hashAlgorithm, signingParameters: params ?? IMGTOOL_DEFAULTS, ...rest });
  const artifact = await platform.sign(request);
  return { image: await collect(artifact.body()), raw: artifact.rawSignature };
}

/** Walks the image's TLV areas (test-side reading of the layout in image.h). */
function tlvs(image: Buffer): { hashRegionEnd: number; unprotectedStart: number; end: number; list: { type: number; value: Buffer }[] } {
  const hdr = image.readUInt16LE(8);
  const prot = image.readUInt16LE(10);
  const size = image.readUInt32LE(12);
  const hashRegionEnd = hdr + size + prot;
  expect(image.readUInt16LE(hashRegionEnd)).toBe(0x6907);
  const tot = image.readUInt16LE(hashRegionEnd + 2);
  const list: { type: number; value: Buffer }[] = [];
  for (let off = hashRegionEnd + 4; off < hashRegionEnd + tot; ) {
    const type = image.readUInt16LE(off);
    const len = image.readUInt16LE(off + 2);
    list.push({ type, value: image.subarray(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return { hashRegionEnd, unprotectedStart: hashRegionEnd, end: hashRegionEnd + tot, list };
}

describe('MCUboot: byte-for-byte against imgtool 2.4.0 vectors', () => {
  it('[imgtool sign -k root-ed25519.pem --pad-header -H 0x20 -v 1.2.3+4] reproduces ed25519.signed.bin exactly', async () => {
    const { image } = await signImage({});
    expect(image.equals(file('images/ed25519.signed.bin'))).toBe(true);
  });

  it('[imgtool sign … -s auto] reproduces ed25519-seccnt-auto.signed.bin exactly (protected SEC_CNT = 0x01020003)', async () => {
    const { image } = await signImage({ params: { ...IMGTOOL_DEFAULTS, securityCounter: 'auto' } });
    expect(image.equals(file('images/ed25519-seccnt-auto.signed.bin'))).toBe(true);
  });

  it('[imgtool sign without --pad-header] a source that starts with 0x20 zero bytes gets the same image', async () => {
    const zeroed = new Uint8Array(0x20 + PAYLOAD.length);
    zeroed.set(PAYLOAD, 0x20);
    const { image } = await signImage({ params: { ...IMGTOOL_DEFAULTS, padHeader: 'false' } }, zeroed);
    expect(image.equals(file('images/ed25519.signed.bin'))).toBe(true);
  });

  it('[imgtool sign without --pad-header, -H 0x200] the zeroed header room stays zero after the 32-byte header; the rest equals the padded image', async () => {
    const zeroed = new Uint8Array(0x200 + PAYLOAD.length);
    zeroed.set(PAYLOAD, 0x200);
    const params = { version: '1.2.3+4', headerSize: '0x200' };
    const { image } = await signImage({ params: { ...params, padHeader: 'false' } }, zeroed);
    const { image: padded } = await signImage({ params });
    expect(image.subarray(32, 0x200).every((b) => b === 0)).toBe(true);
    expect(padded.subarray(32, 0x200).every((b) => b === 0xff)).toBe(true);
    expect(image.subarray(0, 32).equals(padded.subarray(0, 32))).toBe(true);
    expect(image.subarray(0x200, 0x200 + PAYLOAD.length).equals(Buffer.from(PAYLOAD))).toBe(true);
  });

  it('[imgtool sign without -k] the format code reproduces hash-only.signed.bin exactly', async () => {
    const built = await buildMcubootImage({
      openPayload: sourceOf(PAYLOAD, 1000),
      payloadSize: PAYLOAD.length,
      headerSize: 0x20,
      padHeader: true,
      version: mcubootFormat.parseVersion('1.2.3+4')!,
      hash: 'SHA256',
    });
    expect((await collect(built.body())).equals(file('images/hash-only.signed.bin'))).toBe(true);
  });
});

describe('MCUboot: randomized signatures match imgtool structurally and verify with openssl', () => {
  const cases = [
    { name: 'ECDSA P-256', key: 'root-ec-p256.pem', vector: 'ecdsa-p256.signed.bin', dgst: 'sha256', sigType: 0x22, hashType: 0x10 },
    { name: 'ECDSA P-384', key: 'root-ec-p384.pem', vector: 'ecdsa-p384.signed.bin', dgst: 'sha384', sigType: 0x22, hashType: 0x11 },
    { name: 'RSA-2048 PSS', key: 'root-rsa-2048.pem', vector: 'rsa-2048.signed.bin', dgst: 'sha256', sigType: 0x20, hashType: 0x10 },
    { name: 'RSA-3072 PSS', key: 'root-rsa-3072.pem', vector: 'rsa-3072.signed.bin', dgst: 'sha256', sigType: 0x23, hashType: 0x10 },
  ] as const;
  for (const c of cases) {
    it(`[image.h, image_validate.c] ${c.name} with ${c.key}: hash region, hash TLV and KEYHASH equal ${c.vector}; openssl verifies the signature over the hash region`, async () => {
      const { image, raw } = await signImage({ key: keyFile(c.key) });
      const vector = file(`images/${c.vector}`);
      const ours = tlvs(image);
      const theirs = tlvs(vector);
      expect(image.subarray(0, ours.hashRegionEnd).equals(vector.subarray(0, theirs.hashRegionEnd))).toBe(true);
      expect(ours.list.map((t) => t.type)).toEqual([c.hashType, 0x01, c.sigType]);
      expect(ours.list.map((t) => t.type)).toEqual(theirs.list.map((t) => t.type));
      expect(ours.list[0]!.value.equals(theirs.list[0]!.value)).toBe(true);
      expect(ours.list[1]!.value.equals(theirs.list[1]!.value)).toBe(true);
      const m = manifest.keys[c.key]!;
      expect(ours.list[1]!.value.toString('hex')).toBe(c.dgst === 'sha384' ? m.sha384_of_getpub_raw : m.sha256_of_getpub_raw);
      expect(Buffer.from(raw).equals(ours.list[2]!.value)).toBe(true);
      const pub = publicPem(createPublicKey(createPrivateKey(file(`keys/${c.key}`).toString('utf8'))));
      const pss = c.sigType === 0x22 ? {} : { pssSaltLen: 32 };
      const region = image.subarray(0, ours.hashRegionEnd);
      expect(opensslVerifies({ hash: c.dgst, publicKeyPem: pub, signature: ours.list[2]!.value, data: region, ...pss })).toBe(true);
      // the oracle accepts imgtool's own signature the same way
      expect(opensslVerifies({ hash: c.dgst, publicKeyPem: pub, signature: theirs.list[2]!.value, data: region, ...pss })).toBe(true);
      expect(opensslVerifies({ hash: c.dgst, publicKeyPem: pub, signature: ours.list[2]!.value, data: file('images/neg-ecdsa-p256-body-bitflip.bin').subarray(0, ours.hashRegionEnd), ...pss })).toBe(false);
    });
  }

  it('[imgtool -H 0x200 -v 2.0.0+0 -s 5] header padding, protected SEC_CNT and hash equal ecdsa-p256-seccnt5-hdr200.signed.bin', async () => {
    const { image } = await signImage({ key: keyFile('root-ec-p256.pem'), params: { version: '2.0.0+0', headerSize: '0x200', securityCounter: '5' } });
    const vector = file('images/ecdsa-p256-seccnt5-hdr200.signed.bin');
    const ours = tlvs(image);
    expect(ours.hashRegionEnd).toBe(4620);
    expect(image.subarray(0, 4620).equals(vector.subarray(0, 4620))).toBe(true);
    expect(ours.list[0]!.value.equals(tlvs(vector).list[0]!.value)).toBe(true);
  });

  it('[imgtool --public-key-format full] PUBKEY TLV carries the 91-byte SubjectPublicKeyInfo of ecdsa-p256-pubkey-full.signed.bin', async () => {
    const { image } = await signImage({ key: keyFile('root-ec-p256.pem'), params: { ...IMGTOOL_DEFAULTS, publicKeyFormat: 'full' } });
    const ours = tlvs(image).list;
    expect(ours[1]!.type).toBe(0x02);
    expect(ours[1]!.value.equals(tlvs(file('images/ecdsa-p256-pubkey-full.signed.bin')).list[1]!.value)).toBe(true);
    expect(ours[1]!.value.toString('hex')).toBe(manifest.keys['root-ec-p256.pem']!.getpub_raw_der_hex);
  });

  it('[imgtool -S 0x2000 --align 4 --pad --confirm] 8192-byte slot: trailer (erased fill, image_ok, boot magic) equals the vector after the TLVs', async () => {
    const { image } = await signImage({ key: keyFile('root-ec-p256.pem'), params: { ...IMGTOOL_DEFAULTS, slotSize: '0x2000', align: '4', confirm: 'true' } });
    const vector = file('images/ecdsa-p256-padded-confirmed-slot2000.signed.bin');
    expect(image.length).toBe(8192);
    expect(image.subarray(4300).equals(vector.subarray(4300))).toBe(true);
    expect(image.subarray(0, 4128).equals(vector.subarray(0, 4128))).toBe(true);
  });

  it('[mcuboot image_ed25519.c] Ed25519 signature verifies with openssl pkeyutl over the 32-byte image digest', async () => {
    const { image, raw } = await signImage({});
    const digest = tlvs(image).list[0]!.value;
    const pub = publicPem(createPublicKey(createPrivateKey(file('keys/root-ed25519.pem').toString('utf8'))));
    expect(opensslVerifiesEd25519(pub, raw, digest)).toBe(true);
  });
});

describe('MCUboot: fresh local keys of every supported type', () => {
  for (const keyType of ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'RSA_3072', 'ED25519'] as const) {
    it(`[issue 3 item 2] a ${keyType} key signs; KEYHASH is the hash of imgtool's raw public key bytes and openssl verifies`, async () => {
      const keyObject = generateTestKey(keyType);
      const key = localSigningKey(keyObject);
      const { image, raw } = await signImage({ key, params: { version: '3.1.4+1', headerSize: '0x200' } }, PAYLOAD.subarray(0, 3001));
      const t = tlvs(image);
      const dgst = keyType === 'EC_secp384r1' ? 'sha384' : 'sha256';
      expect(t.list[1]!.value.equals((await import('node:crypto')).createHash(dgst).update(mcubootPublicKeyBytes(key)).digest())).toBe(true);
      const pub = publicPem(keyObject);
      const region = image.subarray(0, t.hashRegionEnd);
      if (keyType === 'ED25519') expect(opensslVerifiesEd25519(pub, raw, t.list[0]!.value)).toBe(true);
      else expect(opensslVerifies({ hash: dgst, publicKeyPem: pub, signature: raw, data: region, ...(keyType.startsWith('RSA') ? { pssSaltLen: 32 } : {}) })).toBe(true);
      expect(image.readUInt8(20)).toBe(3);
      expect(image.readUInt32LE(24)).toBe(1);
    });
  }
});

describe('MCUboot: bad input is refused with PlatformInputError', () => {
  const p256 = () => keyFile('root-ec-p256.pem');
  const table: [string, Partial<SignRequest> & { params?: Record<string, string> }, RegExp][] = [
    ['empty source', { sourceSize: 0, openSource: sourceOf(new Uint8Array(0)) }, /empty/],
    ['source over maxSizeInMB', { sourceSize: 32 * 1024 * 1024 + 1 }, /at most/],
    ['truncated source', { sourceSize: PAYLOAD.length + 1 }, /changed while signing/],
    ['version field out of range', { params: { version: '256.0.0' } }, /out of range/],
    ['version that is not a version', { params: { version: 'v1' } }, /must match/],
    ['header smaller than struct image_header', { params: { headerSize: '16' } }, /32\.\.65535/],
    ['unknown signing parameter', { params: { overwriteOnly: 'true' } }, /does not understand/],
    ['pad without slotSize', { params: { pad: 'true' } }, /need "slotSize"/],
    ['slot too small for image plus trailer', { params: { slotSize: '0x1000' } }, /does not fit slotSize/],
    ['P-384 key with SHA256', { key: keyFile('root-ec-p384.pem'), encryptionAlgorithm: 'ECDSA', hashAlgorithm: 'SHA256' }, /use SHA384/],
    ['RSA key with ECDSA', { key: keyFile('root-rsa-2048.pem'), encryptionAlgorithm: 'ECDSA' }, /needs a key of type/],
    ['RSA-4096 key', { key: localSigningKey(generateTestKey('RSA_4096')), encryptionAlgorithm: 'RSA' }, /needs a key of type/],
    ['padHeader false over non-zero header bytes', { params: { padHeader: 'false', headerSize: '0x20' } }, /not all zero/],
    ['security counter over 32 bits', { params: { securityCounter: '4294967296' } }, /32 bits/],
  ];
  for (const [name, over, message] of table) {
    it(`refuses ${name}`, async () => {
      const attempt = signImage({ key: p256(), encryptionAlgorithm: 'ECDSA', ...over, params: over.params ?? IMGTOOL_DEFAULTS });
      await expect(attempt).rejects.toBeInstanceOf(PlatformInputError);
      await expect(attempt).rejects.toThrow(message);
    });
  }
});

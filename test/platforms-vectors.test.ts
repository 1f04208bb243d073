import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { p384 } from '@noble/curves/nist.js';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readSignedJson } from '../platforms/_shared/index.js';
import { SIGNATURE_ENTRY, verifySignedLambdaZip } from '../platforms/AWSLambda-SHA384-ECDSA/index.js';
import { openssl, opensslVerifies, publicPem, withTempDir } from './platforms-helpers.js';
import { pemToDer } from './support/local-signing-key.js';
import { deterministicVectors } from './vectors/platforms/generate.js';

const dir = new URL('./vectors/platforms/', import.meta.url);
const file = (name: string) => readFileSync(new URL(name, dir));
const manifest = JSON.parse(file('MANIFEST.json').toString('utf8')) as { files: { path: string; sha256: string }[]; deterministic: string[] };
const ota = JSON.parse(readFileSync(new URL('./vectors/ota/signature-vectors.json', import.meta.url), 'utf8')) as { message: { hex: string } };
const MESSAGE = Buffer.from(ota.message.hex, 'hex');

describe('test/vectors/platforms: fixtures made by our platforms, checked by others’ tools', () => {
  it('[house-style rule 14] every file matches the sha256 in MANIFEST.json', () => {
    for (const f of manifest.files) expect(createHash('sha256').update(file(f.path)).digest('hex'), f.path).toBe(f.sha256);
  });

  it('[RSASSA-PKCS1-v1_5 is deterministic] the RSA signed objects regenerate byte for byte', async () => {
    const again = await deterministicVectors();
    expect(Object.keys(again).sort()).toEqual([...manifest.deterministic].sort());
    for (const [name, bytes] of Object.entries(again)) expect(bytes.equals(file(name)), name).toBe(true);
  });

  for (const [name, hash] of [
    ['freertos-default-ecdsa.signed.json', 'sha256'],
    ['freertos-default-rsa.signed.json', 'sha256'],
    ['ti-cc3220sf.signed.json', 'sha1'],
    ['iot-dm-ecdsa.detached.json', 'sha256'],
  ] as const) {
    it(`[FreeRTOS OTA PAL] ${name}: openssl verifies the signature with the certificate in metadata over the signed message`, () => {
      const { header, signature, payload } = readSignedJson(file(name).toString('utf8'));
      if (payload !== undefined) expect(Buffer.from(payload).equals(MESSAGE)).toBe(true);
      const cert = new X509Certificate(Buffer.from(header.metadata.certificateChain[0]!, 'base64'));
      expect(opensslVerifies({ hash, publicKeyPem: publicPem(cert.publicKey), signature, data: MESSAGE })).toBe(true);
    });
  }

  it('[lambda-code-signing.md] lambda-package.signed.zip: unzip -t, openssl cms -verify (time check off: fixture chain) and verifySignedLambdaZip accept it', async () => {
    const signed = file('lambda-package.signed.zip');
    const root = file('p384-root.crt.pem').toString('utf8');
    const result = await verifySignedLambdaZip(signed, { trustedRoots: [pemToDer(root)] });
    expect(result).toMatchObject({ ok: true, claims: { signingJobArn: expect.stringContaining(':/signing-jobs/') } });
    withTempDir((p) => {
      writeFileSync(p('s.zip'), signed);
      writeFileSync(p('root.pem'), root);
      expect(execFileSync('unzip', ['-t', p('s.zip')]).toString()).toContain('No errors detected');
      writeFileSync(p('sig.pem'), execFileSync('unzip', ['-p', p('s.zip'), SIGNATURE_ENTRY]));
      const script = `import hashlib,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1]);h=hashlib.sha384()\nfor i in z.infolist():\n    if i.filename!='${SIGNATURE_ENTRY}':\n        h.update(i.filename.encode());h.update(z.read(i))\nopen(sys.argv[2],'wb').write(h.digest())`;
      execFileSync('python3', ['-c', script, p('s.zip'), p('c.bin')]);
      const r = openssl(['cms', '-verify', '-binary', '-inform', 'PEM', '-in', p('sig.pem'), '-content', p('c.bin'), '-CAfile', p('root.pem'), '-purpose', 'any', '-no_check_time', '-out', p('o.bin')]);
      expect(r.out).toContain('Verification successful');
    });
  });

  it('[signature-envelope-jws.md] notation-envelope.jws.json: openssl verifies the ES384 signature with x5c[0]', () => {
    const envelope = JSON.parse(file('notation-envelope.jws.json').toString('utf8')) as { payload: string; protected: string; header: { x5c: string[] }; signature: string };
    const cert = new X509Certificate(Buffer.from(envelope.header.x5c[0]!, 'base64'));
    const der = p384.Signature.fromBytes(Buffer.from(envelope.signature, 'base64url'), 'compact').toBytes('der');
    expect(opensslVerifies({ hash: 'sha384', publicKeyPem: publicPem(cert.publicKey), signature: der, data: Buffer.from(`${envelope.protected}.${envelope.payload}`) })).toBe(true);
  });
});

describe('verifySignedLambdaZip fails closed on bad input', () => {
  const signed = file('lambda-package.signed.zip');
  const roots = [pemToDer(file('p384-root.crt.pem').toString('utf8'))];
  const flip = (at: number) => {
    const b = Buffer.from(signed);
    b[at] = b[at]! ^ 0x01;
    return b;
  };
  const sfStart = signed.indexOf(Buffer.from(SIGNATURE_ENTRY));
  const table: [string, () => Uint8Array][] = [
    ['an empty buffer', () => new Uint8Array(0)],
    ['random bytes', () => Buffer.alloc(3000, 0x5a)],
    ['the package cut in half', () => signed.subarray(0, signed.length >> 1)],
    ['the end record cut off', () => signed.subarray(0, -22)],
    ['a bit flip in the first entry\'s data', () => flip(60)],
    ['a bit flip inside the deflated signature file', () => flip(sfStart + SIGNATURE_ENTRY.length + 40)],
    ['the unsigned original', () => file('lambda-package.zip')],
  ];
  for (const [name, make] of table) {
    it(`[house-style rule 10] ${name} is invalid, with a reason`, async () => {
      const r = await verifySignedLambdaZip(make(), { trustedRoots: roots });
      expect(r.ok).toBe(false);
      expect((r as { reason: string }).reason.length).toBeGreaterThan(0);
    });
  }

  it('[house-style rule 15] a single-bit change at every byte (bit 0 or 7, alternating) returns a result instead of throwing, and is accepted only if an independent unzip (fflate) reads the same signed entries', async () => {
    const original = unzipSync(signed);
    let accepted = 0;
    for (let at = 0; at < signed.length; at++) {
      const b = Buffer.from(signed);
      b[at] = b[at]! ^ (at % 2 === 0 ? 0x01 : 0x80);
      const r = await verifySignedLambdaZip(b, { trustedRoots: roots });
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) continue;
      // accepted changes must leave the signed content alone: deflate padding bits, timestamps, PEM whitespace…
      accepted++;
      const again = unzipSync(b);
      expect(Object.keys(again)).toEqual(Object.keys(original));
      for (const [name, data] of Object.entries(original)) {
        if (name !== SIGNATURE_ENTRY) expect(Buffer.from(again[name]!).equals(Buffer.from(data)), `${name} after flipping byte ${at}`).toBe(true);
      }
    }
    expect(accepted).toBeLessThan(signed.length / 2); // most changes are rejected
  });
});

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it, beforeAll } from 'vitest';
import platform, { SIGNATURE_ENTRY, verifySignedLambdaZip } from '../platforms/AWSLambda-SHA384-ECDSA/index.js';
import descriptor from '../platforms/AWSLambda-SHA384-ECDSA/descriptor.json' with { type: 'json' };
import { PlatformInputError, type PlatformDescriptorFile, type SignRequest, type SigningKey } from '../platforms/platform.types.js';
import { collect, openssl, signRequest, sourceOf, withTempDir } from './platforms-helpers.js';
import { generateTestKey, issueTestChain, localSigningKey, pemToDer, type TestChain } from './support/local-signing-key.js';

const d = descriptor as PlatformDescriptorFile;

/** A deployment package made by Info-ZIP `zip` (not by us): deflated, stored and directory entries. */
function makePackage(opts: { withMetaInf?: boolean; encrypt?: boolean } = {}): Buffer {
  return withTempDir((p) => {
    mkdirSync(p('src/lib'), { recursive: true });
    writeFileSync(p('src/index.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n'.repeat(50));
    writeFileSync(p('src/lib/data.bin'), randomBytes(200_000));
    writeFileSync(p('src/lib/empty.txt'), '');
    if (opts.withMetaInf) mkdirSync(p('src/META_INF'));
    const run = (args: string[]) => execFileSync('zip', args, { cwd: p('src'), stdio: 'ignore' });
    run(['-q', '-r', '-X', ...(opts.encrypt ? ['-P', 'secret'] : []), p('pkg.zip'), '.', '-x', 'lib/data.bin']);
    run(['-q', '-0', '-X', p('pkg.zip'), 'lib/data.bin']); // stored entry
    return readFileSync(p('pkg.zip'));
  });
}

let chain: TestChain;
let key: SigningKey;
beforeAll(() => {
  const keyObject = generateTestKey('EC_secp384r1');
  chain = issueTestChain(keyObject, '/CN=lambda signer');
  key = localSigningKey(keyObject, chain.chain);
});

async function signZip(zip: Uint8Array, over: Partial<SignRequest> = {}): Promise<Buffer> {
  const artifact = await platform.sign(signRequest(d, zip, key, { sourceKey: 'fn.zip', ...over }));
  expect(artifact.extension).toBe('.zip');
  return collect(artifact.body());
}

/** SHA-384(name ‖ body …) over every entry but the signature, computed by Python's zipfile (independent reader). */
function contentDigestByPython(zipPath: string, out: string): void {
  const script = [
    'import hashlib, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1]); h = hashlib.sha384()',
    `for i in z.infolist():\n    if i.filename != '${SIGNATURE_ENTRY}':\n        h.update(i.filename.encode()); h.update(z.read(i))`,
    'open(sys.argv[2], "wb").write(h.digest())',
  ].join('\n');
  execFileSync('python3', ['-c', script, zipPath, out]);
}

describe('AWSLambda-SHA384-ECDSA: signed package checked by unzip, Python zipfile and openssl cms', () => {
  for (const withMetaInf of [false, true]) {
    it(`[Signer guide "Create a signing job for Lambda"; lambda-code-signing.md] ${withMetaInf ? 'a package that already has META_INF/' : 'a package'} gets ${SIGNATURE_ENTRY}; openssl cms -verify accepts the detached signature over the entries`, async () => {
      const input = makePackage({ withMetaInf });
      const output = await signZip(input);
      withTempDir((p) => {
        writeFileSync(p('out.zip'), output);
        writeFileSync(p('root.pem'), chain.rootPem);
        expect(execFileSync('unzip', ['-t', p('out.zip')]).toString()).toContain('No errors detected');
        const names = execFileSync('unzip', ['-Z1', p('out.zip')]).toString().trim().split('\n');
        expect(names.at(-1)).toBe(SIGNATURE_ENTRY);
        if (!withMetaInf) expect(names.at(-2)).toBe('META_INF/');
        expect(names.filter((n) => n === 'META_INF/')).toHaveLength(1);
        writeFileSync(p('sig.pem'), execFileSync('unzip', ['-p', p('out.zip'), SIGNATURE_ENTRY]));
        expect(readFileSync(p('sig.pem'), 'utf8')).toMatch(/^-----BEGIN PKCS7-----\n/);
        contentDigestByPython(p('out.zip'), p('content.bin'));
        const verified = openssl(['cms', '-verify', '-binary', '-inform', 'PEM', '-in', p('sig.pem'), '-content', p('content.bin'), '-CAfile', p('root.pem'), '-purpose', 'any', '-out', p('verified.bin')]);
        expect(verified.out).toContain('Verification successful');
        const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'PEM', '-in', p('sig.pem')]).out;
        for (const text of ['1.3.187.137.1.2', '1.3.187.137.1.3', '1.3.187.137.1.4', 'ecdsa-with-SHA384', 'sha384']) expect(printed).toContain(text);
        expect(printed).toContain('arn:aws:signer:us-east-1:123456789012:/signing-jobs/5a4f3a0e-4c1b-4f6e-9d7e-2b7c3a1d0e9f');
        expect(printed).toContain('arn:aws:signer:us-east-1:123456789012:/signing-profiles/fw_profile/AbCdEf1234');
        // a changed entry no longer matches the signed digest
        writeFileSync(p('content.bin'), Buffer.concat([readFileSync(p('content.bin')).subarray(1), Buffer.from([0])]));
        expect(openssl(['cms', '-verify', '-binary', '-inform', 'PEM', '-in', p('sig.pem'), '-content', p('content.bin'), '-CAfile', p('root.pem'), '-purpose', 'any', '-out', p('v2.bin')]).status).not.toBe(0);
      });
      // original entries are copied byte for byte: only the central directory moves
      const cdOffset = input.readUInt32LE(input.length - 22 + 16);
      expect(output.subarray(0, cdOffset).equals(input.subarray(0, cdOffset))).toBe(true);
    });
  }

  it('[verifySignedLambdaZip] accepts our package with the issuing root, reports the claims, and fails closed on tampering or a foreign root', async () => {
    // signing time inside the freshly issued test certificate's validity
    const createdAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
    const base = signRequest(d, new Uint8Array(0), key).job;
    const output = await signZip(makePackage(), { job: { ...base, createdAt } });
    const rootDer = pemToDer(chain.rootPem);
    const ok = await verifySignedLambdaZip(output, { trustedRoots: [rootDer], now: new Date('2030-01-01T00:00:00Z') });
    expect(ok).toMatchObject({
      ok: true,
      expired: false,
      claims: {
        signingJobArn: 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/5a4f3a0e-4c1b-4f6e-9d7e-2b7c3a1d0e9f',
        signingProfileVersionArn: 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/fw_profile/AbCdEf1234',
        signingTime: createdAt,
        signatureExpiresAt: new Date('2037-11-24T12:00:00Z'),
      },
    });
    expect((await verifySignedLambdaZip(output, { trustedRoots: [rootDer], now: new Date('2038-01-01T00:00:00Z') }) as { expired: boolean }).expired).toBe(true);
    const tampered = Buffer.from(output);
    tampered[200] = tampered[200]! ^ 0xff; // inside the first (deflated) entry
    expect((await verifySignedLambdaZip(tampered, { trustedRoots: [rootDer] })).ok).toBe(false);
    const other = issueTestChain(generateTestKey('EC_secp384r1'));
    expect(await verifySignedLambdaZip(output, { trustedRoots: [pemToDer(other.rootPem)] })).toMatchObject({ ok: false, reason: expect.stringMatching(/trusted root/) });
    expect(await verifySignedLambdaZip(makePackage(), { trustedRoots: [rootDer] })).toEqual({ ok: false, code: 'MissingSignature', reason: 'package is not signed' });
  });

  it('[issue 3 item 2] streams: the source is read in three passes of small chunks and no output chunk is larger than a source chunk or the new tail', async () => {
    const input = makePackage();
    let opened = 0;
    const chunked = sourceOf(input, 1000);
    const artifact = await platform.sign(signRequest(d, input, key, { openSource: () => { opened++; return chunked(); } }));
    let largest = 0;
    for await (const c of artifact.body()) largest = Math.max(largest, c.length);
    expect(opened).toBe(3);
    expect(largest).toBeLessThan(8192);
  });
});

describe('AWSLambda-SHA384-ECDSA: bad input is refused with PlatformInputError', () => {
  const eocdOnly = Buffer.from(`504b0506${'00'.repeat(18)}`, 'hex');
  const corrupt = (mutate: (b: Buffer) => void) => () => {
    const b = Buffer.from(makePackage());
    mutate(b);
    return b;
  };
  const table: [string, () => Uint8Array | Promise<Uint8Array>, RegExp, Partial<SignRequest>?][] = [
    ['an empty zip (end record only)', () => eocdOnly, /zip file is empty/],
    ['an already signed zip', async () => signZip(makePackage()), /already signed/],
    ['bytes that are not a zip', () => randomBytes(5000), /malformed zip file: no end-of-central-directory/],
    ['a zip cut short (end record missing)', () => makePackage().subarray(0, -10), /malformed zip file/],
    ['a broken local header signature', corrupt((b) => { b[0] = 0; }), /bad local file header/],
    ['corrupt deflate data', corrupt((b) => { for (let i = 60; i < 90; i++) b[i] = 0xff; }), /malformed zip file: entry/],
    ['an encrypted entry', () => makePackage({ encrypt: true }), /encrypted/],
    ['a declared size beyond Lambda’s 250 MB unzipped limit', corrupt((b) => { const cd = b.readUInt32LE(b.length - 6); b.writeUInt32LE(300 * 1024 * 1024, cd + 24); }), /exceed/],
  ];
  for (const [name, make, message, over] of table) {
    it(`refuses ${name}`, async () => {
      const zip = await make();
      const attempt = platform.sign(signRequest(d, zip, key, over));
      await expect(attempt).rejects.toBeInstanceOf(PlatformInputError);
      await expect(attempt).rejects.toThrow(message);
    });
  }

  it('refuses a key without a certificate chain, with a clear reason', async () => {
    const attempt = platform.sign(signRequest(d, makePackage(), localSigningKey(generateTestKey('EC_secp384r1'))));
    await expect(attempt).rejects.toBeInstanceOf(PlatformInputError);
    await expect(attempt).rejects.toThrow(/has no certificate/);
  });

  it('refuses a P-256 key (the platform is ECDSA P-384 / SHA-384)', async () => {
    const attempt = platform.sign(signRequest(d, makePackage(), localSigningKey(generateTestKey('EC_prime256v1'))));
    await expect(attempt).rejects.toThrow(/needs a key of type EC_secp384r1/);
  });

  it('refuses a package over maxSizeInMB (250)', async () => {
    const attempt = platform.sign(signRequest(d, makePackage(), key, { sourceSize: 250 * 1024 * 1024 + 1 }));
    await expect(attempt).rejects.toThrow(/at most 250 MB/);
  });
});

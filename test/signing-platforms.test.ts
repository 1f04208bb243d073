/**
 * Every signing platform × algorithm through the real server (SDK StartSigningJob / SignPayload,
 * embedded S3, certificates imported over the ACM API), each result checked by code nobody here
 * wrote: the `openssl` CLI (dgst / pkeyutl / cms / verify) and Python's zipfile — plus our own
 * firmware-verifier where it knows the format. Then the ways a job fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DescribeSigningJobCommand,
  PutSigningProfileCommand,
  SignPayloadCommand,
  StartSigningJobCommand,
  type DescribeSigningJobCommandOutput,
  type SigningConfigurationOverrides,
} from '@aws-sdk/client-signer';
import { strToU8, zipSync } from 'fflate';
import { createTrustStore, verify as deviceVerify } from '../firmware-verifier/index.js';
import { verifySignedLambdaZip, SIGNATURE_ENTRY } from '../platforms/AWSLambda-SHA384-ECDSA/index.js';
import { createTestCa, issueCodeSigningCertificate, type TestCa } from '../src/keys/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

type Alg = 'EC_prime256v1' | 'EC_secp384r1' | 'RSA_2048' | 'RSA_3072' | 'ED25519';

let t: TestServer;
let s3: S3Client;
let acm: ACMClient;
let ca: TestCa;
let work: string;
let profileN = 0;
const certs = new Map<Alg, Promise<{ arn: string; certPem: string; pubPem: string }>>();

beforeAll(async () => {
  t = await startTestServer();
  const credentials = { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey };
  s3 = new S3Client({ endpoint: t.server.s3Url, forcePathStyle: true, region: 'us-east-1', credentials, maxAttempts: 1 });
  acm = new ACMClient({ endpoint: t.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  work = mkdtempSync(join(tmpdir(), 'signing-platforms-'));
  ca = await createTestCa({ dir: join(work, 'ca') });
  await s3.send(new CreateBucketCommand({ Bucket: 'src' }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'src', VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new CreateBucketCommand({ Bucket: 'dst' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'plain' })); // never versioned
});
afterAll(async () => {
  await t?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A TEST ONLY code-signing certificate of `alg`, imported through the ACM API (one per key type). */
function cert(alg: Alg): Promise<{ arn: string; certPem: string; pubPem: string }> {
  let p = certs.get(alg);
  if (!p) {
    p = (async () => {
      const issued = await issueCodeSigningCertificate({ ca, subject: `CN=signing ${alg}`, algorithm: alg, outDir: join(work, 'leaves') });
      const { CertificateArn } = await acm.send(
        new ImportCertificateCommand({ Certificate: strToU8(issued.certificatePem), PrivateKey: strToU8(issued.privateKeyPem), CertificateChain: strToU8(issued.chainPem) }),
      );
      const pubPem = String(new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }));
      return { arn: CertificateArn!, certPem: issued.certificatePem, pubPem };
    })();
    certs.set(alg, p);
  }
  return p;
}

interface JobSpec {
  platformId: string;
  certificateArn?: string;
  /** Our platforms accept more than the SDK's enums (SHA384, ED25519). */
  overrides?: { encryptionAlgorithm?: string; hashAlgorithm?: string };
  signingParameters?: Record<string, string>;
  body: Uint8Array;
  bucket?: string;
}

async function profile(spec: Omit<JobSpec, 'body'>): Promise<string> {
  const profileName = `p${++profileN}_${spec.platformId.replace(/[^A-Za-z0-9]/g, '_')}`.slice(0, 64);
  await t.admin.client.send(
    new PutSigningProfileCommand({
      profileName,
      platformId: spec.platformId,
      ...(spec.certificateArn ? { signingMaterial: { certificateArn: spec.certificateArn } } : {}),
      ...(spec.overrides ? { overrides: { signingConfiguration: spec.overrides as SigningConfigurationOverrides } } : {}),
      ...(spec.signingParameters ? { signingParameters: spec.signingParameters } : {}),
    }),
  );
  return profileName;
}

/** PutSigningProfile, PutObject, StartSigningJob, drain, DescribeSigningJob, GetObject. */
async function runJob(spec: JobSpec): Promise<{ job: DescribeSigningJobCommandOutput; out?: Buffer; prefix: string }> {
  const profileName = await profile(spec);
  const key = `fw/${profileName}.bin`;
  const put = await s3.send(new PutObjectCommand({ Bucket: spec.bucket ?? 'src', Key: key, Body: spec.body }));
  const prefix = `${profileName}/`;
  const { jobId } = await t.admin.client.send(
    new StartSigningJobCommand({
      source: { s3: { bucketName: spec.bucket ?? 'src', key, version: put.VersionId ?? 'null' } },
      destination: { s3: { bucketName: 'dst', prefix } },
      profileName,
    }),
  );
  await t.server.jobs.drain();
  const job = await t.admin.client.send(new DescribeSigningJobCommand({ jobId }));
  if (job.status !== 'Succeeded') return { job, prefix };
  const obj = await s3.send(new GetObjectCommand({ Bucket: 'dst', Key: job.signedObject!.s3!.key! }));
  return { job, out: Buffer.from(await obj.Body!.transformToByteArray()), prefix };
}

// ---- independent verification: the openssl CLI over temp files -------------------------------

function inTemp<T>(files: Record<string, Uint8Array | string>, fn: (p: (n: string) => string) => T): T {
  const dir = mkdtempSync(join(work, 'v-'));
  const p = (n: string) => join(dir, n);
  try {
    for (const [n, v] of Object.entries(files)) writeFileSync(p(n), v);
    return fn(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** `openssl dgst -<hash> -verify`: a signature over the file itself. */
function dgstVerifies(hash: string, pubPem: string, sig: Uint8Array, data: Uint8Array, pssSalt?: number): boolean {
  return inTemp({ 'pub.pem': pubPem, sig, data }, (p) => {
    const pss = pssSalt === undefined ? [] : ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${pssSalt}`];
    const r = openssl(['dgst', `-${hash}`, ...pss, '-verify', p('pub.pem'), '-signature', p('sig'), p('data')]);
    return r.ok && r.out.includes('Verified OK');
  });
}

/** `openssl pkeyutl -verify`: a signature over a digest we computed (ECDSA, RSA-PSS) or, `rawin`, over a message (Ed25519). */
function pkeyutlVerifies(pubPem: string, sig: Uint8Array, input: Uint8Array, opts: { pss?: { hash: string; salt: number }; rawin?: boolean } = {}): boolean {
  return inTemp({ 'pub.pem': pubPem, sig, input }, (p) => {
    const extra = opts.pss
      ? ['-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', `rsa_pss_saltlen:${opts.pss.salt}`, '-pkeyopt', `digest:${opts.pss.hash}`]
      : opts.rawin
        ? ['-rawin']
        : [];
    const r = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', p('pub.pem'), ...extra, '-in', p('input'), '-sigfile', p('sig')]);
    return r.ok && r.out.includes('Signature Verified Successfully');
  });
}

/** DER Ecdsa-Sig-Value from big-endian r and s. */
function derSignature(r: Uint8Array, s: Uint8Array): Buffer {
  const int = (x: Uint8Array) => {
    let b = Buffer.from(x);
    while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from(body.length < 128 ? [0x30, body.length] : [0x30, 0x81, body.length]), body]);
}

const sha = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest();
const firmware = (n: number) => randomBytes(n);

// ---- FreeRTOS / IoT Device Management / TI CC3220SF: a raw signature over the whole file ------

describe('[StartSigningJob] OTA JSON platforms, checked with openssl dgst -verify and firmware-verifier', () => {
  const cases = [
    { platformId: 'AmazonFreeRTOS-Default', alg: 'EC_prime256v1', hash: 'sha256', method: 'sig-sha256-ecdsa', sigAlg: 'SHA256withECDSA', embedded: true },
    { platformId: 'AmazonFreeRTOS-Default', alg: 'RSA_2048', hash: 'sha256', method: 'sig-sha256-rsa', sigAlg: 'SHA256withRSA', embedded: true, overrides: { encryptionAlgorithm: 'RSA' } },
    { platformId: 'AmazonFreeRTOS-Default', alg: 'RSA_3072', hash: 'sha256', method: 'sig-sha256-rsa', sigAlg: 'SHA256withRSA', embedded: true, overrides: { encryptionAlgorithm: 'RSA' } },
    { platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', alg: 'EC_prime256v1', hash: 'sha256', method: 'sig-sha256-ecdsa', sigAlg: 'SHA256withECDSA', embedded: false },
    { platformId: 'AmazonFreeRTOS-TI-CC3220SF', alg: 'RSA_2048', hash: 'sha1', method: 'sig-sha1-rsa', sigAlg: 'SHA1withRSA', embedded: true },
  ] as const;
  for (const c of cases) {
    it(`${c.platformId} ${c.alg} ${c.method}: ${c.embedded ? 'JSONEmbedded' : 'JSONDetached'} signed object, signature verifies over the file`, async () => {
      const { arn, certPem, pubPem } = await cert(c.alg);
      const body = firmware(150_001);
      const { job, out } = await runJob({
        platformId: c.platformId,
        certificateArn: arn,
        body,
        signingParameters: { certname: 'certs/signer.crt' },
        ...('overrides' in c ? { overrides: c.overrides } : {}),
      });
      expect(job.status, job.statusReason).toBe('Succeeded');
      const json = JSON.parse(out!.toString('utf8')) as Record<string, unknown> & { metadata: Record<string, unknown> };
      expect(json.rawPayloadSize).toBe(body.length);
      expect(json.signatureAlgorithm).toBe(c.sigAlg);
      expect(json.metadata.otaSignatureKey).toBe(c.method);
      expect(json.metadata.certname).toBe('certs/signer.crt');
      expect(json.metadata.signingJobArn).toBe(`arn:aws:signer:us-east-1:${t.admin.accountId}:/signing-jobs/${job.jobId}`);
      if (c.embedded) expect(Buffer.from(json.payload as string, 'base64').equals(body)).toBe(true);
      else expect(json.digest).toBe(sha('sha256', body).toString('base64'));
      const signature = Buffer.from(json.signature as string, 'base64');

      // openssl: the signature over the original file, with the certificate's public key
      expect(dgstVerifies(c.hash, pubPem, signature, body)).toBe(true);
      expect(dgstVerifies(c.hash, pubPem, signature, Buffer.concat([body, Buffer.from([0])]))).toBe(false);

      // firmware-verifier, as the device's OTA PAL / CC3220 NWP would
      if (c.method === 'sig-sha1-rsa') {
        const trust = createTrustStore({ certificates: [certPem], roots: [ca.certificatePem] });
        const r = deviceVerify(body, 'cc3220sf', trust, { signature, signerCertificate: certPem });
        expect(r).toMatchObject({ ok: true });
      } else {
        const r = deviceVerify(body, 'freertos', createTrustStore({ certificates: [certPem] }), { signature, signatureMethod: c.method });
        expect(r).toMatchObject({ ok: true, info: { digest: sha(c.hash, body).toString('hex') } });
        const strict = deviceVerify(body, 'freertos', createTrustStore({ roots: [ca.certificatePem] }), { signature, signatureMethod: c.method, mode: 'strict', signerCertificate: certPem });
        expect(strict).toMatchObject({ ok: true });
      }
    });
  }
});

// ---- MCUboot: imgtool-format image, signature over the image hash ------------------------------

/** Parses an MCUboot image independently: the hashed region and the unprotected TLVs. */
function parseMcuboot(img: Buffer): { hashed: Buffer; tlvs: Map<number, Buffer> } {
  expect(img.readUInt32LE(0)).toBe(0x96f3b83d);
  const hdrSize = img.readUInt16LE(8);
  const protSize = img.readUInt16LE(10);
  const imgSize = img.readUInt32LE(12);
  const end = hdrSize + imgSize + protSize;
  expect(img.readUInt16LE(end)).toBe(0x6907);
  const total = img.readUInt16LE(end + 2);
  const tlvs = new Map<number, Buffer>();
  for (let off = end + 4; off < end + total; ) {
    const type = img.readUInt16LE(off);
    const len = img.readUInt16LE(off + 2);
    tlvs.set(type, img.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return { hashed: img.subarray(0, end), tlvs };
}

describe('[StartSigningJob] MCUboot, checked with openssl pkeyutl -verify over the image hash and firmware-verifier', () => {
  const cases = [
    { alg: 'EC_prime256v1', hash: 'sha256', hashTlv: 0x10, sigTlv: 0x22 },
    { alg: 'EC_secp384r1', hash: 'sha384', hashTlv: 0x11, sigTlv: 0x22, overrides: { hashAlgorithm: 'SHA384' } },
    { alg: 'RSA_2048', hash: 'sha256', hashTlv: 0x10, sigTlv: 0x20, overrides: { encryptionAlgorithm: 'RSA' } },
    { alg: 'RSA_3072', hash: 'sha256', hashTlv: 0x10, sigTlv: 0x23, overrides: { encryptionAlgorithm: 'RSA' } },
    { alg: 'ED25519', hash: 'sha256', hashTlv: 0x10, sigTlv: 0x24, overrides: { encryptionAlgorithm: 'ED25519' } },
  ] as const;
  for (const c of cases) {
    it(`MCUboot ${c.alg}: hash TLV 0x${c.hashTlv.toString(16)} and signature TLV 0x${c.sigTlv.toString(16)} verify`, async () => {
      const { arn, pubPem } = await cert(c.alg);
      const body = firmware(70_000);
      const { job, out } = await runJob({
        platformId: 'MCUboot',
        certificateArn: arn,
        body,
        signingParameters: { version: '1.2.3+4', securityCounter: 'auto' },
        ...('overrides' in c ? { overrides: c.overrides } : {}),
      });
      expect(job.status, job.statusReason).toBe('Succeeded');
      expect(job.signedObject!.s3!.key).toMatch(/\.signed\.bin$/);
      const img = out!;
      const { hashed, tlvs } = parseMcuboot(img);
      expect(hashed.subarray(0x200, 0x200 + body.length).equals(body)).toBe(true);
      const digest = sha(c.hash, hashed);
      expect(tlvs.get(c.hashTlv)?.equals(digest)).toBe(true);
      const sig = tlvs.get(c.sigTlv)!;
      expect(sig).toBeDefined();
      const ok =
        c.alg === 'ED25519'
          ? pkeyutlVerifies(pubPem, sig, digest, { rawin: true })
          : c.alg.startsWith('RSA')
            ? pkeyutlVerifies(pubPem, sig, digest, { pss: { hash: 'sha256', salt: 32 } })
            : pkeyutlVerifies(pubPem, sig, digest);
      expect(ok).toBe(true);
      const tampered = Buffer.from(digest);
      tampered[0]! ^= 1;
      expect(c.alg === 'ED25519' ? pkeyutlVerifies(pubPem, sig, tampered, { rawin: true }) : pkeyutlVerifies(pubPem, sig, tampered, c.alg.startsWith('RSA') ? { pss: { hash: 'sha256', salt: 32 } } : {})).toBe(false);

      const r = deviceVerify(img, 'mcuboot', createTrustStore({ publicKeys: [pubPem] }));
      expect(r).toMatchObject({ ok: true, info: { version: '1.2.3+4', securityCounter: (1 << 24) | (2 << 16) | 3 } });
    });
  }
});

// ---- ESP32 Secure Boot V2: padded image + signature sector -------------------------------------

describe('[StartSigningJob] ESP32-SecureBootV2, checked with openssl pkeyutl -verify over the image digest and firmware-verifier', () => {
  const cases = [
    { alg: 'RSA_3072', hash: 'sha256' },
    { alg: 'EC_prime256v1', hash: 'sha256', overrides: { encryptionAlgorithm: 'ECDSA', hashAlgorithm: 'SHA256' } },
    { alg: 'EC_secp384r1', hash: 'sha384', overrides: { encryptionAlgorithm: 'ECDSA', hashAlgorithm: 'SHA384' } },
  ] as const;
  for (const c of cases) {
    it(`ESP32-SecureBootV2 ${c.alg}: the signature block verifies over the padded image`, async () => {
      const { arn, pubPem } = await cert(c.alg);
      const body = firmware(10_000);
      const { job, out } = await runJob({ platformId: 'ESP32-SecureBootV2', certificateArn: arn, body, ...('overrides' in c ? { overrides: c.overrides } : {}) });
      expect(job.status, job.statusReason).toBe('Succeeded');
      const img = out!;
      expect(img.length).toBe(12_288 + 4096);
      const image = img.subarray(0, 12_288);
      expect(image.subarray(0, body.length).equals(body)).toBe(true);
      expect(image.subarray(body.length).every((b) => b === 0xff)).toBe(true);
      const block = img.subarray(12_288, 12_288 + 1216);
      expect(block[0]).toBe(0xe7);
      const digest = sha(c.hash, image);
      expect(block.subarray(4, 4 + digest.length).equals(digest)).toBe(true);
      // zlib CRC32 of bytes 0..1195 (Python's zlib, not ours)
      const crc = execFileSync('python3', ['-c', 'import sys,zlib; print(zlib.crc32(sys.stdin.buffer.read()))'], { input: block.subarray(0, 1196) }).toString().trim();
      expect(block.readUInt32LE(1196)).toBe(Number(crc));
      let ok: boolean;
      if (c.alg === 'RSA_3072') {
        expect(block[1]).toBe(0x02);
        const sig = Buffer.from(block.subarray(812, 812 + 384)).reverse();
        ok = pkeyutlVerifies(pubPem, sig, digest, { pss: { hash: 'sha256', salt: 32 } });
      } else {
        expect(block[1]).toBe(0x03);
        const size = c.hash === 'sha384' ? 48 : 32;
        let off = 4 + size;
        expect(block[off]).toBe(size === 48 ? 3 : 2);
        off += 1;
        const le = (n: number) => Buffer.from(block.subarray(off + n * size, off + (n + 1) * size)).reverse();
        const jwk = createPublicKey(pubPem).export({ format: 'jwk' });
        expect(le(0).equals(Buffer.from(jwk.x!, 'base64url'))).toBe(true);
        expect(le(1).equals(Buffer.from(jwk.y!, 'base64url'))).toBe(true);
        ok = pkeyutlVerifies(pubPem, derSignature(le(2), le(3)), digest);
      }
      expect(ok).toBe(true);
      const r = deviceVerify(img, 'esp32-sbv2', createTrustStore({ publicKeys: [pubPem] }));
      expect(r).toMatchObject({ ok: true, info: { digest: digest.toString('hex') } });
    });
  }
});

// ---- Lambda: PKCS#7 inside the zip, server-issued key ------------------------------------------

/** C = SHA-384(name ‖ body …) over every entry but the signature, by Python's zipfile (an independent reader). */
function lambdaContentByPython(zipPath: string, out: string): void {
  const script = [
    'import hashlib, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1]); h = hashlib.sha384()',
    `for i in z.infolist():\n    if i.filename != '${SIGNATURE_ENTRY}':\n        h.update(i.filename.encode()); h.update(z.read(i))`,
    'open(sys.argv[2], "wb").write(h.digest())',
  ].join('\n');
  execFileSync('python3', ['-c', script, zipPath, out]);
}

const lambdaPackage = () => zipSync({ 'index.js': strToU8('exports.handler = async () => 42;\n'.repeat(40)), 'lib/data.bin': randomBytes(30_000) });

describe('[StartSigningJob] AWSLambda-SHA384-ECDSA with the server key, checked with unzip + Python zipfile + openssl cms -verify', () => {
  it('the signed zip carries a detached PKCS#7 that openssl verifies against the account internal CA; verifySignedLambdaZip agrees', async () => {
    const pkg = lambdaPackage();
    const { job, out } = await runJob({ platformId: 'AWSLambda-SHA384-ECDSA', body: pkg });
    expect(job.status, job.statusReason).toBe('Succeeded');
    expect(job.signedObject!.s3!.key).toMatch(/\.zip$/);
    const rootPem = await t.server.certificates.getInternalCaCertificate({ accountId: t.admin.accountId, region: 'us-east-1' });
    inTemp({ 'out.zip': out!, 'root.pem': rootPem }, (p) => {
      expect(execFileSync('unzip', ['-t', p('out.zip')]).toString()).toContain('No errors detected');
      writeFileSync(p('sig.pem'), execFileSync('unzip', ['-p', p('out.zip'), SIGNATURE_ENTRY]));
      lambdaContentByPython(p('out.zip'), p('content.bin'));
      const v = openssl(['cms', '-verify', '-binary', '-inform', 'PEM', '-in', p('sig.pem'), '-content', p('content.bin'), '-CAfile', p('root.pem'), '-purpose', 'any', '-out', p('verified.bin')]);
      expect(v.out).toContain('Verification successful');
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'PEM', '-in', p('sig.pem')]).out;
      expect(printed).toContain(`arn:aws:signer:us-east-1:${t.admin.accountId}:/signing-jobs/${job.jobId}`);
      expect(printed).toContain('ecdsa-with-SHA384');
    });
    const ok = await verifySignedLambdaZip(out!, { trustedRoots: [new X509Certificate(rootPem).raw] });
    expect(ok).toMatchObject({ ok: true, expired: false, claims: { signingJobArn: `arn:aws:signer:us-east-1:${t.admin.accountId}:/signing-jobs/${job.jobId}` } });
  });

  /** Packages made by other tools: Info-ZIP writing to a pipe (data descriptors), Python zipfile (UTF-8 names, a comment, a directory entry) and Python streaming (data descriptors, no seek). */
  const foreignPackages: [string, () => Buffer][] = [
    [
      'Info-ZIP zip writing to a pipe (data descriptors)',
      () =>
        inTemp({ 'index.js': 'exports.handler = async () => 1;\n', 'blob.bin': randomBytes(40_000) }, (p) =>
          execFileSync('sh', ['-c', 'zip -q - index.js blob.bin | cat'], { cwd: p('.') }),
        ),
    ],
    [
      'Python zipfile: UTF-8 names, a directory entry, an archive comment',
      () =>
        execFileSync('python3', ['-c', [
          'import io, sys, zipfile',
          'b = io.BytesIO()',
          'with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:',
          '    z.writestr("dir/", "")',
          '    z.writestr("ünïcode/файл.js", "module.exports = 1;\\n")',
          '    z.writestr("index.js", "exports.handler = async () => 2;\\n")',
          '    z.comment = b"built by python"',
          'sys.stdout.buffer.write(b.getvalue())',
        ].join('\n')]),
    ],
    [
      'Python zipfile streaming to an unseekable writer (data descriptors)',
      () =>
        execFileSync('python3', ['-c', [
          'import sys, zipfile',
          'class W:',
          '    def __init__(s): s.parts = []',
          '    def write(s, b): s.parts.append(bytes(b)); return len(b)',
          '    def tell(s): raise OSError',
          '    def flush(s): pass',
          'w = W()',
          'with zipfile.ZipFile(w, "w", zipfile.ZIP_DEFLATED) as z:',
          '    with z.open("index.js", "w") as f: f.write(b"exports.handler = async () => 3;\\n" * 10)',
          'sys.stdout.buffer.write(b"".join(w.parts))',
        ].join('\n')]),
    ],
  ];
  for (const [what, make] of foreignPackages) {
    it(`a package made by ${what} signs and verifies with openssl cms`, async () => {
      const pkg = make();
      const { job, out } = await runJob({ platformId: 'AWSLambda-SHA384-ECDSA', body: pkg });
      expect(job.status, job.statusReason).toBe('Succeeded');
      const rootPem = await t.server.certificates.getInternalCaCertificate({ accountId: t.admin.accountId, region: 'us-east-1' });
      inTemp({ 'out.zip': out!, 'root.pem': rootPem }, (p) => {
        expect(execFileSync('unzip', ['-t', p('out.zip')]).toString()).toContain('No errors detected');
        writeFileSync(p('sig.pem'), execFileSync('unzip', ['-p', p('out.zip'), SIGNATURE_ENTRY]));
        lambdaContentByPython(p('out.zip'), p('content.bin'));
        const v = openssl(['cms', '-verify', '-binary', '-inform', 'PEM', '-in', p('sig.pem'), '-content', p('content.bin'), '-CAfile', p('root.pem'), '-purpose', 'any', '-out', p('verified.bin')]);
        expect(v.out).toContain('Verification successful');
      });
      // original entries byte for byte (only the central directory is rewritten)
      const cdOffset = pkg.readUInt32LE(pkg.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) + 16);
      expect(out!.subarray(0, cdOffset).equals(pkg.subarray(0, cdOffset))).toBe(true);
    });
  }

  const failing: [string, () => Uint8Array | Promise<Uint8Array>, RegExp][] = [
    ['an empty zip (no entries)', () => zipSync({}), /^zip file is empty/],
    ['a file that is not a zip', () => randomBytes(5000), /^malformed zip file: /],
    [
      'an already signed zip',
      async () => {
        const { out } = await runJob({ platformId: 'AWSLambda-SHA384-ECDSA', body: lambdaPackage() });
        return out!;
      },
      /^zip file is already signed/,
    ],
  ];
  for (const [what, make, reason] of failing) {
    it(`${what} → Failed with a clear statusReason, and no destination object`, async () => {
      const body = await make();
      const { job, prefix } = await runJob({ platformId: 'AWSLambda-SHA384-ECDSA', body });
      expect(job.status).toBe('Failed');
      expect(job.statusReason).toMatch(reason);
      expect(job.signedObject).toBeUndefined();
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'dst', Prefix: prefix }));
      expect(listed.KeyCount ?? 0).toBe(0);
    });
  }
});

// ---- Notation: SignPayload returns a JWS envelope ------------------------------------------------

describe('[SignPayload] Notation-OCI-SHA384-ECDSA JWS envelope, checked with openssl dgst -sha384 and openssl verify', () => {
  it('ES384 over protected.payload verifies with x5c[0]; x5c chains to the account internal CA', async () => {
    const profileName = await profile({ platformId: 'Notation-OCI-SHA384-ECDSA' });
    const payload = strToU8(JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ab'.repeat(32)}`, size: 528 } }));
    const r = await t.admin.client.send(new SignPayloadCommand({ profileName, payload, payloadFormat: 'application/vnd.cncf.notary.payload.v1+json' }));
    const env = JSON.parse(Buffer.from(r.signature!).toString('utf8')) as { payload: string; protected: string; signature: string; header: { x5c: string[] } };
    expect(Buffer.from(env.payload, 'base64url').equals(Buffer.from(payload))).toBe(true);
    const header = JSON.parse(Buffer.from(env.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'ES384', 'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority' });
    expect(header['com.amazonaws.signer.signingJob']).toBe(`arn:aws:signer:us-east-1:${t.admin.accountId}:/signing-jobs/${r.jobId}`);
    expect(r.metadata?.signingProfileVersionArn).toBe(header['com.amazonaws.signer.signingProfileVersion']);
    const rs = Buffer.from(env.signature, 'base64url');
    expect(rs.length).toBe(96);
    const leaf = new X509Certificate(Buffer.from(env.header.x5c[0]!, 'base64'));
    const pubPem = String(leaf.publicKey.export({ type: 'spki', format: 'pem' }));
    const signingInput = Buffer.from(`${env.protected}.${env.payload}`, 'ascii');
    expect(dgstVerifies('sha384', pubPem, derSignature(rs.subarray(0, 48), rs.subarray(48)), signingInput)).toBe(true);
    const rootPem = await t.server.certificates.getInternalCaCertificate({ accountId: t.admin.accountId, region: 'us-east-1' });
    inTemp({ 'root.pem': rootPem, 'leaf.pem': leaf.toString() }, (p) => {
      expect(openssl(['verify', '-CAfile', p('root.pem'), '-purpose', 'any', p('leaf.pem')]).out).toContain('OK');
    });
  });
});

// ---- failure paths ----------------------------------------------------------------------------

function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  return p.then(
    () => ({ name: 'none', message: '' }),
    (e: Error) => ({ name: e.name, message: e.message }),
  );
}

describe('[StartSigningJob] [PutSigningProfile] refusals and failed jobs', () => {
  it('a source object over the platform maxSizeInMB (FreeRTOS: 16 MiB) → ValidationException, no job', async () => {
    const { arn } = await cert('EC_prime256v1');
    const profileName = await profile({ platformId: 'AmazonFreeRTOS-Default', certificateArn: arn });
    const put = await s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'big.bin', Body: Buffer.alloc(16 * 1024 * 1024 + 1, 7) }));
    const e = await errorOf(
      t.admin.client.send(new StartSigningJobCommand({ source: { s3: { bucketName: 'src', key: 'big.bin', version: put.VersionId! } }, destination: { s3: { bucketName: 'dst' } }, profileName })),
    );
    expect(e.name).toBe('ValidationException');
    expect(e.message).toMatch(/16777217 bytes; platform AmazonFreeRTOS-Default signs at most 16777216 bytes/);
  });

  for (const version of ['f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAA', 'null']) {
    it(`a source bucket without versioning (version '${version}') → ValidationException`, async () => {
      const { arn } = await cert('EC_prime256v1');
      const profileName = await profile({ platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', certificateArn: arn });
      const put = await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'fw.bin', Body: firmware(100) }));
      expect(put.VersionId ?? 'null').toBe('null');
      const e = await errorOf(
        t.admin.client.send(new StartSigningJobCommand({ source: { s3: { bucketName: 'plain', key: 'fw.bin', version } }, destination: { s3: { bucketName: 'dst' } }, profileName })),
      );
      expect(e.name).toBe('ValidationException');
      expect(e.message).toMatch(/must have versioning enabled/);
    });
  }

  const refusedWhenSigning: [string, () => Promise<JobSpec>, RegExp][] = [
    ['an empty source (IoT DM)', async () => ({ platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', certificateArn: (await cert('EC_prime256v1')).arn, body: new Uint8Array(0) }), /^source object is empty: there is nothing to sign$/],
    ['MCUboot with a P-384 key but the default SHA256', async () => ({ platformId: 'MCUboot', certificateArn: (await cert('EC_secp384r1')).arn, body: firmware(1000) }), /^MCUboot images signed with a EC_secp384r1 key use SHA384, not SHA256 \(set the hash algorithm override\)$/],
    ['MCUboot padHeader=false over a source that does not start with zeros', async () => ({ platformId: 'MCUboot', certificateArn: (await cert('EC_prime256v1')).arn, body: Buffer.alloc(1000, 1), signingParameters: { padHeader: 'false' } }), /^padHeader is false but the first 512 bytes of the source are not all zero$/],
    ['ESP32 with a P-256 key and SHA384', async () => ({ platformId: 'ESP32-SecureBootV2', certificateArn: (await cert('EC_prime256v1')).arn, body: firmware(1000), overrides: { encryptionAlgorithm: 'ECDSA', hashAlgorithm: 'SHA384' } }), /^Secure Boot V2 signatures with a EC_prime256v1 key use SHA256, not SHA384/],
  ];
  for (const [what, spec, reason] of refusedWhenSigning) {
    it(`${what} → Failed with the platform's reason, no object`, async () => {
      const { job, prefix } = await runJob(await spec());
      expect(job.status).toBe('Failed');
      expect(job.statusReason).toMatch(reason);
      expect((await s3.send(new ListObjectsV2Command({ Bucket: 'dst', Prefix: prefix }))).KeyCount ?? 0).toBe(0);
    });
  }

  // PutSigningProfile checks the platform's exact key types (extras.keyTypes), not only the key family.
  it('a P-384 certificate on AWSIoTDeviceManagement-SHA256-ECDSA (P-256 only) → ValidationException at PutSigningProfile', async () => {
    const { arn } = await cert('EC_secp384r1');
    const e = await errorOf(profile({ platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', certificateArn: arn }));
    expect(e.name).toBe('ValidationException');
  });

  it('an RSA certificate on AWSIoTDeviceManagement-SHA256-ECDSA → ValidationException at PutSigningProfile', async () => {
    const { arn } = await cert('RSA_2048');
    const e = await errorOf(profile({ platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', certificateArn: arn }));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toMatch(/^Certificate arn:aws:acm:\S+: AWSIoTDeviceManagement-SHA256-ECDSA with ECDSA needs a key of type EC_prime256v1; the signing key is RSA_2048\.$/);
  });

  it('a certificate that expires after the profile was made → the job Fails, saying the certificate expired; no object', async () => {
    // The certificate must still be valid when the profile is made and expired when the job runs. Its
    // lifetime starts short and doubles whenever this machine was too slow to make the profile in time.
    let profileName: string | undefined;
    let notAfter = new Date();
    for (let lifetimeMs = 3000; profileName === undefined; lifetimeMs *= 2) {
      notAfter = new Date(Date.now() + lifetimeMs);
      const issued = await issueCodeSigningCertificate({ ca, subject: 'CN=short lived', algorithm: 'EC_prime256v1', outDir: join(work, `short-${lifetimeMs}`), overrides: { notAfter } });
      try {
        const { CertificateArn } = await acm.send(
          new ImportCertificateCommand({ Certificate: strToU8(issued.certificatePem), PrivateKey: strToU8(issued.privateKeyPem), CertificateChain: strToU8(issued.chainPem) }),
        );
        profileName = await profile({ platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', certificateArn: CertificateArn! });
      } catch (e) {
        if (Date.now() < notAfter.getTime() || lifetimeMs > 60_000) throw e;
      }
    }
    // X.509 times have whole seconds: wait for the clock to pass notAfter (rounded up) before signing.
    await waitFor('the certificate to expire', () => Date.now() > Math.ceil(notAfter.getTime() / 1000) * 1000 + 1000, { pollMs: 100 });
    const put = await s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'late.bin', Body: firmware(1000) }));
    const { jobId } = await t.admin.client.send(
      new StartSigningJobCommand({ source: { s3: { bucketName: 'src', key: 'late.bin', version: put.VersionId! } }, destination: { s3: { bucketName: 'dst', prefix: 'expired/' } }, profileName }),
    );
    await t.server.jobs.drain();
    const job = await t.admin.client.send(new DescribeSigningJobCommand({ jobId }));
    expect(job.status).toBe('Failed');
    expect(job.statusReason).toMatch(/^The certificate arn:aws:acm:.* expired at /);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'dst', Prefix: 'expired/' }))).KeyCount ?? 0).toBe(0);
  });
});

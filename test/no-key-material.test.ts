/**
 * No private key material leaves the key store: a signing session (certificates of every key type
 * imported over ACM, jobs on several platforms, SignPayload with a server-issued key, rejected
 * imports) runs with a debug logger capturing every line and SDK clients capturing every HTTP
 * response body; then all of it, plus every file of the data dir (SQLite database, WAL, objects),
 * is searched for each private key in every encoding we can think of.
 */
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACMClient, type KeyAlgorithm, DescribeCertificateCommand, GetCertificateCommand, ImportCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeSigningJobCommand,
  GetSigningProfileCommand,
  ListSigningJobsCommand,
  PutSigningProfileCommand,
  SignerClient,
  SignPayloadCommand,
  StartSigningJobCommand,
} from '@aws-sdk/client-signer';
import type { HttpResponse } from '@smithy/protocol-http';
import { strToU8, zipSync } from 'fflate';
import { loadConfig } from '../src/config/index.js';
import { createTestCa, createSqliteKeysStore, issueCodeSigningCertificate, loadOrCreateMasterKey, type KeyType } from '../src/keys/index.js';
import { unwrapPrivateKey } from '../src/keys/master-key.js';
import { createLogger } from '../src/log/index.js';
import { startServer, type RunningServer } from '../src/server/index.js';
import type { SqliteStateStore } from '../src/store/index.js';

const lines: string[] = [];
const bodies: Buffer[] = [];
let server: RunningServer;
let dataDir: string;
let caDir: string;
let signer: SignerClient;
let acm: ACMClient;
let s3: S3Client;
const privateKeys: { what: string; key: KeyObject }[] = [];

/** Every response body, as bytes, before the SDK deserializes it (innermost deserialize-step middleware). */
function captureBodies<C extends { middlewareStack: { add: (...a: never[]) => void } }>(client: C): C {
  (client.middlewareStack as unknown as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (a: unknown) => Promise<{ response: HttpResponse }>) => async (args: unknown) => {
      const out = await next(args);
      const chunks: Buffer[] = [];
      const body = out.response.body as AsyncIterable<Uint8Array> | undefined;
      if (body && typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function') {
        for await (const c of body) chunks.push(Buffer.from(c));
      }
      const all = Buffer.concat(chunks);
      bodies.push(all);
      out.response.body = Readable.from([all]);
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'captureResponseBody' },
  );
  return client;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'no-key-material-'));
  caDir = mkdtempSync(join(tmpdir(), 'no-key-material-ca-'));
  const config = loadConfig({ env: { SIGNER_THROTTLE_RPS: '0' }, flags: { dataDir, port: 0, s3Port: 0, mqttTlsPort: 0, mqttPort: 0 } });
  server = await startServer(config, { logger: createLogger('debug', (line) => lines.push(line)) });
  const key = (await server.store.listAccessKeys(server.adminAccountId))[0]!;
  const cred = (await server.accounts.lookup(key.accessKeyId))!;
  const credentials = { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey };
  signer = captureBodies(new SignerClient({ endpoint: server.apiUrl, region: 'us-east-1', credentials, disableHostPrefix: true, maxAttempts: 1 }));
  acm = captureBodies(new ACMClient({ endpoint: server.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 }));
  s3 = captureBodies(new S3Client({ endpoint: server.s3Url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 }));
});
afterAll(async () => {
  await server?.close().catch(() => undefined);
  for (const d of [dataDir, caDir]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Every encoding of a private key we search for: PEM body, PKCS#8 DER (raw, base64, hex), and each private JWK member (raw, hex, base64, base64url). */
function needles(key: KeyObject): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  const add = (name: string, raw: Buffer) => {
    out.push({ name: `${name} raw`, bytes: raw });
    for (const enc of ['hex', 'base64', 'base64url'] as const) {
      out.push({ name: `${name} ${enc}`, bytes: Buffer.from(raw.toString(enc)) });
    }
    out.push({ name: `${name} HEX`, bytes: Buffer.from(raw.toString('hex').toUpperCase()) });
  };
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  add('pkcs8', pkcs8);
  // a PEM's first body line (64 base64 characters) is enough to recognise a leaked PEM
  const pem = String(key.export({ type: 'pkcs8', format: 'pem' }));
  out.push({ name: 'pem first line', bytes: Buffer.from(pem.split('\n')[1]!) });
  if (key.asymmetricKeyType === 'rsa') add('pkcs1', key.export({ type: 'pkcs1', format: 'der' }));
  if (key.asymmetricKeyType === 'ec') add('sec1', key.export({ type: 'sec1', format: 'der' }));
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) if (jwk[m]) add(`jwk.${m}`, Buffer.from(jwk[m], 'base64url'));
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Where (haystack name, needle name) any key material occurs. */
function findLeaks(haystacks: { name: string; bytes: Buffer }[]): string[] {
  const found: string[] = [];
  for (const h of haystacks) {
    if (h.bytes.includes('PRIVATE KEY')) found.push(`${h.name}: PEM marker "PRIVATE KEY"`);
    for (const { what, key } of privateKeys) {
      for (const n of needles(key)) if (h.bytes.includes(n.bytes)) found.push(`${h.name}: ${what} as ${n.name}`);
    }
  }
  return found;
}

describe('[keys] no private key material in logs, HTTP responses or the data dir', () => {
  it('a signing session leaks no private key (and the search finds a planted one)', async () => {
    const ca = await createTestCa({ dir: caDir });
    privateKeys.push({ what: 'test CA key', key: createPrivateKey(readFileSync(ca.privateKeyPath)) });
    const arns: Partial<Record<KeyType, string>> = {};
    for (const alg of ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'RSA_3072', 'ED25519'] as const) {
      const c = await issueCodeSigningCertificate({ ca, subject: `CN=leak check ${alg}`, algorithm: alg });
      privateKeys.push({ what: `${alg} imported key`, key: createPrivateKey(c.privateKeyPem) });
      arns[alg] = (await acm.send(new ImportCertificateCommand({ Certificate: strToU8(c.certificatePem), PrivateKey: strToU8(c.privateKeyPem), CertificateChain: strToU8(c.chainPem) }))).CertificateArn!;
      await acm.send(new DescribeCertificateCommand({ CertificateArn: arns[alg] }));
      await acm.send(new GetCertificateCommand({ CertificateArn: arns[alg] }));
    }
    await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'RSA_3072', 'ED25519'] as KeyAlgorithm[] } }));
    // rejected imports: a mismatched key, and a key that does not parse; the errors must not echo them
    const other = await issueCodeSigningCertificate({ ca, subject: 'CN=leak check mismatch' });
    const stranger = await issueCodeSigningCertificate({ ca, subject: 'CN=leak check stranger' });
    privateKeys.push({ what: 'rejected (mismatched) key', key: createPrivateKey(stranger.privateKeyPem) });
    await expect(acm.send(new ImportCertificateCommand({ Certificate: strToU8(other.certificatePem), PrivateKey: strToU8(stranger.privateKeyPem) }))).rejects.toThrow(/does not match/);
    const broken = stranger.privateKeyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    await expect(acm.send(new ImportCertificateCommand({ Certificate: strToU8(other.certificatePem), PrivateKey: strToU8(broken) }))).rejects.toThrow(/could not be parsed|PEM/);

    await s3.send(new CreateBucketCommand({ Bucket: 'src' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'src', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new CreateBucketCommand({ Bucket: 'dst' }));
    const jobs: [string, string | undefined, Record<string, string> | undefined, Uint8Array][] = [
      ['AmazonFreeRTOS-Default', arns.EC_prime256v1, undefined, randomBytes(20_000)],
      ['AmazonFreeRTOS-TI-CC3220SF', arns.RSA_2048, undefined, randomBytes(20_000)],
      ['AWSIoTDeviceManagement-SHA256-ECDSA', arns.EC_prime256v1, undefined, randomBytes(20_000)],
      ['MCUboot', arns.ED25519, { encryptionAlgorithm: 'ED25519' }, randomBytes(20_000)],
      ['MCUboot', arns.RSA_3072, { encryptionAlgorithm: 'RSA' }, randomBytes(20_000)],
      ['ESP32-SecureBootV2', arns.EC_secp384r1, { encryptionAlgorithm: 'ECDSA', hashAlgorithm: 'SHA384' }, randomBytes(20_000)],
      ['AWSLambda-SHA384-ECDSA', undefined, undefined, zipSync({ 'index.js': strToU8('exports.handler = async () => 1;\n') })],
      ['AWSLambda-SHA384-ECDSA', undefined, undefined, randomBytes(300)], // fails: not a zip
    ];
    let i = 0;
    for (const [platformId, certificateArn, overrides, body] of jobs) {
      const profileName = `leak_${i++}`;
      await signer.send(
        new PutSigningProfileCommand({
          profileName,
          platformId,
          ...(certificateArn ? { signingMaterial: { certificateArn } } : {}),
          ...(overrides ? { overrides: { signingConfiguration: overrides } } : {}),
        }),
      );
      await signer.send(new GetSigningProfileCommand({ profileName }));
      const put = await s3.send(new PutObjectCommand({ Bucket: 'src', Key: `${profileName}.bin`, Body: body }));
      const { jobId } = await signer.send(
        new StartSigningJobCommand({ source: { s3: { bucketName: 'src', key: `${profileName}.bin`, version: put.VersionId! } }, destination: { s3: { bucketName: 'dst' } }, profileName }),
      );
      await server.jobs.drain();
      const job = await signer.send(new DescribeSigningJobCommand({ jobId }));
      if (job.status === 'Succeeded') {
        const obj = await s3.send(new GetObjectCommand({ Bucket: 'dst', Key: job.signedObject!.s3!.key! }));
        await obj.Body!.transformToByteArray();
      }
    }
    await signer.send(new PutSigningProfileCommand({ profileName: 'leak_notation', platformId: 'Notation-OCI-SHA384-ECDSA' }));
    const payload = strToU8(JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'cd'.repeat(32)}`, size: 1 } }));
    await signer.send(new SignPayloadCommand({ profileName: 'leak_notation', payload, payloadFormat: 'application/vnd.cncf.notary.payload.v1+json' }));
    await signer.send(new ListSigningJobsCommand({}));
    // raw HTTP too: an unauthenticated ping and a request without credentials (error bodies)
    for (const init of [{ method: 'GET', path: '/ping' }, { method: 'GET', path: '/signing-profiles' }]) {
      const r = await fetch(`${server.apiUrl}${init.path}`, { method: init.method });
      bodies.push(Buffer.from(await r.arrayBuffer()));
    }

    // The server-issued keys (Lambda, Notation) and the internal CA: unwrap them from the key store to search for them too.
    const master = loadOrCreateMasterKey(dataDir);
    const wrapped = createSqliteKeysStore((server.store as SqliteStateStore).db).wrappedKeys;
    const ids = await wrapped.listIds();
    expect(ids.length).toBe(5 + 1 + 3); // five imports, the internal CA, three server keys (two Lambda profiles, one Notation)
    for (const id of ids) {
      const rec = (await wrapped.get(id))!;
      privateKeys.push({ what: `stored key ${rec.keyType} ${id}`, key: createPrivateKey({ key: unwrapPrivateKey([master], rec.keyId, rec.keyType, rec.envelope), format: 'der', type: 'pkcs8' }) });
    }

    await server.close();
    const haystacks = [
      { name: 'server log', bytes: Buffer.from(lines.join('\n')) },
      ...bodies.map((b, n) => ({ name: `HTTP response body #${n}`, bytes: b })),
      ...filesUnder(dataDir)
        .filter((f) => !f.endsWith('master.key'))
        .map((f) => ({ name: f.slice(dataDir.length + 1), bytes: readFileSync(f) })),
    ];
    // the server logs little (startup, failures); whatever it logged is searched
    expect(lines.some((l) => l.includes('"msg":"listening"'))).toBe(true);
    expect(bodies.length).toBeGreaterThan(60);
    // the capture sees raw wire bytes: ACM JSON with certificate PEM, the signed zip from GetObject
    expect(bodies.some((b) => b.includes('-----BEGIN CERTIFICATE-----'))).toBe(true);
    expect(bodies.some((b) => b.includes('META_INF/aws_signer_signature_v1.0.SF'))).toBe(true);
    expect(haystacks.some((h) => /state\.db$/.test(h.name))).toBe(true);
    expect(findLeaks(haystacks)).toEqual([]);

    // The search can fail: plant each key, in one encoding each, and it is found.
    for (const [n, { key }] of privateKeys.entries()) {
      const ns = needles(key);
      const planted = ns[n % ns.length]!;
      const leaks = findLeaks([{ name: 'planted', bytes: Buffer.concat([Buffer.from('{"msg":"x","v":"'), planted.bytes, Buffer.from('"}')]) }]);
      expect(leaks.length, planted.name).toBeGreaterThan(0);
    }
    expect(findLeaks([{ name: 'planted', bytes: Buffer.from(String(privateKeys[0]!.key.export({ type: 'pkcs8', format: 'pem' }))) }])).toContain('planted: PEM marker "PRIVATE KEY"');
  });
});

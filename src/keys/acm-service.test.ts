import { createHash, createPrivateKey, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, OID_ANY_EKU, OID_CODE_SIGNING, subjectNameDer, toPem } from './certificate-builder.js';
import { INVALID_EKU_MESSAGE } from './certificate-checks.js';
import { createAcmService, type AcmCaller, type AcmOperation } from './acm-service.js';
import { createCertificateManager, type CertificateManager } from './certificate-manager.js';
import { createEncryptedFileBackend, type EncryptedFileBackend } from './encrypted-file-backend.js';
import { isKeysError, KeysError } from './errors.js';
import { generateMasterKey } from './master-key.js';
import { createSqliteKeysStore, type SqliteKeysStore } from './sqlite-keys-store.js';
import { inMemorySigningKey } from './software-sign.js';
import { createTestCa, issueCodeSigningCertificate, type IssuedTestCertificate, type TestCa } from './test-ca.js';

const caller: AcmCaller = { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:root', region: 'us-west-2' };
const stranger: AcmCaller = { accountId: '210987654321', arn: 'arn:aws:iam::210987654321:root', region: 'us-west-2' };
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const DAY = 86_400_000;

let dir: string;
let store: SqliteKeysStore;
let backend: EncryptedFileBackend;
let mgr: CertificateManager;
let handlers: Record<AcmOperation, (input: unknown, caller: AcmCaller) => Promise<unknown>>;
const inUse = new Map<string, string[]>();
let ca: TestCa;
let otherCa: TestCa;
const certs: Record<string, IssuedTestCertificate> = {};
/** Everything the service returned or threw, for the no-secrets check. */
const transcript: string[] = [];

async function call(op: AcmOperation, input: unknown, who: AcmCaller = caller): Promise<Record<string, unknown>> {
  try {
    const out = (await handlers[op](input, who)) as Record<string, unknown>;
    transcript.push(JSON.stringify(out));
    return out;
  } catch (e) {
    if (e instanceof KeysError) transcript.push(JSON.stringify({ message: e.message, awsType: e.awsType, code: e.code }));
    throw e;
  }
}

async function expectError(p: Promise<unknown>, awsType: string, code?: string): Promise<KeysError> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${awsType}`);
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KeysError);
  const k = e as KeysError;
  expect(k.awsType).toBe(awsType);
  if (code) expect(k.code).toBe(code);
  expect(k.httpStatus).toBe(awsType === 'InternalServerException' ? 500 : 400);
  return k;
}

function importInput(c: IssuedTestCertificate, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Certificate: b64(c.certificatePem), PrivateKey: b64(c.privateKeyPem), CertificateChain: b64(c.chainPem), ...extra };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'acm-'));
  store = createSqliteKeysStore(join(dir, 'state.db'));
  backend = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: { dataDir: dir } });
  mgr = createCertificateManager({ repository: store.certificates, backend });
  handlers = createAcmService({ certificates: mgr, inUseBy: async (arn) => inUse.get(arn) ?? [] }).handlers;
  ca = await createTestCa({ dir: join(dir, 'ca'), algorithm: 'EC_prime256v1' });
  otherCa = await createTestCa({ dir: join(dir, 'other-ca'), algorithm: 'EC_prime256v1', commonName: 'Other CA' });
  const issue = (subject: string, algorithm: IssuedTestCertificate extends never ? never : Parameters<typeof issueCodeSigningCertificate>[0]['algorithm'], overrides?: Parameters<typeof issueCodeSigningCertificate>[0]['overrides']) =>
    issueCodeSigningCertificate({ ca, subject, algorithm, outDir: join(dir, 'issued'), ...(overrides ? { overrides } : {}) });
  certs.ec = await issue('CN=ec.example.com, O=Example', 'EC_prime256v1');
  certs.ec384 = await issue('CN=ec384.example.com', 'EC_secp384r1');
  certs.rsa = await issue('CN=rsa.example.com', 'RSA_2048');
  certs.ed = await issue('CN=ed.example.com', 'ED25519');
  certs.anyEku = await issue('CN=any-eku', 'EC_prime256v1', { extendedKeyUsage: [OID_ANY_EKU] });
  certs.noEku = await issue('CN=no-eku', 'EC_prime256v1', { extendedKeyUsage: [] });
  certs.tlsEku = await issue('CN=tls-eku', 'EC_prime256v1', { extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
  certs.badKu = await issue('CN=bad-ku', 'EC_prime256v1', { keyUsage: ['keyEncipherment'] });
  certs.expired = await issue('CN=expired', 'EC_prime256v1', { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
  certs.future = await issue('CN=future', 'EC_prime256v1', { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) });
  certs.other = await issueCodeSigningCertificate({ ca: otherCa, subject: 'CN=other', outDir: join(dir, 'issued') });
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function weakCert(kind: 'rsa1024' | 'p521'): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const pair = kind === 'rsa1024' ? generateKeyPairSync('rsa', { modulusLength: 1024 }) : generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
  const caKey = inMemorySigningKey(createPrivateKey(readFileSync(ca.privateKeyPath)));
  const caDer = new X509Certificate(ca.certificatePem).raw;
  const der = await buildCertificate(
    {
      subject: `CN=${kind}, OU=TEST ONLY`,
      publicKeySpki: new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' })),
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + DAY),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID_CODE_SIGNING],
    },
    { key: caKey, nameDer: subjectNameDer(new Uint8Array(caDer)) },
  );
  return { certificatePem: toPem(der), privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

describe('[ImportCertificate] + [DescribeCertificate] + [GetCertificate]', () => {
  let arn: string;
  beforeAll(async () => {
    arn = (await call('ImportCertificate', importInput(certs.ec!, { Tags: [{ Key: 'team', Value: 'firmware' }, { Key: 'flag' }] }))).CertificateArn as string;
  });

  it('returns arn:aws:acm:<caller region>:<caller account>:certificate/<uuid>', () => {
    expect(arn).toMatch(/^arn:aws:acm:us-west-2:123456789012:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('DescribeCertificate returns the CertificateDetail shape with epoch-second timestamps', async () => {
    const out = await call('DescribeCertificate', { CertificateArn: arn });
    const d = out.Certificate as Record<string, unknown>;
    expect(d.CertificateArn).toBe(arn);
    expect(d.Type).toBe('IMPORTED');
    expect(d.Status).toBe('ISSUED');
    expect(d.DomainName).toBe('ec.example.com');
    expect(d.KeyAlgorithm).toBe('EC-prime256v1');
    expect(d.SignatureAlgorithm).toBe('SHA256WITHECDSA');
    expect(d.KeyUsages).toEqual([{ Name: 'DIGITAL_SIGNATURE' }]);
    expect(d.ExtendedKeyUsages).toEqual([{ Name: 'CODE_SIGNING', OID: '1.3.6.1.5.5.7.3.3' }]);
    expect(d.InUseBy).toEqual([]);
    expect(d.Subject).toContain('CN=ec.example.com');
    expect(d.Issuer).toContain('TEST ONLY');
    expect(d.Serial).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    for (const k of ['NotBefore', 'NotAfter', 'ImportedAt', 'CreatedAt']) {
      expect(typeof d[k]).toBe('number');
      expect(Math.abs((d[k] as number) - Date.now() / 1000)).toBeLessThan(400 * 86400);
    }
    expect(d.NotBefore as number).toBeLessThan(d.NotAfter as number);
    // Serial matches the certificate.
    expect((d.Serial as string).replace(/:/g, '')).toBe(new X509Certificate(certs.ec!.certificatePem).serialNumber.toLowerCase().padStart((d.Serial as string).replace(/:/g, '').length, '0'));
  });

  it('GetCertificate returns the leaf PEM and the chain PEM', async () => {
    const out = await call('GetCertificate', { CertificateArn: arn });
    expect(new X509Certificate(out.Certificate as string).fingerprint256).toBe(new X509Certificate(certs.ec!.certificatePem).fingerprint256);
    expect(new X509Certificate(out.CertificateChain as string).fingerprint256).toBe(new X509Certificate(ca.certificatePem).fingerprint256);
  });

  it('getSigningKey(arn, account) signs with the imported key; chain is leaf first; openssl verifies the signature', async () => {
    const key = await mgr.getSigningKey(arn, caller.accountId);
    expect(key.keyType).toBe('EC_prime256v1');
    expect(key.certificateChain).toHaveLength(2);
    const leaf = new X509Certificate(Buffer.from(key.certificateChain[0]!));
    expect(leaf.fingerprint256).toBe(new X509Certificate(certs.ec!.certificatePem).fingerprint256);
    const msg = Buffer.from('firmware v1.2.3');
    const sig = await key.signDigest(createHash('sha256').update(msg).digest(), { hash: 'SHA256' });
    expect(verify('sha256', msg, leaf.publicKey, sig)).toBe(true);
    const f = (n: string, d: string | Uint8Array) => {
      const p = join(dir, n);
      writeFileSync(p, d);
      return p;
    };
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', f('pub.pem', leaf.publicKey.export({ format: 'pem', type: 'spki' })), '-signature', f('sig.bin', sig), f('msg.bin', msg)], { encoding: 'utf8' });
    expect(out).toContain('Verified OK');
  });

  it('getSigningKey refuses another account (NOT_FOUND) and a malformed ARN (INVALID_ARN)', async () => {
    await expect(mgr.getSigningKey(arn, stranger.accountId)).rejects.toSatisfy((e) => isKeysError(e, 'NOT_FOUND'));
    await expect(mgr.getSigningKey('arn:aws:acm:us-west-2:123456789012:certificate/nope', caller.accountId)).rejects.toSatisfy((e) => isKeysError(e, 'INVALID_ARN'));
  });

  it('another account, or another region, cannot see the certificate (ResourceNotFoundException)', async () => {
    await expectError(call('DescribeCertificate', { CertificateArn: arn }, stranger), 'ResourceNotFoundException');
    await expectError(call('DescribeCertificate', { CertificateArn: arn }, { ...caller, region: 'eu-west-1' }), 'ResourceNotFoundException');
  });

  it('imports P-384, RSA 2048, Ed25519 and anyExtendedKeyUsage certificates', async () => {
    for (const [c, alg] of [[certs.ec384, 'EC-secp384r1'], [certs.rsa, 'RSA-2048'], [certs.ed, 'ED25519'], [certs.anyEku, 'EC-prime256v1']] as const) {
      const a = (await call('ImportCertificate', importInput(c!))).CertificateArn as string;
      const d = (await call('DescribeCertificate', { CertificateArn: a })).Certificate as Record<string, unknown>;
      expect(d.KeyAlgorithm).toBe(alg);
    }
  });

  it('a certificate without a chain (self-issued path not given) is accepted; GetCertificate then omits CertificateChain', async () => {
    const a = (await call('ImportCertificate', { Certificate: b64(certs.ec384!.certificatePem), PrivateKey: b64(certs.ec384!.privateKeyPem) })).CertificateArn as string;
    const out = await call('GetCertificate', { CertificateArn: a });
    expect(out.CertificateChain).toBeUndefined();
  });
});

describe('[ImportCertificate] accepted encodings and chains', () => {
  it('accepts SEC1 (BEGIN EC PRIVATE KEY) and PKCS#1 (BEGIN RSA PRIVATE KEY) keys and CRLF line endings', async () => {
    const sec1 = createPrivateKey(certs.ec!.privateKeyPem).export({ format: 'pem', type: 'sec1' }).toString();
    const pkcs1 = createPrivateKey(certs.rsa!.privateKeyPem).export({ format: 'pem', type: 'pkcs1' }).toString();
    const crlf = (t: string) => t.replace(/\n/g, '\r\n');
    for (const [c, key] of [[certs.ec!, sec1], [certs.rsa!, pkcs1], [certs.ed!, crlf(certs.ed!.privateKeyPem)]] as const) {
      const out = await call('ImportCertificate', { Certificate: b64(crlf(c.certificatePem)), PrivateKey: b64(key), CertificateChain: b64(crlf(c.chainPem)) });
      expect(out.CertificateArn).toMatch(/^arn:aws:acm:/);
    }
  });

  it('reorders a chain given root first into issuer order (intermediate, root) and signs with chain = [leaf, intermediate, root]', async () => {
    const root = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const inter = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = (k: typeof root) => new Uint8Array(k.publicKey.export({ format: 'der', type: 'spki' }));
    const t = Date.now();
    const rootDer = await buildCertificate(
      { subject: 'CN=Chain Root, OU=TEST ONLY', publicKeySpki: spki(root), notBefore: new Date(t - DAY), notAfter: new Date(t + 30 * DAY), ca: {}, keyUsage: ['keyCertSign'] },
      { key: inMemorySigningKey(root.privateKey) },
    );
    const interDer = await buildCertificate(
      { subject: 'CN=Chain Intermediate, OU=TEST ONLY', publicKeySpki: spki(inter), notBefore: new Date(t - DAY), notAfter: new Date(t + 30 * DAY), ca: { pathLength: 0 }, keyUsage: ['keyCertSign'] },
      { key: inMemorySigningKey(root.privateKey), nameDer: subjectNameDer(rootDer) },
    );
    const leafDer = await buildCertificate(
      { subject: 'CN=chain.example.com, OU=TEST ONLY', publicKeySpki: spki(leaf), notBefore: new Date(t - DAY), notAfter: new Date(t + 10 * DAY), keyUsage: ['digitalSignature'], extendedKeyUsage: [OID_CODE_SIGNING] },
      { key: inMemorySigningKey(inter.privateKey), nameDer: subjectNameDer(interDer) },
    );
    const arn = (await call('ImportCertificate', {
      Certificate: b64(toPem(leafDer)),
      PrivateKey: b64(leaf.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
      CertificateChain: b64(toPem(rootDer) + toPem(interDer)),
    })).CertificateArn as string;
    const key = await mgr.getSigningKey(arn, caller.accountId);
    expect(key.certificateChain.map((c) => Buffer.from(c).toString('hex'))).toEqual([leafDer, interDer, rootDer].map((c) => Buffer.from(c).toString('hex')));
    const g = await call('GetCertificate', { CertificateArn: arn });
    expect(g.CertificateChain).toBe(toPem(interDer) + toPem(rootDer));
  });
});

describe('[ImportCertificate] rejections (table)', () => {
  const encryptedPem = () => createPrivateKey(certs.ec!.privateKeyPem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
  const cases: [string, () => Promise<Record<string, unknown>>, string, (string | undefined)?, (string | undefined)?][] = [
    ['no EKU', async () => importInput(certs.noEku!), 'ValidationException', 'CERT_EKU', INVALID_EKU_MESSAGE],
    ['TLS server EKU only', async () => importInput(certs.tlsEku!), 'ValidationException', 'CERT_EKU', INVALID_EKU_MESSAGE],
    ['key usage without digitalSignature', async () => importInput(certs.badKu!), 'ValidationException', 'CERT_KEY_USAGE'],
    ['expired', async () => importInput(certs.expired!), 'ValidationException', 'CERT_EXPIRED'],
    ['not yet valid', async () => importInput(certs.future!), 'ValidationException', 'CERT_NOT_YET_VALID'],
    ['private key of another certificate', async () => importInput(certs.ec!, { PrivateKey: b64(certs.anyEku!.privateKeyPem) }), 'ValidationException', 'KEY_MISMATCH'],
    ['private key of another algorithm', async () => importInput(certs.ec!, { PrivateKey: b64(certs.rsa!.privateKeyPem) }), 'ValidationException', 'KEY_MISMATCH'],
    ['encrypted private key', async () => importInput(certs.ec!, { PrivateKey: b64(encryptedPem()) }), 'ValidationException', 'KEY_ENCRYPTED'],
    ['DER certificate instead of PEM', async () => importInput(certs.ec!, { Certificate: b64(new X509Certificate(certs.ec!.certificatePem).raw) }), 'ValidationException', 'CERT_MALFORMED'],
    ['two certificates in Certificate', async () => importInput(certs.ec!, { Certificate: b64(certs.ec!.certificatePem + ca.certificatePem) }), 'ValidationException', 'CERT_MALFORMED'],
    ['truncated certificate PEM', async () => importInput(certs.ec!, { Certificate: b64(certs.ec!.certificatePem.slice(0, 200)) }), 'ValidationException', 'CERT_MALFORMED'],
    ['bit-flipped certificate', async () => {
      const der = Buffer.from(new X509Certificate(certs.ec!.certificatePem).raw);
      der[20] = (der[20] as number) ^ 0xff;
      return importInput(certs.ec!, { Certificate: b64(toPem(der)) });
    }, 'ValidationException'],
    ['chain from another CA', async () => importInput(certs.ec!, { CertificateChain: b64(otherCa.certificatePem) }), 'ValidationException', 'CERT_CHAIN'],
    ['chain that is not PEM', async () => importInput(certs.ec!, { CertificateChain: b64('hello') }), 'ValidationException', 'CERT_CHAIN'],
    ['RSA 1024', async () => { const w = await weakCert('rsa1024'); return { Certificate: b64(w.certificatePem), PrivateKey: b64(w.privateKeyPem) }; }, 'ValidationException', 'UNSUPPORTED_ALGORITHM'],
    ['ECDSA P-521', async () => { const w = await weakCert('p521'); return { Certificate: b64(w.certificatePem), PrivateKey: b64(w.privateKeyPem) }; }, 'ValidationException', 'UNSUPPORTED_ALGORITHM'],
    ['missing Certificate', async () => ({ PrivateKey: b64(certs.ec!.privateKeyPem) }), 'ValidationException', 'VALIDATION'],
    ['missing PrivateKey', async () => ({ Certificate: b64(certs.ec!.certificatePem) }), 'ValidationException', 'VALIDATION'],
    ['Certificate not base64', async () => importInput(certs.ec!, { Certificate: '***' }), 'ValidationException', 'VALIDATION'],
    ['Certificate is a number', async () => importInput(certs.ec!, { Certificate: 42 }), 'ValidationException', 'VALIDATION'],
    ['empty PrivateKey', async () => importInput(certs.ec!, { PrivateKey: '' }), 'ValidationException', 'VALIDATION'],
    ['PrivateKey over 5120 bytes', async () => importInput(certs.ec!, { PrivateKey: b64(certs.ec!.privateKeyPem + ' '.repeat(5200)) }), 'ValidationException', 'VALIDATION'],
    ['Certificate over 32768 bytes', async () => importInput(certs.ec!, { Certificate: b64(certs.ec!.certificatePem + ' '.repeat(33000)) }), 'ValidationException', 'VALIDATION'],
    ['body is an array', async () => [] as unknown as Record<string, unknown>, 'ValidationException', 'VALIDATION'],
    ['CertificateArn malformed', async () => importInput(certs.ec!, { CertificateArn: 'not-an-arn-at-all-nope' }), 'ValidationException', 'VALIDATION'],
    ['CertificateArn of another service', async () => importInput(certs.ec!, { CertificateArn: 'arn:aws:acm:us-west-2:123456789012:certificate-authority/x' }), 'InvalidArnException', 'INVALID_ARN'],
    ['CertificateArn that does not exist', async () => importInput(certs.ec!, { CertificateArn: 'arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-4000-8000-000000000000' }), 'ResourceNotFoundException', 'NOT_FOUND'],
    ['reserved tag key', async () => importInput(certs.ec!, { Tags: [{ Key: 'aws:owner', Value: 'x' }] }), 'InvalidTagException', 'INVALID_TAG'],
    ['tag key with a bad character', async () => importInput(certs.ec!, { Tags: [{ Key: 'a*b' }] }), 'ValidationException', 'VALIDATION'],
    ['51 tags', async () => importInput(certs.ec!, { Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}` })) }), 'ValidationException', 'VALIDATION'],
    ['duplicate tag keys', async () => importInput(certs.ec!, { Tags: [{ Key: 'a' }, { Key: 'a' }] }), 'InvalidParameterException', 'INVALID_PARAMETER'],
  ];
  for (const [name, input, awsType, code, message] of cases) {
    it(`rejects: ${name} → ${awsType}${code ? ` (${code})` : ''}`, async () => {
      const e = await expectError(call('ImportCertificate', await input()), awsType, code);
      if (message) expect(e.message).toBe(message);
      expect(e.message).not.toMatch(/PRIVATE KEY/);
      for (const c of Object.values(certs)) expect(e.message).not.toContain(c.privateKeyPem.split('\n')[1]);
    });
  }
});

describe('[ListCertificates]', () => {
  let arns: string[];
  beforeAll(async () => {
    const c = createAcmService({ certificates: mgr }).handlers;
    const who: AcmCaller = { ...caller, region: 'ap-south-1' };
    arns = [];
    for (const x of [certs.rsa!, certs.ec!, certs.ec384!]) arns.push(((await c.ImportCertificate(importInput(x), who)) as { CertificateArn: string }).CertificateArn);
  });
  const who: AcmCaller = { ...caller, region: 'ap-south-1' };

  it('by default lists RSA_1024/RSA_2048 only (ACM default filter); Includes.keyTypes widens it', async () => {
    const def = await call('ListCertificates', {}, who);
    expect((def.CertificateSummaryList as { CertificateArn: string }[]).map((s) => s.CertificateArn)).toEqual([arns[0]]);
    const all = await call('ListCertificates', { Includes: { keyTypes: ['RSA_2048', 'EC_prime256v1', 'EC_secp384r1'] } }, who);
    const list = all.CertificateSummaryList as Record<string, unknown>[];
    expect(list.map((s) => s.CertificateArn)).toEqual(arns);
    const s = list[1]!;
    expect(s).toMatchObject({ DomainName: 'ec.example.com', Status: 'ISSUED', Type: 'IMPORTED', KeyAlgorithm: 'EC_prime256v1', KeyUsages: ['DIGITAL_SIGNATURE'], ExtendedKeyUsages: ['CODE_SIGNING'], InUse: false, CertificateKeyPairOrigin: 'CUSTOMER_PROVIDED' });
    expect(typeof s.NotAfter).toBe('number');
  });

  it('paginates with MaxItems / NextToken; DESCENDING reverses', async () => {
    const inc = { keyTypes: ['RSA_2048', 'EC_prime256v1', 'EC_secp384r1'] };
    const p1 = await call('ListCertificates', { Includes: inc, MaxItems: 2 }, who);
    expect(p1.CertificateSummaryList).toHaveLength(2);
    expect(typeof p1.NextToken).toBe('string');
    const p2 = await call('ListCertificates', { Includes: inc, MaxItems: 2, NextToken: p1.NextToken }, who);
    expect((p2.CertificateSummaryList as { CertificateArn: string }[]).map((x) => x.CertificateArn)).toEqual([arns[2]]);
    expect(p2.NextToken).toBeUndefined();
    const d = await call('ListCertificates', { Includes: inc, SortBy: 'CREATED_AT', SortOrder: 'DESCENDING' }, who);
    expect((d.CertificateSummaryList as { CertificateArn: string }[]).map((x) => x.CertificateArn)).toEqual([...arns].reverse());
  });

  it('filters by extendedKeyUsage and status', async () => {
    const inc = { keyTypes: ['RSA_2048', 'EC_prime256v1', 'EC_secp384r1'] };
    expect(((await call('ListCertificates', { Includes: { ...inc, extendedKeyUsage: ['TLS_WEB_SERVER_AUTHENTICATION'] } }, who)).CertificateSummaryList as unknown[]).length).toBe(0);
    expect(((await call('ListCertificates', { Includes: { ...inc, extendedKeyUsage: ['CODE_SIGNING'] } }, who)).CertificateSummaryList as unknown[]).length).toBe(3);
    expect(((await call('ListCertificates', { Includes: inc, CertificateStatuses: ['EXPIRED'] }, who)).CertificateSummaryList as unknown[]).length).toBe(0);
  });

  it('bad inputs: MaxItems out of range, unknown enum, SortBy alone → ValidationException; foreign NextToken → InvalidArgsException', async () => {
    await expectError(call('ListCertificates', { MaxItems: 0 }, who), 'ValidationException');
    await expectError(call('ListCertificates', { MaxItems: 1001 }, who), 'ValidationException');
    await expectError(call('ListCertificates', { MaxItems: 'ten' }, who), 'ValidationException');
    await expectError(call('ListCertificates', { Includes: { keyTypes: ['DSA_1024'] } }, who), 'ValidationException');
    await expectError(call('ListCertificates', { CertificateStatuses: 'ISSUED' }, who), 'ValidationException');
    await expectError(call('ListCertificates', { SortBy: 'CREATED_AT' }, who), 'ValidationException');
    await expectError(call('ListCertificates', { NextToken: 'garbage' }, who), 'InvalidArgsException', 'INVALID_ARGS');
    const p1 = await call('ListCertificates', { Includes: { keyTypes: ['RSA_2048', 'EC_prime256v1', 'EC_secp384r1'] }, MaxItems: 1 }, who);
    await expectError(call('ListCertificates', { MaxItems: 1, NextToken: p1.NextToken }, who), 'InvalidArgsException');
  });
});

describe('[tags] AddTagsToCertificate / ListTagsForCertificate / RemoveTagsFromCertificate', () => {
  let arn: string;
  beforeAll(async () => {
    arn = (await call('ImportCertificate', importInput(certs.ec!, { Tags: [{ Key: 'env', Value: 'dev' }] }))).CertificateArn as string;
  });
  it('adds (merging by key), lists, and removes by key or key+value', async () => {
    await call('AddTagsToCertificate', { CertificateArn: arn, Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'fw' }, { Key: 'bare' }] });
    expect((await call('ListTagsForCertificate', { CertificateArn: arn })).Tags).toEqual([{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'fw' }, { Key: 'bare' }]);
    await call('RemoveTagsFromCertificate', { CertificateArn: arn, Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'bare' }] });
    expect((await call('ListTagsForCertificate', { CertificateArn: arn })).Tags).toEqual([{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'fw' }]);
    await call('RemoveTagsFromCertificate', { CertificateArn: arn, Tags: [{ Key: 'env', Value: 'prod' }] });
    expect((await call('ListTagsForCertificate', { CertificateArn: arn })).Tags).toEqual([{ Key: 'owner', Value: 'fw' }]);
  });
  it('more than 50 tags in total → TooManyTagsException; aws: keys → InvalidTagException; missing Tags → ValidationException', async () => {
    await expectError(call('AddTagsToCertificate', { CertificateArn: arn, Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `t${i}` })) }), 'TooManyTagsException');
    await expectError(call('AddTagsToCertificate', { CertificateArn: arn, Tags: [{ Key: 'AWS:x' }] }), 'InvalidTagException');
    await expectError(call('RemoveTagsFromCertificate', { CertificateArn: arn, Tags: [{ Key: 'aws:x' }] }), 'InvalidTagException');
    await expectError(call('AddTagsToCertificate', { CertificateArn: arn }), 'ValidationException');
    await expectError(call('AddTagsToCertificate', { CertificateArn: arn, Tags: [] }), 'ValidationException');
    await expectError(call('AddTagsToCertificate', { CertificateArn: arn, Tags: [{ Key: 'v', Value: 'x'.repeat(257) }] }), 'ValidationException');
    await expectError(call('ListTagsForCertificate', { CertificateArn: arn }, stranger), 'ResourceNotFoundException');
  });
});

describe('[DeleteCertificate] and re-import', () => {
  it('refuses a certificate in use (ResourceInUseException), then deletes it and destroys its key', async () => {
    const arn = (await call('ImportCertificate', importInput(certs.ed!))).CertificateArn as string;
    const keyId = (await store.certificates.get(arn))!.keyId;
    inUse.set(arn, ['arn:aws:signer:us-west-2:123456789012:/signing-profiles/p1']);
    const d = (await call('DescribeCertificate', { CertificateArn: arn })).Certificate as Record<string, unknown>;
    expect(d.InUseBy).toEqual(['arn:aws:signer:us-west-2:123456789012:/signing-profiles/p1']);
    await expectError(call('DeleteCertificate', { CertificateArn: arn }), 'ResourceInUseException', 'IN_USE');
    inUse.delete(arn);
    expect(await call('DeleteCertificate', { CertificateArn: arn })).toEqual({});
    await expectError(call('DescribeCertificate', { CertificateArn: arn }), 'ResourceNotFoundException');
    await expectError(call('DeleteCertificate', { CertificateArn: arn }), 'ResourceNotFoundException');
    await expect(backend.getKey(keyId)).rejects.toSatisfy((e) => isKeysError(e, 'KEY_NOT_FOUND'));
  });

  it('ImportCertificate with CertificateArn replaces certificate and key in place; tags are refused on re-import', async () => {
    const arn = (await call('ImportCertificate', importInput(certs.ec!))).CertificateArn as string;
    const oldKey = (await store.certificates.get(arn))!.keyId;
    expect((await call('ImportCertificate', importInput(certs.ec384!, { CertificateArn: arn }))).CertificateArn).toBe(arn);
    const d = (await call('DescribeCertificate', { CertificateArn: arn })).Certificate as Record<string, unknown>;
    expect(d.KeyAlgorithm).toBe('EC-secp384r1');
    await expect(backend.getKey(oldKey)).rejects.toSatisfy((e) => isKeysError(e, 'KEY_NOT_FOUND'));
    await expectError(call('ImportCertificate', importInput(certs.ec!, { CertificateArn: arn, Tags: [{ Key: 'a' }] })), 'ValidationException');
    expect((await mgr.getSigningKey(arn, caller.accountId)).keyType).toBe('EC_secp384r1');
  });

  it('invalid ARNs: wrong shape → ValidationException; right shape, not a certificate → InvalidArnException', async () => {
    await expectError(call('DescribeCertificate', {}), 'ValidationException');
    await expectError(call('DescribeCertificate', { CertificateArn: 'short' }), 'ValidationException');
    await expectError(call('DescribeCertificate', { CertificateArn: 'arn:aws:acm:us-west-2:123456789012:certificate/xyz' }), 'InvalidArnException');
    await expectError(call('GetCertificate', { CertificateArn: 'arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-4000-8000-000000000000' }), 'ResourceNotFoundException');
  });

  it('LimitExceededException when the account holds the maximum number of imported certificates', async () => {
    const s2 = createSqliteKeysStore(':memory:');
    const b2 = createEncryptedFileBackend({ repository: s2.wrappedKeys, masterKey: generateMasterKey() });
    const m2 = createCertificateManager({ repository: s2.certificates, backend: b2, maxImportedCertificates: 1 });
    const h2 = createAcmService({ certificates: m2 }).handlers;
    await h2.ImportCertificate(importInput(certs.ec!), caller);
    await expectError(h2.ImportCertificate(importInput(certs.ec!), caller), 'LimitExceededException', 'LIMIT_EXCEEDED');
    s2.close();
  });
});

describe('[issueServerKey] per-profile keys from the account internal CA', () => {
  it('issues a P-384 key with a code-signing certificate chained to the internal CA; openssl verifies the chain; the CA is reused', async () => {
    const a = await mgr.issueServerKey({ accountId: caller.accountId, region: caller.region, profileName: 'lambda_profile' });
    const b = await mgr.issueServerKey({ accountId: caller.accountId, region: caller.region, profileName: 'notation_profile', keyType: 'EC_secp384r1' });
    expect(a.signingKey.keyType).toBe('EC_secp384r1');
    expect(a.signingKey.certificateChain).toHaveLength(2);
    expect(Buffer.from(a.signingKey.certificateChain[1]!).equals(Buffer.from(b.signingKey.certificateChain[1]!))).toBe(true);
    const caPem = await mgr.getInternalCaCertificate(caller);
    const leaf = new X509Certificate(Buffer.from(a.signingKey.certificateChain[0]!));
    expect(leaf.subject).toContain('CN=lambda_profile');
    writeFileSync(join(dir, 'ica.pem'), caPem);
    writeFileSync(join(dir, 'sk.pem'), leaf.toString());
    expect(execFileSync('openssl', ['verify', '-purpose', 'any', '-CAfile', join(dir, 'ica.pem'), join(dir, 'sk.pem')], { encoding: 'utf8' })).toContain('OK');
    expect(execFileSync('openssl', ['x509', '-noout', '-ext', 'extendedKeyUsage', '-in', join(dir, 'sk.pem')], { encoding: 'utf8' })).toContain('Code Signing');
    const msg = Buffer.from('lambda.zip');
    const sig = await a.signingKey.signDigest(createHash('sha384').update(msg).digest(), { hash: 'SHA384' });
    expect(verify('sha384', msg, leaf.publicKey, sig)).toBe(true);
    // Usable again by ARN (what the signer stores on the profile) …
    const again = await mgr.getSigningKey(a.certificateArn, caller.accountId);
    expect(Buffer.from(again.publicKeySpki).equals(Buffer.from(a.signingKey.publicKeySpki))).toBe(true);
    // … but invisible through the ACM API.
    await expectError(call('DescribeCertificate', { CertificateArn: a.certificateArn }), 'ResourceNotFoundException');
    const all = createAcmService({ certificates: mgr, defaultListKeyTypes: 'all' }).handlers;
    const listed = (await all.ListCertificates({}, caller)) as { CertificateSummaryList: { CertificateArn: string }[] };
    expect(listed.CertificateSummaryList.map((s) => s.CertificateArn)).not.toContain(a.certificateArn);
  });

  it('rejects a bad profile name', async () => {
    await expect(mgr.issueServerKey({ accountId: caller.accountId, region: caller.region, profileName: 'bad name!' })).rejects.toSatisfy((e) => isKeysError(e, 'VALIDATION'));
  });
});

describe('no private key material at rest or in any output', () => {
  it('greps the SQLite file (+WAL) and every response, error, view and SigningKey for PEM markers, PKCS#8 bytes and private key components (raw, base64, hex)', async () => {
    // Everything the manager hands out goes into the transcript too: views, signing keys, server keys.
    for (const region of [caller.region, 'ap-south-1']) {
      const views = await mgr.listCertificates({ accountId: caller.accountId, region }, ['IMPORTED', 'SERVER_KEY', 'INTERNAL_CA']);
      expect(views.length).toBeGreaterThan(0);
      for (const v of views) {
        transcript.push(JSON.stringify(v, (_k, val: unknown) => (val instanceof Uint8Array ? Buffer.from(val).toString('base64') : val)));
        if (v.record.kind !== 'INTERNAL_CA') {
          const key = await mgr.getSigningKey(v.record.arn, caller.accountId);
          transcript.push(JSON.stringify(key), Object.keys(key).join(','), String(key));
        }
      }
    }
    const sk = await mgr.issueServerKey({ accountId: caller.accountId, region: caller.region, profileName: 'grep_profile' });
    transcript.push(JSON.stringify(sk));
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const secrets: Buffer[] = [];
    const texts: string[] = [];
    for (const c of Object.values(certs)) {
      const k = createPrivateKey(c.privateKeyPem);
      secrets.push(k.export({ format: 'der', type: 'pkcs8' }));
      const jwk = k.export({ format: 'jwk' }) as Record<string, unknown>;
      // The private components (EC/Ed25519 d; RSA d, p, q, dp, dq, qi), raw and as base64/base64url text.
      for (const f of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
        if (typeof jwk[f] !== 'string') continue;
        const raw = Buffer.from(jwk[f] as string, 'base64url');
        secrets.push(raw);
        texts.push(raw.toString('base64'), raw.toString('base64url'), raw.toString('hex'));
      }
      // The PEM as given and as the ACM blob (base64 of the PEM). Single PEM lines are not
      // checked: an EC PKCS#8 embeds the public key, which legitimately appears in certificates.
      texts.push(c.privateKeyPem, b64(c.privateKeyPem));
    }
    const files = [join(dir, 'state.db'), ...['state.db-wal', 'state.db-shm'].map((f) => join(dir, f))].filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
    expect(files.length).toBeGreaterThan(0);
    const blobs = files.map((f) => readFileSync(f));
    blobs.push(Buffer.from(transcript.join('\n')));
    for (const blob of blobs) {
      expect(blob.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
      for (const s of secrets) expect(blob.includes(s)).toBe(false);
      const asText = blob.toString('latin1');
      for (const t of texts) expect(asText.includes(t)).toBe(false);
    }
    expect(transcript.length).toBeGreaterThan(40);
    // Nothing but the database, the master key and test fixtures live in the data directory.
    expect(readdirSync(dir).filter((f) => f.startsWith('state.db') || f === 'master.key').sort()).toContain('master.key');
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
  });
});

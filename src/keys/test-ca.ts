/**
 * TEST ONLY development certificate authority: creates a CA and issues code-signing
 * certificates as PEM files, so the whole flow (import → sign → verify on a device) can be
 * tried without buying a certificate. Every subject carries "TEST ONLY"; the CA private
 * key sits unencrypted in a 0600 file. Never use these for devices in the field.
 * (Library functions; the CLI wires them as `signer certificates create-test-ca` / `issue`.)
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate, OID_CODE_SIGNING, subjectNameDer, toPem } from './certificate-builder.js';
import { parsePemCertificates } from './certificate-checks.js';
import { KeysError } from './errors.js';
import type { KeyType } from './key-backend.types.js';
import { inMemorySigningKey } from './software-sign.js';

/** Marker put in every test CA subject. */
export const TEST_ONLY_MARKER = 'TEST ONLY';
/** File names inside a test CA directory. */
export const TEST_CA_FILES = Object.freeze({ certificate: 'test-ca.cert.pem', privateKey: 'test-ca.key.pem' });

/** A TEST ONLY CA on disk. */
export interface TestCa {
  dir: string;
  certificatePem: string;
  /** Path of the CA key file (0600). The key itself is not returned. */
  privateKeyPath: string;
  certificatePath: string;
}

/** An issued TEST ONLY code-signing certificate. */
export interface IssuedTestCertificate {
  /** Leaf certificate PEM. */
  certificatePem: string;
  /** Unencrypted PKCS#8 PEM of the leaf key: the input ImportCertificate takes. TEST ONLY. */
  privateKeyPem: string;
  /** The CA certificate (what ImportCertificate's CertificateChain takes). */
  chainPem: string;
  files: { certificate: string; privateKey: string; chain: string };
}

function newKey(algorithm: KeyType): KeyObject {
  switch (algorithm) {
    case 'EC_prime256v1': return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    case 'EC_secp384r1': return generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    case 'ED25519': return generateKeyPairSync('ed25519').privateKey;
    case 'RSA_2048':
    case 'RSA_3072':
    case 'RSA_4096': return generateKeyPairSync('rsa', { modulusLength: Number(algorithm.slice(4)) }).privateKey;
    default: throw new KeysError('UNSUPPORTED_ALGORITHM', `unsupported algorithm ${String(algorithm)}`);
  }
}

function spki(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
}

function slug(subject: string): string {
  const cn = /CN=([^,]+)/.exec(subject)?.[1] ?? subject;
  return cn.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'certificate';
}

/** Adds an `OU=TEST ONLY` RDN unless the subject already says TEST ONLY. */
function markTestOnly(subject: string): string {
  return subject.toUpperCase().includes(TEST_ONLY_MARKER) ? subject : `${subject}, OU=${TEST_ONLY_MARKER}`;
}

const DAY = 86_400_000;

/**
 * Creates a TEST ONLY CA in `dir`: `test-ca.cert.pem` and `test-ca.key.pem` (mode 0600).
 * @param opts.algorithm - CA key type (default EC P-256)
 * @param opts.validityDays - default 3650
 */
export async function createTestCa(opts: { dir: string; algorithm?: KeyType; validityDays?: number; commonName?: string }): Promise<TestCa> {
  const algorithm = opts.algorithm ?? 'EC_prime256v1';
  const key = newKey(algorithm);
  const now = Date.now();
  const subject = `CN=${opts.commonName ?? 'iot-signer Code Signing CA'} - ${TEST_ONLY_MARKER}, O=${TEST_ONLY_MARKER} - DO NOT USE IN PRODUCTION`;
  const der = await buildCertificate(
    {
      subject,
      publicKeySpki: spki(key),
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(now + (opts.validityDays ?? 3650) * DAY),
      ca: { pathLength: 0 },
      keyUsage: ['keyCertSign', 'crlSign', 'digitalSignature'],
    },
    { key: inMemorySigningKey(key) },
  );
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const certificatePath = join(opts.dir, TEST_CA_FILES.certificate);
  const privateKeyPath = join(opts.dir, TEST_CA_FILES.privateKey);
  const certificatePem = toPem(der);
  writeFileSync(certificatePath, certificatePem);
  writeFileSync(privateKeyPath, key.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return { dir: opts.dir, certificatePem, certificatePath, privateKeyPath };
}

/** Loads a TEST ONLY CA created by {@link createTestCa}. */
export function loadTestCa(dir: string): TestCa {
  const certificatePath = join(dir, TEST_CA_FILES.certificate);
  const privateKeyPath = join(dir, TEST_CA_FILES.privateKey);
  return { dir, certificatePem: readFileSync(certificatePath, 'utf8'), certificatePath, privateKeyPath };
}

/**
 * Issues a TEST ONLY code-signing certificate (KU digitalSignature, EKU codeSigning) from
 * `ca`, writing `<slug>.cert.pem`, `<slug>.key.pem` (0600) and `<slug>.chain.pem` into
 * `outDir` (default: the CA's directory).
 */
export async function issueCodeSigningCertificate(opts: {
  ca: TestCa | string;
  subject: string;
  algorithm?: KeyType;
  validityDays?: number;
  outDir?: string;
  /** For tests of the import checks: override key usage / EKU / validity. */
  overrides?: { keyUsage?: ('digitalSignature' | 'keyEncipherment' | 'nonRepudiation')[]; extendedKeyUsage?: string[]; notBefore?: Date; notAfter?: Date };
}): Promise<IssuedTestCertificate> {
  const ca = typeof opts.ca === 'string' ? loadTestCa(opts.ca) : opts.ca;
  const caKey = createPrivateKey(readFileSync(ca.privateKeyPath));
  const caDer = parsePemCertificates(ca.certificatePem, 'certificate')[0] as Uint8Array;
  const key = newKey(opts.algorithm ?? 'EC_prime256v1');
  const now = Date.now();
  const subject = markTestOnly(opts.subject);
  const der = await buildCertificate(
    {
      subject,
      publicKeySpki: spki(key),
      notBefore: opts.overrides?.notBefore ?? new Date(now - 5 * 60_000),
      notAfter: opts.overrides?.notAfter ?? new Date(now + (opts.validityDays ?? 365) * DAY),
      keyUsage: opts.overrides?.keyUsage ?? ['digitalSignature'],
      extendedKeyUsage: opts.overrides?.extendedKeyUsage ?? [OID_CODE_SIGNING],
    },
    { key: inMemorySigningKey(caKey), nameDer: subjectNameDer(caDer) },
  );
  const outDir = opts.outDir ?? ca.dir;
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, slug(subject));
  const files = { certificate: `${base}.cert.pem`, privateKey: `${base}.key.pem`, chain: `${base}.chain.pem` };
  const certificatePem = toPem(der);
  const privateKeyPem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
  writeFileSync(files.certificate, certificatePem);
  writeFileSync(files.privateKey, privateKeyPem, { mode: 0o600 });
  writeFileSync(files.chain, ca.certificatePem);
  return { certificatePem, privateKeyPem, chainPem: ca.certificatePem, files };
}


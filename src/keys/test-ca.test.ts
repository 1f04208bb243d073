import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCa, issueCodeSigningCertificate, loadTestCa, TEST_ONLY_MARKER } from './test-ca.js';
import { certificateFacts, checkCodeSigningImport, parsePemCertificates, parsePrivateKeyPem } from './certificate-checks.js';
import type { KeyType } from './key-backend.types.js';

const root = mkdtempSync(join(tmpdir(), 'test-ca-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function opensslVerifyChain(caPem: string, leafPem: string): string {
  const ca = join(root, 'v-ca.pem');
  const leaf = join(root, 'v-leaf.pem');
  writeFileSync(ca, caPem);
  writeFileSync(leaf, leafPem);
  return execFileSync('openssl', ['verify', '-purpose', 'any', '-CAfile', ca, leaf], { encoding: 'utf8' });
}

describe('TEST ONLY CA', () => {
  const algs: KeyType[] = ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'ED25519'];
  for (const alg of algs) {
    it(`[${alg}] createTestCa + issueCodeSigningCertificate produce a chain openssl verifies; subjects say TEST ONLY`, async () => {
      const dir = join(root, alg);
      const ca = await createTestCa({ dir, algorithm: alg });
      expect(statSync(ca.privateKeyPath).mode & 0o777).toBe(0o600);
      const caX = new X509Certificate(ca.certificatePem);
      expect(caX.subject).toContain(TEST_ONLY_MARKER);
      expect(caX.ca).toBe(true);
      const issued = await issueCodeSigningCertificate({ ca: dir, subject: 'CN=Firmware Signer, O=Example', algorithm: alg, validityDays: 30 });
      expect(statSync(issued.files.privateKey).mode & 0o777).toBe(0o600);
      expect(new X509Certificate(issued.certificatePem).subject).toContain(TEST_ONLY_MARKER);
      expect(opensslVerifyChain(ca.certificatePem, issued.certificatePem)).toContain('OK');
      const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', issued.files.certificate], { encoding: 'utf8' });
      expect(text).toContain('Code Signing');
      expect(text).toContain('Digital Signature');
      // The issued material passes the import checks.
      const checked = checkCodeSigningImport({ certificatePem: issued.certificatePem, privateKey: parsePrivateKeyPem(issued.privateKeyPem), chainPem: issued.chainPem }, new Date());
      expect(checked.facts.keyType).toBe(alg);
      expect(checked.chainDer).toHaveLength(1);
      expect(loadTestCa(dir).certificatePem).toBe(ca.certificatePem);
    });
  }

  it('facts are reported in ACM forms', async () => {
    const dir = join(root, 'facts');
    await createTestCa({ dir, algorithm: 'EC_prime256v1' });
    const issued = await issueCodeSigningCertificate({ ca: dir, subject: 'CN=facts.example.com, O=Example', algorithm: 'RSA_2048' });
    const der = parsePemCertificates(issued.certificatePem, 'certificate')[0]!;
    const f = certificateFacts(der);
    expect(f.keyType).toBe('RSA_2048');
    expect(f.domainName).toBe('facts.example.com');
    expect(f.serial).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    expect(f.keyUsages).toEqual(['DIGITAL_SIGNATURE']);
    expect(f.extendedKeyUsages).toEqual([{ Name: 'CODE_SIGNING', OID: '1.3.6.1.5.5.7.3.3' }]);
    expect(f.signatureAlgorithm).toBe('SHA256WITHECDSA');
    expect(f.issuer).toContain('TEST ONLY');
  });
});

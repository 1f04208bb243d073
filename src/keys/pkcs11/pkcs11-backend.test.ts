/**
 * PKCS#11 backend against SoftHSM2: a throwaway token in a temp directory; keys are
 * generated inside the token. Skipped (with a visible reason) when SoftHSM2 is missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isKeysError } from '../errors.js';
import { keyBackendContract } from '../key-backend.contract.js';
import { toSigningKey } from '../signing-key.js';
import { createPkcs11Backend } from './pkcs11-backend.js';
import { createCertificateManager } from '../certificate-manager.js';
import { createSqliteKeysStore } from '../sqlite-keys-store.js';
import { createTestCa, issueCodeSigningCertificate } from '../test-ca.js';
import { X509Certificate } from 'node:crypto';
import { findSoftHsm } from '../../../test/support/tools.js';

const softhsm = findSoftHsm('PKCS#11 key backend (SoftHSM2)');
const haveSoftHsm = softhsm !== undefined;
const LIB = softhsm?.library ?? '';
const TOKEN = 'keys-test';
const PIN = '5678';

const dir = mkdtempSync(join(tmpdir(), 'softhsm-'));
if (haveSoftHsm) {
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // SoftHSM2 reads its own configuration path from SOFTHSM2_CONF at C_Initialize; this is the library's env, set before loading it.
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(softhsm!.util, ['--init-token', '--free', '--label', TOKEN, '--so-pin', '1234', '--pin', PIN], { stdio: 'ignore', env: { ...process.env, SOFTHSM2_CONF: conf } });
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = () => createPkcs11Backend({ libraryPath: LIB, tokenLabel: TOKEN, pin: PIN });

describe.skipIf(!haveSoftHsm)('PKCS#11 (SoftHSM2)', () => {
  keyBackendContract('pkcs11 (SoftHSM2, keys generated in the token)', {
    supportsImport: true,
    async setup() {
      return { backend: await open() };
    },
  });

  it('a wrong PIN fails with BACKEND and the message does not contain the PIN', async () => {
    const err = await createPkcs11Backend({ libraryPath: LIB, tokenLabel: TOKEN, pin: '999999' }).catch((e: unknown) => e);
    expect(isKeysError(err, 'BACKEND')).toBe(true);
    expect((err as Error).message).toContain('CKR_PIN_INCORRECT');
    expect((err as Error).message).not.toContain('999999');
  });

  it('an unknown token label fails with BACKEND', async () => {
    await expect(createPkcs11Backend({ libraryPath: LIB, tokenLabel: 'nope', pin: PIN })).rejects.toSatisfy((e) => isKeysError(e, 'BACKEND'));
  });

  it('a key generated in the token is sensitive and not extractable; it survives a new session', async () => {
    const b1 = await open();
    const ref = await b1.generateKey('EC_prime256v1');
    const b2 = await open();
    const again = await b2.getKey(ref.keyId);
    expect(Buffer.from(again.publicKeySpki).equals(Buffer.from(ref.publicKeySpki))).toBe(true);
    const msg = Buffer.from('hello');
    const sig = await toSigningKey(b2, again).signDigest(createHash('sha256').update(msg).digest(), { hash: 'SHA256' });
    expect(verify('sha256', msg, { key: Buffer.from(ref.publicKeySpki), format: 'der', type: 'spki' }, sig)).toBe(true);
    // softhsm2-util lists the object's attributes: check CKA_SENSITIVE / CKA_EXTRACTABLE from the token's own view.
    const pkcs11 = (await import('pkcs11js')).default;
    const lib = new pkcs11.PKCS11();
    lib.load(LIB);
    try {
      lib.C_Initialize();
    } catch {
      // already initialized in this process
    }
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === TOKEN)!;
    const session = lib.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
    lib.C_FindObjectsInit(session, [{ type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY }, { type: pkcs11.CKA_ID, value: Buffer.from(ref.keyId, 'hex') }]);
    const found = lib.C_FindObjects(session, 1);
    lib.C_FindObjectsFinal(session);
    // Not logged in on this session's view? The token is logged in by b1/b2 (login state is per application), so the private object is visible.
    expect(found.length).toBe(1);
    const [sens, extr] = lib.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11.CKA_SENSITIVE }, { type: pkcs11.CKA_EXTRACTABLE }]);
    expect(sens?.value?.[0]).toBe(1);
    expect(extr?.value?.[0]).toBe(0);
    expect(() => lib.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
    lib.C_CloseSession(session);
    await b2.deleteKey(ref.keyId);
    await b1.close();
    await b2.close();
  });

  it('imports an RSA 2048 key into the token (C_CreateObject) and signs PKCS#1 and PSS', async () => {
    const b = await open();
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ref = await b.importKey(new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' })));
    expect(ref.keyType).toBe('RSA_2048');
    const msg = Buffer.from('rsa import');
    const d = createHash('sha256').update(msg).digest();
    const key = toSigningKey(b, ref);
    expect(verify('sha256', msg, pair.publicKey, await key.signDigest(d, { hash: 'SHA256' }))).toBe(true);
    // PKCS#1 v1.5 is deterministic: the token's CKM_RSA_PKCS over DigestInfo equals OpenSSL's signature.
    expect(Buffer.from(await key.signDigest(d, { hash: 'SHA256' })).equals(sign('sha256', msg, pair.privateKey))).toBe(true);
    const pss = await key.signDigest(d, { hash: 'SHA256', rsaPadding: 'pss' });
    expect(verify('sha256', msg, { key: pair.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss)).toBe(true);
    await b.deleteKey(ref.keyId);
    await b.close();
  });

  it('certificate manager on the token: an imported certificate\'s key goes into the token; server keys and the internal CA key are generated there', async () => {
    const b = await open();
    const store = createSqliteKeysStore(':memory:');
    const mgr = createCertificateManager({ repository: store.certificates, backend: b });
    const ca = await createTestCa({ dir: join(dir, 'ca'), algorithm: 'EC_prime256v1' });
    const issued = await issueCodeSigningCertificate({ ca, subject: 'CN=hsm.example.com', algorithm: 'EC_prime256v1' });
    const owner = { accountId: '123456789012', region: 'us-east-1' };
    const { certificateArn } = await mgr.importCertificate({ certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem, chainPem: issued.chainPem }, owner);
    const rec = await store.certificates.get(certificateArn);
    expect(rec?.keyBackend).toBe('pkcs11');
    const key = await mgr.getSigningKey(certificateArn, owner.accountId);
    const msg = Buffer.from('fw');
    const leaf = new X509Certificate(issued.certificatePem);
    expect(verify('sha256', msg, leaf.publicKey, await key.signDigest(createHash('sha256').update(msg).digest(), { hash: 'SHA256' }))).toBe(true);

    const server = await mgr.issueServerKey({ ...owner, profileName: 'notation_hsm' });
    const sLeaf = new X509Certificate(Buffer.from(server.signingKey.certificateChain[0]!));
    const caCert = new X509Certificate(await mgr.getInternalCaCertificate(owner));
    expect(sLeaf.verify(caCert.publicKey)).toBe(true);
    expect(verify('sha384', msg, sLeaf.publicKey, await server.signingKey.signDigest(createHash('sha384').update(msg).digest(), { hash: 'SHA384' }))).toBe(true);

    await mgr.deleteCertificate(certificateArn, owner);
    await expect(b.getKey(rec!.keyId)).rejects.toSatisfy((e) => isKeysError(e, 'KEY_NOT_FOUND'));
    store.close();
    await b.close();
  });

  it('parallel sign calls on one session are serialized and all verify', async () => {
    const b = await open();
    const ref = await b.generateKey('EC_prime256v1');
    const key = toSigningKey(b, ref);
    const msgs = Array.from({ length: 24 }, (_, i) => Buffer.from(`msg ${i}`));
    const sigs = await Promise.all(msgs.map((m) => key.signDigest(createHash('sha256').update(m).digest(), { hash: 'SHA256' })));
    const pub = { key: Buffer.from(ref.publicKeySpki), format: 'der' as const, type: 'spki' as const };
    sigs.forEach((s, i) => expect(verify('sha256', msgs[i]!, pub, s)).toBe(true));
    await b.deleteKey(ref.keyId);
    await b.close();
  });
});

import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEncryptedFileBackend } from './encrypted-file-backend.js';
import { isKeysError } from './errors.js';
import { keyBackendContract } from './key-backend.contract.js';
import { generateMasterKey, loadOrCreateMasterKey, MASTER_KEY_FILE, unwrapPrivateKey, wrapPrivateKey } from './master-key.js';
import { createSqliteKeysStore } from './sqlite-keys-store.js';
import { toSigningKey } from './signing-key.js';

keyBackendContract('encrypted-file (SQLite, supplied master key)', {
  supportsImport: true,
  async setup() {
    const store = createSqliteKeysStore(':memory:');
    return { backend: createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: generateMasterKey() }), teardown: async () => store.close() };
  },
});

describe('encrypted-file backend specifics', () => {
  it('RSA PKCS#1 v1.5 over a digest is byte-identical to crypto.sign over the message (deterministic scheme, known answer)', async () => {
    const store = createSqliteKeysStore(':memory:');
    const b = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: generateMasterKey() });
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ref = await b.importKey(new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' })));
    const msg = Buffer.from('known answer');
    for (const [hash, name] of [['SHA1', 'sha1'], ['SHA256', 'sha256'], ['SHA384', 'sha384'], ['SHA512', 'sha512']] as const) {
      const ours = await toSigningKey(b, ref).signDigest(createHash(name).update(msg).digest(), { hash });
      expect(Buffer.from(ours).equals(sign(name, msg, pair.privateKey))).toBe(true);
    }
    store.close();
  });

  it('generates RSA 3072 and RSA 4096 keys', async () => {
    const store = createSqliteKeysStore(':memory:');
    const b = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: generateMasterKey() });
    const r3 = await b.generateKey('RSA_3072');
    const r4 = await b.generateKey('RSA_4096');
    expect(r3.keyType).toBe('RSA_3072');
    expect(r4.keyType).toBe('RSA_4096');
    const sig = await toSigningKey(b, r4).signDigest(new Uint8Array(48), { hash: 'SHA384', rsaPadding: 'pss' });
    expect(sig.length).toBe(512);
    store.close();
  });

  it('creates <dataDir>/master.key with mode 0600 on first use and reuses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-master-'));
    try {
      const data = join(dir, 'data');
      const m1 = loadOrCreateMasterKey(data);
      const st = statSync(join(data, MASTER_KEY_FILE));
      expect(st.mode & 0o777).toBe(0o600);
      expect(statSync(data).mode & 0o777).toBe(0o700);
      const m2 = loadOrCreateMasterKey(data);
      expect(m2.id).toBe(m1.id);
      expect(Buffer.from(m2.bytes).equals(Buffer.from(m1.bytes))).toBe(true);
      // A key file readable by others is refused.
      chmodSync(join(data, MASTER_KEY_FILE), 0o644);
      expect(() => loadOrCreateMasterKey(data)).toThrow(expect.objectContaining({ code: 'MASTER_KEY' }));
      // A wrong-size file is refused.
      writeFileSync(join(data, MASTER_KEY_FILE), 'c2hvcnQ=\n', { mode: 0o600 });
      chmodSync(join(data, MASTER_KEY_FILE), 0o600);
      expect(() => loadOrCreateMasterKey(data)).toThrow(expect.objectContaining({ code: 'MASTER_KEY' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys survive a restart with the same master key file; a different master key cannot open them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-restart-'));
    try {
      const store = createSqliteKeysStore(join(dir, 'state.db'));
      const b1 = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: { dataDir: dir } });
      const r = await b1.generateKey('EC_prime256v1');
      const b2 = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: { dataDir: dir } });
      await expect(b2.signDigest(r.keyId, new Uint8Array(32), { hash: 'SHA256' })).resolves.toBeInstanceOf(Uint8Array);
      const stranger = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: generateMasterKey() });
      await expect(stranger.signDigest(r.keyId, new Uint8Array(32), { hash: 'SHA256' })).rejects.toSatisfy((e) => isKeysError(e, 'UNWRAP_FAILED'));
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('AES-256-GCM envelope: AAD binds key id and type; tampering fails closed', () => {
    const m = generateMasterKey();
    const secret = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'der', type: 'pkcs8' }));
    const env = wrapPrivateKey(m, 'key-a', 'EC_prime256v1', secret);
    expect(Buffer.from(unwrapPrivateKey([m], 'key-a', 'EC_prime256v1', env)).equals(Buffer.from(secret))).toBe(true);
    expect(() => unwrapPrivateKey([m], 'key-b', 'EC_prime256v1', env)).toThrow(expect.objectContaining({ code: 'UNWRAP_FAILED' }));
    expect(() => unwrapPrivateKey([m], 'key-a', 'EC_secp384r1', env)).toThrow(expect.objectContaining({ code: 'UNWRAP_FAILED' }));
    const ct = Buffer.from(env.ciphertext, 'base64');
    ct[5] = (ct[5] as number) ^ 0x01;
    expect(() => unwrapPrivateKey([m], 'key-a', 'EC_prime256v1', { ...env, ciphertext: ct.toString('base64') })).toThrow(expect.objectContaining({ code: 'UNWRAP_FAILED' }));
    expect(() => unwrapPrivateKey([m], 'key-a', 'EC_prime256v1', { ...env, nonce: Buffer.alloc(12).toString('base64') })).toThrow(expect.objectContaining({ code: 'UNWRAP_FAILED' }));
    // Fresh nonce per wrap: wrapping twice gives different ciphertexts.
    expect(wrapPrivateKey(m, 'key-a', 'EC_prime256v1', secret).nonce).not.toBe(env.nonce);
  });

  it('master key rotation: rewrapAll moves every key to the new master key; the old one is then unnecessary', async () => {
    const store = createSqliteKeysStore(':memory:');
    const oldKey = generateMasterKey();
    const b1 = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: oldKey });
    const refs = [await b1.generateKey('EC_prime256v1'), await b1.generateKey('ED25519')];
    const newKey = generateMasterKey();
    const b2 = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: newKey, previousMasterKeys: [oldKey] });
    expect(await b2.rewrapAll()).toBe(2);
    expect(await b2.rewrapAll()).toBe(0);
    const b3 = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: newKey });
    await expect(b3.signMessage(refs[1]!.keyId, new Uint8Array([1, 2, 3]))).resolves.toHaveLength(64);
    const stale = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: oldKey });
    await expect(stale.signMessage(refs[1]!.keyId, new Uint8Array([1]))).rejects.toSatisfy((e) => isKeysError(e, 'UNWRAP_FAILED'));
    store.close();
  });

  it('the SQLite file holds no private key material after generate and import', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-grep-'));
    try {
      const store = createSqliteKeysStore(join(dir, 'state.db'));
      const b = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: { dataDir: dir } });
      const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
      const d = Buffer.from(pair.privateKey.export({ format: 'jwk' }).d as string, 'base64url');
      await b.importKey(new Uint8Array(pkcs8));
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      const bytes = readFileSync(join(dir, 'state.db'));
      expect(bytes.includes(pkcs8)).toBe(false);
      expect(bytes.includes(d)).toBe(false);
      expect(bytes.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

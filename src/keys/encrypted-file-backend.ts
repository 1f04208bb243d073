/**
 * The default key backend: private keys wrapped with AES-256-GCM under a master key kept
 * outside the database (see master-key.ts), stored through a {@link WrappedKeyRepository}
 * (the SQLite database file by default). A key is decrypted only inside one sign call and
 * zeroized before the call returns.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { generateKeyPair as generateKeyPairCb } from 'node:crypto';
import { promisify } from 'node:util';
import { KeysError } from './errors.js';
import type { KeyBackend, KeyRef, KeyType, SignDigestOptions } from './key-backend.types.js';
import { loadOrCreateMasterKey, unwrapPrivateKey, wrapPrivateKey, type MasterKey } from './master-key.js';
import type { WrappedKeyRecord, WrappedKeyRepository } from './repository.types.js';
import { keyTypeOf, zeroize } from './signature-encoding.js';
import { privateKeyFromPkcs8, softwareSignDigest, softwareSignMessage } from './software-sign.js';

const generateKeyPair = promisify(generateKeyPairCb);

/** Options of {@link createEncryptedFileBackend}. */
export interface EncryptedFileBackendOptions {
  /** Where wrapped keys are stored. */
  repository: WrappedKeyRepository;
  /**
   * The master key: bytes/`MasterKey` supplied by the caller, or `{ dataDir }` to use
   * (creating on first use) `<dataDir>/master.key`.
   */
  masterKey: MasterKey | { dataDir: string };
  /** Older master keys still accepted for decryption (rotation; see {@link EncryptedFileBackend.rewrapAll}). */
  previousMasterKeys?: readonly MasterKey[];
}

/** The encrypted file backend, with its rotation verb. */
export interface EncryptedFileBackend extends KeyBackend {
  readonly kind: 'encrypted-file';
  /** Id (fingerprint) of the current master key. */
  readonly masterKeyId: string;
  /** Re-wraps every key not yet under the current master key; returns how many changed. */
  rewrapAll(): Promise<number>;
}

function isMasterKey(v: unknown): v is MasterKey {
  return typeof v === 'object' && v !== null && 'id' in v && 'wrappingKey' in v;
}

/** Generates a key pair of `keyType` in memory, returning PKCS#8 DER and the public key. */
async function generatePkcs8(keyType: KeyType): Promise<{ pkcs8: Buffer; publicKey: KeyObject }> {
  const privateKeyEncoding = { format: 'der', type: 'pkcs8' } as const;
  const publicKeyEncoding = { format: 'der', type: 'spki' } as const;
  let pair: { publicKey: Buffer; privateKey: Buffer };
  switch (keyType) {
    case 'EC_prime256v1':
    case 'EC_secp384r1':
      pair = generateKeyPairSync('ec', { namedCurve: keyType === 'EC_prime256v1' ? 'prime256v1' : 'secp384r1', privateKeyEncoding, publicKeyEncoding });
      break;
    case 'ED25519':
      pair = generateKeyPairSync('ed25519', { privateKeyEncoding, publicKeyEncoding });
      break;
    case 'RSA_2048':
    case 'RSA_3072':
    case 'RSA_4096':
      // Async: RSA generation takes seconds and must not block the event loop.
      pair = await generateKeyPair('rsa', { modulusLength: Number(keyType.slice(4)), publicExponent: 0x10001, privateKeyEncoding, publicKeyEncoding });
      break;
    default:
      throw new KeysError('UNSUPPORTED_ALGORITHM', `unsupported key type ${String(keyType)}`);
  }
  return { pkcs8: pair.privateKey, publicKey: createPublicKey({ key: pair.publicKey, format: 'der', type: 'spki' }) };
}

/** Creates the encrypted file backend. */
export function createEncryptedFileBackend(opts: EncryptedFileBackendOptions): EncryptedFileBackend {
  const current = isMasterKey(opts.masterKey) ? opts.masterKey : loadOrCreateMasterKey(opts.masterKey.dataDir);
  const masters: readonly MasterKey[] = [current, ...(opts.previousMasterKeys ?? [])];
  const repo = opts.repository;

  async function load(keyId: string): Promise<WrappedKeyRecord> {
    if (typeof keyId !== 'string' || keyId.length === 0) throw new TypeError('keyId must be a non-empty string');
    const rec = await repo.get(keyId);
    if (!rec) throw new KeysError('KEY_NOT_FOUND', `no key ${keyId} in the encrypted file backend`);
    return rec;
  }

  async function store(pkcs8: Uint8Array, publicKey: KeyObject, keyType: KeyType): Promise<KeyRef> {
    const keyId = randomUUID();
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    await repo.put({ keyId, keyType, publicKeySpki: spki, envelope: wrapPrivateKey(current, keyId, keyType, pkcs8), createdAt: new Date() });
    return Object.freeze({ backend: 'encrypted-file' as const, keyId, keyType, publicKeySpki: spki });
  }

  return {
    kind: 'encrypted-file',
    masterKeyId: current.id,

    async generateKey(keyType) {
      const { pkcs8, publicKey } = await generatePkcs8(keyType);
      try {
        return await store(pkcs8, publicKey, keyType);
      } finally {
        zeroize(pkcs8);
      }
    },

    async importKey(pkcs8Der) {
      if (!(pkcs8Der instanceof Uint8Array)) throw new TypeError('pkcs8Der must be a Uint8Array');
      const priv = privateKeyFromPkcs8(pkcs8Der);
      const keyType = keyTypeOf(priv);
      return store(pkcs8Der, createPublicKey(priv), keyType);
    },

    async getKey(keyId) {
      const rec = await load(keyId);
      return Object.freeze({ backend: 'encrypted-file' as const, keyId: rec.keyId, keyType: rec.keyType, publicKeySpki: rec.publicKeySpki });
    },

    async signDigest(keyId, digest, o: SignDigestOptions) {
      const rec = await load(keyId);
      const pkcs8 = unwrapPrivateKey(masters, rec.keyId, rec.keyType, rec.envelope);
      try {
        return softwareSignDigest(pkcs8, rec.keyType, digest, o);
      } finally {
        zeroize(pkcs8);
      }
    },

    async signMessage(keyId, message) {
      const rec = await load(keyId);
      const pkcs8 = unwrapPrivateKey(masters, rec.keyId, rec.keyType, rec.envelope);
      try {
        return softwareSignMessage(pkcs8, rec.keyType, message);
      } finally {
        zeroize(pkcs8);
      }
    },

    async deleteKey(keyId) {
      await repo.delete(keyId);
    },

    async rewrapAll() {
      let n = 0;
      for (const keyId of await repo.listIds()) {
        const rec = await repo.get(keyId);
        if (!rec || rec.envelope.kid === current.id) continue;
        const pkcs8 = unwrapPrivateKey(masters, rec.keyId, rec.keyType, rec.envelope);
        try {
          await repo.updateEnvelope(keyId, wrapPrivateKey(current, rec.keyId, rec.keyType, pkcs8));
          n++;
        } finally {
          zeroize(pkcs8);
        }
      }
      return n;
    },

    async close() {
      // Nothing held open: keys are decrypted per call.
    },
  };
}

/**
 * The master key (key-encryption key) of the encrypted file backend, and the envelope
 * format that wraps each private key under it.
 *
 * The master key lives outside the database: `<dataDir>/master.key` (created with mode
 * 0600 on first use) or bytes the caller supplies (e.g. from a secret manager). Each
 * private key is wrapped with AES-256-GCM under a fresh random 96-bit nonce, with the
 * key id and key type bound as additional authenticated data, so a wrapped key copied
 * onto another record does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KeysError } from './errors.js';
import type { KeyType } from './key-backend.types.js';
import { zeroize } from './signature-encoding.js';

/** File name of the master key inside the data directory. */
export const MASTER_KEY_FILE = 'master.key';
/** AES-256 key length. */
export const MASTER_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ENVELOPE_VERSION = 1;

/** A master key with its public id (a fingerprint, safe to store next to wrapped keys). */
export interface MasterKey {
  /** 16 hex chars: SHA-256("iot-signer/master-key-id/v1" ‖ key), truncated. Names the key, reveals nothing useful. */
  readonly id: string;
  /** The key bytes; never log. Other capabilities derive their own subkeys from them. */
  readonly bytes: Buffer;
  /** @internal AES-256 key that wraps private keys: HKDF-SHA256(bytes, info "iot-signer/keys/wrapped-key/v1"), so the raw master key encrypts nothing directly. */
  readonly wrappingKey: Buffer;
}

/** A wrapped private key as stored (all fields public). */
export interface WrappedKeyEnvelope {
  v: 1;
  alg: 'A256GCM';
  /** Id of the master key that wrapped it. */
  kid: string;
  nonce: string;
  ciphertext: string;
  tag: string;
}

/** Builds a {@link MasterKey} from 32 bytes (copied; zeroize your copy). */
export function masterKeyFromBytes(bytes: Uint8Array): MasterKey {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('master key must be a Uint8Array');
  if (bytes.length !== MASTER_KEY_BYTES) throw new RangeError(`master key must be ${MASTER_KEY_BYTES} bytes`);
  const copy = Buffer.from(bytes);
  const id = createHash('sha256').update('iot-signer/master-key-id/v1').update(copy).digest('hex').slice(0, 16);
  const wrappingKey = Buffer.from(hkdfSync('sha256', copy, Buffer.alloc(0), 'iot-signer/keys/wrapped-key/v1', 32));
  return Object.freeze({ id, bytes: copy, wrappingKey });
}

/** A fresh random master key. */
export function generateMasterKey(): MasterKey {
  const b = randomBytes(MASTER_KEY_BYTES);
  try {
    return masterKeyFromBytes(b);
  } finally {
    zeroize(b);
  }
}

function parseKeyFile(content: Buffer): MasterKey {
  // Accept raw 32 bytes or one line of base64 (what we write: easy to back up and paste into a secret store).
  if (content.length === MASTER_KEY_BYTES) return masterKeyFromBytes(content);
  const text = content.toString('ascii').trim();
  const raw = Buffer.from(text, 'base64');
  try {
    if (raw.length !== MASTER_KEY_BYTES || raw.toString('base64') !== text) {
      throw new KeysError('MASTER_KEY', `master key file must hold ${MASTER_KEY_BYTES} bytes (raw or base64)`);
    }
    return masterKeyFromBytes(raw);
  } finally {
    zeroize(raw);
  }
}

/**
 * Reads `<dataDir>/master.key`, creating it (mode 0600, directory 0700) with a fresh
 * random key when absent. Refuses a file readable by group or others, like ssh does.
 */
export function loadOrCreateMasterKey(dataDir: string): MasterKey {
  const file = join(dataDir, MASTER_KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    // Write a temporary file (0600), then link it into place: link() fails if another
    // process won the race, and nobody ever sees a half-written key file.
    const tmp = join(dataDir, `.${MASTER_KEY_FILE}.${randomBytes(8).toString('hex')}.tmp`);
    const key = randomBytes(MASTER_KEY_BYTES);
    const text = Buffer.from(key.toString('base64') + '\n', 'ascii');
    try {
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      chmodSync(tmp, 0o600); // umask cannot widen 0600, but be explicit
      try {
        linkSync(tmp, file);
        return masterKeyFromBytes(key);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new KeysError('MASTER_KEY', `cannot create ${MASTER_KEY_FILE}`, { cause: e });
      }
    } finally {
      rmSync(tmp, { force: true });
      zeroize(key, text);
    }
  }
  const st = statSync(file);
  if ((st.mode & 0o077) !== 0) {
    throw new KeysError('MASTER_KEY', `${MASTER_KEY_FILE} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600`);
  }
  const content = readFileSync(file);
  try {
    return parseKeyFile(content);
  } finally {
    zeroize(content);
  }
}

/** AAD binding a wrapped key to its id and type. */
function aad(keyId: string, keyType: KeyType): Buffer {
  return Buffer.from(`iot-signer/keys/wrapped-key/v${ENVELOPE_VERSION}\0${keyId}\0${keyType}`, 'utf8');
}

/** Encrypts PKCS#8 DER under `master` (AES-256-GCM, random nonce, AAD = key id + type). */
export function wrapPrivateKey(master: MasterKey, keyId: string, keyType: KeyType, pkcs8Der: Uint8Array): WrappedKeyEnvelope {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master.wrappingKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(keyId, keyType));
  const ct = Buffer.concat([cipher.update(pkcs8Der), cipher.final()]);
  return {
    v: 1,
    alg: 'A256GCM',
    kid: master.id,
    nonce: nonce.toString('base64'),
    ciphertext: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/**
 * Decrypts an envelope with whichever of `masters` wrapped it. The result is a fresh
 * buffer the caller must zeroize. Fails closed with `UNWRAP_FAILED` (no detail).
 */
export function unwrapPrivateKey(masters: readonly MasterKey[], keyId: string, keyType: KeyType, env: WrappedKeyEnvelope): Buffer {
  const master = masters.find((m) => m.id === env.kid);
  if (!master) throw new KeysError('UNWRAP_FAILED', `stored key ${keyId} was wrapped by master key ${env.kid}, which is not configured`);
  if (env.v !== ENVELOPE_VERSION || env.alg !== 'A256GCM') throw new KeysError('UNWRAP_FAILED', `stored key ${keyId} has an unknown envelope format`);
  const nonce = Buffer.from(env.nonce, 'base64');
  const tag = Buffer.from(env.tag, 'base64');
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw new KeysError('UNWRAP_FAILED', `stored key ${keyId} has a malformed envelope`);
  const decipher = createDecipheriv('aes-256-gcm', master.wrappingKey, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad(keyId, keyType));
  decipher.setAuthTag(tag);
  const first = decipher.update(Buffer.from(env.ciphertext, 'base64'));
  try {
    const last = decipher.final();
    const out = Buffer.concat([first, last]);
    zeroize(last);
    return out;
  } catch {
    throw new KeysError('UNWRAP_FAILED', `stored key ${keyId} failed authentication (wrong master key or tampered record)`);
  } finally {
    zeroize(first);
  }
}

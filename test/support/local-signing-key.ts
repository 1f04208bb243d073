/**
 * TEST-ONLY `SigningKey` over node:crypto KeyObjects, plus helpers that make test keys and
 * test certificate chains (with the `openssl` CLI). Never use these for real keys: the private
 * key sits in process memory.
 */
import { execFileSync } from 'node:child_process';
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  randomBytes,
  sign as nodeSign,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256, p384 } from '@noble/curves/nist.js';
import type { HashAlgorithm, KeyType, SigningKey } from '../../platforms/platform.types.js';

const NODE_HASH: Record<HashAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const HASH_LEN: Record<HashAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA384: 48, SHA512: 64 };
/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<HashAlgorithm, string> = {
  SHA1: '3021300906052b0e03021a05000414',
  SHA256: '3031300d060960864801650304020105000420',
  SHA384: '3041300d060960864801650304020205000430',
  SHA512: '3051300d060960864801650304020305000440',
};

/** The {@link KeyType} of a node:crypto private or public key. */
export function keyTypeOf(key: KeyObject): KeyType {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (d.namedCurve === 'prime256v1') return 'EC_prime256v1';
      if (d.namedCurve === 'secp384r1') return 'EC_secp384r1';
      break;
    case 'rsa':
      if (d.modulusLength === 2048) return 'RSA_2048';
      if (d.modulusLength === 3072) return 'RSA_3072';
      if (d.modulusLength === 4096) return 'RSA_4096';
      break;
    case 'ed25519':
      return 'ED25519';
  }
  throw new TypeError(`unsupported test key: ${key.asymmetricKeyType} ${JSON.stringify(d)}`);
}

/** Generates a fresh test key of a given type. */
export function generateTestKey(keyType: KeyType): KeyObject {
  switch (keyType) {
    case 'EC_prime256v1':
    case 'EC_secp384r1':
      return generateKeyPairSync('ec', { namedCurve: keyType.slice(3) }).privateKey;
    case 'RSA_2048':
    case 'RSA_3072':
    case 'RSA_4096':
      return generateKeyPairSync('rsa', { modulusLength: Number(keyType.slice(4)) }).privateKey;
    case 'ED25519':
      return generateKeyPairSync('ed25519').privateKey;
  }
}

/**
 * A {@link SigningKey} over a private key held in memory (TEST ONLY).
 * @param privateKey a KeyObject or PEM text (PKCS#8, SEC1 or PKCS#1)
 * @param certificateChain leaf first, DER
 */
export function localSigningKey(privateKey: KeyObject | string, certificateChain: readonly Uint8Array[] = []): SigningKey {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const keyType = keyTypeOf(key);
  const publicKeySpki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  return {
    keyType,
    publicKeySpki,
    certificateChain,
    async signDigest(digest, { hash, rsaPadding }) {
      if (digest.length !== HASH_LEN[hash]) throw new RangeError(`digest is ${digest.length} bytes, ${hash} needs ${HASH_LEN[hash]}`);
      if (keyType.startsWith('EC_')) {
        const curve = keyType === 'EC_prime256v1' ? p256 : p384;
        const d = Buffer.from(String(key.export({ format: 'jwk' }).d), 'base64url');
        return curve.sign(digest, d, { prehash: false, format: 'der' });
      }
      if (keyType.startsWith('RSA_')) {
        if (rsaPadding === 'pss') {
          const modBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
          return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, emsaPssEncode(digest, hash, modBits - 1)));
        }
        const digestInfo = Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest]);
        return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo));
      }
      throw new TypeError(`signDigest is not available for ${keyType} keys (use signMessage)`);
    },
    async signMessage(message) {
      if (keyType !== 'ED25519') throw new TypeError(`signMessage is only for Ed25519 keys, not ${keyType}`);
      return new Uint8Array(nodeSign(null, message, key));
    },
  };
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) over an existing digest, MGF1 with the same hash, salt = hash length. */
function emsaPssEncode(mHash: Uint8Array, hash: HashAlgorithm, emBits: number): Buffer {
  const hLen = HASH_LEN[hash];
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(NODE_HASH[hash]).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.alloc(emLen - hLen - 1);
  db[db.length - hLen - 1] = 0x01;
  salt.copy(db, db.length - hLen);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i] = db[i]! ^ mask[i]!;
  db[0] = db[0]! & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

function mgf1(seed: Buffer, length: number, hash: HashAlgorithm): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0; out.length * HASH_LEN[hash] < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    out.push(createHash(NODE_HASH[hash]).update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

/** A test certificate chain made by the openssl CLI: a self-signed root and a code-signing leaf. */
export interface TestChain {
  /** leaf first, DER */
  chain: Uint8Array[];
  rootPem: string;
  leafPem: string;
}

/**
 * Issues a test chain for `leafKey` with openssl: root CA (EC P-384) → leaf with
 * digitalSignature + codeSigning EKU. TEST ONLY.
 */
export function issueTestChain(leafKey: KeyObject, subject = '/CN=test code signer'): TestChain {
  const dir = mkdtempSync(join(tmpdir(), 'test-chain-'));
  try {
    const p = (name: string) => join(dir, name);
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(p('leaf.key'), leafKey.export({ type: 'pkcs8', format: 'pem' }));
    run(['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', p('root.key')]);
    run(['req', '-x509', '-new', '-key', p('root.key'), '-sha384', '-days', '3650', '-subj', '/CN=test root CA', '-out', p('root.pem'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    writeFileSync(p('leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
    run(['req', '-new', '-key', p('leaf.key'), '-subj', subject, '-out', p('leaf.csr')]);
    run(['x509', '-req', '-in', p('leaf.csr'), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-CAcreateserial', '-days', '365',
      '-sha384', '-extfile', p('leaf.ext'), '-out', p('leaf.pem')]);
    const rootPem = readFileSync(p('root.pem'), 'utf8');
    const leafPem = readFileSync(p('leaf.pem'), 'utf8');
    return { chain: [pemToDer(leafPem), pemToDer(rootPem)], rootPem, leafPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The DER bytes of the first PEM block in `pem`. */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (m?.[1] === undefined) throw new TypeError('no PEM block');
  return new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

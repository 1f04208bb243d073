/**
 * The one contract every {@link KeyBackend} passes (in the manner of aedes-persistence's
 * abstract suite). A backend's test file calls {@link keyBackendContract} with a factory.
 * Signatures are checked with both `node:crypto` and the `openssl` command line.
 */
import { createHash, createPublicKey, generateKeyPairSync, verify as nodeVerify, constants, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKeysError } from './errors.js';
import type { HashAlgorithm, KeyBackend, KeyRef, KeyType } from './key-backend.types.js';
import { keyTypeOfSpki, NODE_HASH_NAME } from './signature-encoding.js';
import { toSigningKey } from './signing-key.js';

/** What a backend's test supplies. */
export interface KeyBackendContractOptions {
  /** Creates a fresh backend (and a cleanup). Called once per suite. */
  setup(): Promise<{ backend: KeyBackend; teardown?: () => Promise<void> }>;
  /** Key types the suite generates (default: P-256, P-384, RSA 2048, Ed25519). */
  keyTypes?: readonly KeyType[];
  /** Whether `importKey` is expected to work. */
  supportsImport?: boolean;
}

const DEFAULT_TYPES: readonly KeyType[] = ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'ED25519'];

/** Verifies with `openssl pkeyutl`; returns true on "Signature Verified Successfully". */
export function opensslVerify(spki: Uint8Array, input: Uint8Array, sig: Uint8Array, pkeyopts: string[], rawin = false): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'keys-verify-'));
  try {
    const pub = join(dir, 'pub.pem');
    writeFileSync(pub, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }));
    writeFileSync(join(dir, 'in.bin'), input);
    writeFileSync(join(dir, 'sig.bin'), sig);
    const args = ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', join(dir, 'in.bin'), '-sigfile', join(dir, 'sig.bin')];
    if (rawin) args.push('-rawin');
    for (const o of pkeyopts) args.push('-pkeyopt', o);
    try {
      const out = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return out.includes('Signature Verified Successfully');
    } catch {
      return false;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pub(ref: KeyRef): KeyObject {
  return createPublicKey({ key: Buffer.from(ref.publicKeySpki), format: 'der', type: 'spki' });
}

function digestOf(hash: HashAlgorithm, msg: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(NODE_HASH_NAME[hash]).update(msg).digest());
}

/** Registers the contract suite for one backend. */
export function keyBackendContract(name: string, opts: KeyBackendContractOptions): void {
  const types = opts.keyTypes ?? DEFAULT_TYPES;
  describe(`KeyBackend contract: ${name}`, () => {
    let backend: KeyBackend;
    let teardown: (() => Promise<void>) | undefined;
    const refs = new Map<KeyType, KeyRef>();
    const message = new TextEncoder().encode('firmware image bytes for the contract suite');

    beforeAll(async () => {
      const s = await opts.setup();
      backend = s.backend;
      teardown = s.teardown;
      // Generated once per suite: RSA generation is slow and the machine is shared.
      for (const t of types) refs.set(t, await backend.generateKey(t));
    });
    afterAll(async () => {
      await backend?.close();
      await teardown?.();
    });

    const ref = (t: KeyType): KeyRef => {
      const r = refs.get(t);
      if (!r) throw new Error(`no key generated for ${t}`);
      return r;
    };

    it('generateKey returns a KeyRef whose SPKI matches the requested key type', () => {
      for (const t of types) {
        const r = ref(t);
        expect(r.backend).toBe(backend.kind);
        expect(r.keyType).toBe(t);
        expect(keyTypeOfSpki(r.publicKeySpki)).toBe(t);
        expect(typeof r.keyId).toBe('string');
      }
      expect(new Set(types.map((t) => ref(t).keyId)).size).toBe(types.length);
    });

    it('getKey returns the same public key', async () => {
      for (const t of types) {
        const again = await backend.getKey(ref(t).keyId);
        expect(again.keyType).toBe(t);
        expect(Buffer.from(again.publicKeySpki).equals(Buffer.from(ref(t).publicKeySpki))).toBe(true);
      }
    });

    for (const t of types.filter((x) => x.startsWith('EC_'))) {
      for (const hash of ['SHA256', 'SHA384', 'SHA512'] as const) {
        it(`[ECDSA ${t}] signDigest(${hash}) yields a DER Ecdsa-Sig-Value over the digest itself (node + openssl verify)`, async () => {
          const key = toSigningKey(backend, ref(t));
          const d = digestOf(hash, message);
          const sig = await key.signDigest(d, { hash });
          expect(sig[0]).toBe(0x30);
          expect(nodeVerify(NODE_HASH_NAME[hash], message, pub(ref(t)), sig)).toBe(true);
          expect(opensslVerify(ref(t).publicKeySpki, d, sig, [`digest:${NODE_HASH_NAME[hash]}`])).toBe(true);
          // Not a signature over hash(digest): no re-hashing happened.
          expect(nodeVerify(NODE_HASH_NAME[hash], d, pub(ref(t)), sig)).toBe(false);
        });
      }
      it(`[ECDSA ${t}] a flipped digest bit does not verify; signatures are randomized`, async () => {
        const key = toSigningKey(backend, ref(t));
        const d = digestOf('SHA256', message);
        const s1 = await key.signDigest(d, { hash: 'SHA256' });
        const s2 = await key.signDigest(d, { hash: 'SHA256' });
        expect(Buffer.from(s1).equals(Buffer.from(s2))).toBe(false);
        const bad = new Uint8Array(d);
        bad[0] = (bad[0] as number) ^ 1;
        expect(opensslVerify(ref(t).publicKeySpki, bad, s1, ['digest:sha256'])).toBe(false);
      });
    }

    for (const t of types.filter((x) => x.startsWith('RSA_'))) {
      for (const hash of ['SHA1', 'SHA256', 'SHA384'] as const) {
        it(`[RSA ${t}] signDigest(${hash}, pkcs1) is RSASSA-PKCS1-v1_5 with DigestInfo (node + openssl verify)`, async () => {
          const key = toSigningKey(backend, ref(t));
          const d = digestOf(hash, message);
          const sig = await key.signDigest(d, { hash, rsaPadding: 'pkcs1' });
          expect(sig.length).toBe(Number(t.slice(4)) / 8);
          expect(nodeVerify(NODE_HASH_NAME[hash], message, pub(ref(t)), sig)).toBe(true);
          expect(opensslVerify(ref(t).publicKeySpki, d, sig, [`digest:${NODE_HASH_NAME[hash]}`])).toBe(true);
        });
      }
      for (const hash of ['SHA256', 'SHA384'] as const) {
        it(`[RSA ${t}] signDigest(${hash}, pss) is RSASSA-PSS, MGF1 same hash, salt = hash length (node + openssl verify)`, async () => {
          const key = toSigningKey(backend, ref(t));
          const d = digestOf(hash, message);
          const sig = await key.signDigest(d, { hash, rsaPadding: 'pss' });
          const saltLength = hash === 'SHA256' ? 32 : 48;
          expect(nodeVerify(NODE_HASH_NAME[hash], message, { key: pub(ref(t)), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, sig)).toBe(true);
          expect(opensslVerify(ref(t).publicKeySpki, d, sig, [`digest:${NODE_HASH_NAME[hash]}`, 'rsa_padding_mode:pss', 'rsa_pss_saltlen:digest', `rsa_mgf1_md:${NODE_HASH_NAME[hash]}`])).toBe(true);
        });
      }
      it(`[RSA ${t}] pkcs1 is the default padding`, async () => {
        const key = toSigningKey(backend, ref(t));
        const d = digestOf('SHA256', message);
        const sig = await key.signDigest(d, { hash: 'SHA256' });
        expect(nodeVerify('sha256', message, pub(ref(t)), sig)).toBe(true);
      });
    }

    if (types.includes('ED25519')) {
      it('[Ed25519] signMessage is pure Ed25519 over the message (node + openssl verify)', async () => {
        const key = toSigningKey(backend, ref('ED25519'));
        const sig = await key.signMessage(message);
        expect(sig.length).toBe(64);
        expect(nodeVerify(null, message, pub(ref('ED25519')), sig)).toBe(true);
        expect(opensslVerify(ref('ED25519').publicKeySpki, message, sig, [], true)).toBe(true);
      });
      it('[Ed25519] signDigest is refused with UNSUPPORTED_OPERATION', async () => {
        const key = toSigningKey(backend, ref('ED25519'));
        await expect(key.signDigest(digestOf('SHA256', message), { hash: 'SHA256' })).rejects.toSatisfy((e) => isKeysError(e, 'UNSUPPORTED_OPERATION'));
      });
    }

    it('signMessage on a non-Ed25519 key and PSS on an EC key are refused with UNSUPPORTED_OPERATION', async () => {
      const t = types.find((x) => x.startsWith('EC_'));
      if (!t) return;
      const key = toSigningKey(backend, ref(t));
      await expect(key.signMessage(message)).rejects.toSatisfy((e) => isKeysError(e, 'UNSUPPORTED_OPERATION'));
      await expect(key.signDigest(digestOf('SHA256', message), { hash: 'SHA256', rsaPadding: 'pss' })).rejects.toSatisfy((e) => isKeysError(e, 'UNSUPPORTED_OPERATION'));
    });

    it('bad inputs: wrong digest length → RangeError, wrong types → TypeError', async () => {
      const t = types[0];
      if (!t || t === 'ED25519') return;
      const key = toSigningKey(backend, ref(t));
      const bad: [unknown, unknown, ErrorConstructor][] = [
        [new Uint8Array(31), { hash: 'SHA256' }, RangeError],
        [new Uint8Array(33), { hash: 'SHA256' }, RangeError],
        [new Uint8Array(0), { hash: 'SHA384' }, RangeError],
        [new Uint8Array(32), { hash: 'SHA384' }, RangeError],
        ['not bytes', { hash: 'SHA256' }, TypeError],
        [null, { hash: 'SHA256' }, TypeError],
        [new Uint8Array(32), { hash: 'MD5' }, TypeError],
        [new Uint8Array(32), null, TypeError],
        [new Uint8Array(32), { hash: 'SHA256', rsaPadding: 'oaep' }, TypeError],
      ];
      for (const [d, o, E] of bad) {
        await expect(key.signDigest(d as Uint8Array, o as { hash: HashAlgorithm })).rejects.toBeInstanceOf(E);
      }
    });

    it('unknown key ids → KEY_NOT_FOUND (500 InternalServerException, no key material in the message)', async () => {
      const unknown = backend.kind === 'pkcs11' ? 'ffffffffffffffffffffffffffffffff' : '00000000-0000-4000-8000-000000000000';
      await expect(backend.getKey(unknown)).rejects.toSatisfy((e) => isKeysError(e, 'KEY_NOT_FOUND'));
      await expect(backend.signDigest(unknown, new Uint8Array(32), { hash: 'SHA256' })).rejects.toSatisfy(
        (e) => isKeysError(e, 'KEY_NOT_FOUND') && e.httpStatus === 500,
      );
    });

    it('deleteKey destroys the key and is idempotent', async () => {
      const r = await backend.generateKey('EC_prime256v1');
      await backend.deleteKey(r.keyId);
      await backend.deleteKey(r.keyId);
      await expect(backend.getKey(r.keyId)).rejects.toSatisfy((e) => isKeysError(e, 'KEY_NOT_FOUND'));
    });

    if (opts.supportsImport) {
      it('importKey takes an existing PKCS#8 key; signatures verify with the original public key', async () => {
        for (const [t, gen] of [
          ['EC_prime256v1', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
          ['ED25519', () => generateKeyPairSync('ed25519')],
        ] as const) {
          const pair = gen();
          const pkcs8 = new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' }));
          const r = await backend.importKey(pkcs8);
          expect(r.keyType).toBe(t);
          expect(Buffer.from(r.publicKeySpki).equals(pair.publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
          const key = toSigningKey(backend, r);
          const sig = t === 'ED25519' ? await key.signMessage(message) : await key.signDigest(digestOf('SHA256', message), { hash: 'SHA256' });
          expect(nodeVerify(t === 'ED25519' ? null : 'sha256', message, pair.publicKey, sig)).toBe(true);
          await backend.deleteKey(r.keyId);
        }
      });
      it('importKey refuses unsupported algorithms (RSA 1024, P-521) with UNSUPPORTED_ALGORITHM', async () => {
        for (const pair of [generateKeyPairSync('rsa', { modulusLength: 1024 }), generateKeyPairSync('ec', { namedCurve: 'secp521r1' })]) {
          const pkcs8 = new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' }));
          await expect(backend.importKey(pkcs8)).rejects.toSatisfy((e) => isKeysError(e, 'UNSUPPORTED_ALGORITHM'));
        }
      });
    }
  });
}

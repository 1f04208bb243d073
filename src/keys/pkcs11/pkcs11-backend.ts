/**
 * PKCS#11 key backend (HSMs, SoftHSM2 in tests) over `pkcs11js`. The only module that
 * imports the native driver, and only when a backend is created (dynamic import), so
 * loading `src/keys` does not load native code.
 *
 * Keys are generated inside the token (CKA_SENSITIVE, not CKA_EXTRACTABLE) or imported
 * with C_CreateObject under the same attributes. Mechanisms:
 * - ECDSA: CKM_ECDSA over the caller's digest; the token returns raw r‖s, converted to DER.
 * - RSA PKCS#1 v1.5: CKM_RSA_PKCS over DigestInfo (we add the DigestInfo prefix).
 * - RSA PSS: CKM_RSA_PKCS_PSS with {hashAlg, MGF1(same hash), sLen = hLen} over the digest.
 * - Ed25519: CKM_EDDSA over the message.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import type * as Pkcs11Types from 'pkcs11js';
import { KeysError } from '../errors.js';
import type { HashAlgorithm, KeyBackend, KeyRef, KeyType, SignDigestOptions } from '../key-backend.types.js';
import { digestInfo, ecdsaRawToDer, HASH_LENGTH, keyTypeOf, zeroize } from '../signature-encoding.js';

/** Options of {@link createPkcs11Backend}. */
export interface Pkcs11BackendOptions {
  /** Path of the PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  libraryPath: string;
  /** Label of the token to use (as set by `softhsm2-util --init-token --label`). */
  tokenLabel: string;
  /** User PIN. Never logged or put in an error message. */
  pin: string;
  /** Prefix of CKA_LABEL of created objects (default `iot-signer`). */
  labelPrefix?: string;
}

// Cryptoki v3 constants pkcs11js does not export (values from the PKCS#11 v3.0 headers).
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

// DER OIDs used as CKA_EC_PARAMS.
const EC_PARAMS: Readonly<Record<'EC_prime256v1' | 'EC_secp384r1' | 'ED25519', Buffer>> = {
  EC_prime256v1: Buffer.from('06082a8648ce3d030107', 'hex'), // 1.2.840.10045.3.1.7
  EC_secp384r1: Buffer.from('06052b81040022', 'hex'), // 1.3.132.0.34
  ED25519: Buffer.from('06032b6570', 'hex'), // 1.3.101.112
};

type Pkcs11Module = typeof Pkcs11Types;

interface LoadedLibrary {
  lib: Pkcs11Types.PKCS11;
  refs: number;
  /** We called C_Initialize (so we call C_Finalize). */
  owner: boolean;
}

// One C_Initialize per module per process: backends on the same library share it.
const libraries = new Map<string, Promise<{ mod: Pkcs11Module; loaded: LoadedLibrary }>>();

async function loadLibrary(path: string): Promise<{ mod: Pkcs11Module; loaded: LoadedLibrary }> {
  let p = libraries.get(path);
  if (!p) {
    p = (async () => {
      const imported = (await import('pkcs11js')) as Pkcs11Module & { default?: Pkcs11Module };
      const mod = imported.default ?? imported;
      const lib = new mod.PKCS11();
      let owner = true;
      try {
        lib.load(path);
        try {
          lib.C_Initialize();
        } catch (e) {
          // Another user of the same module in this process initialized it: share it, never finalize it.
          if ((e as { code?: number }).code !== mod.CKR_CRYPTOKI_ALREADY_INITIALIZED && !/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String((e as Error).message))) throw e;
          owner = false;
        }
      } catch (e) {
        libraries.delete(path);
        throw new KeysError('BACKEND', `cannot initialize PKCS#11 module ${path}: ${describe(e)}`);
      }
      return { mod, loaded: { lib, refs: 0, owner } };
    })();
    libraries.set(path, p);
  }
  const r = await p;
  r.loaded.refs++;
  return r;
}

/** A PKCS#11 error as text: the CKR name and function, never arguments. */
function describe(e: unknown): string {
  if (e instanceof Error) {
    const m = /CKR_[A-Z_]+/.exec(e.message);
    const method = (e as { method?: string }).method;
    return `${m ? m[0] : e.name}${method ? ` in ${method}` : ''}`;
  }
  return 'unknown error';
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Strips a DER OCTET STRING wrapper from CKA_EC_POINT when present. */
function unwrapOctetString(v: Buffer, expected: number): Buffer {
  if (v.length === expected) return v;
  if (v[0] === 0x04) {
    let off = 2;
    let len = v[1] as number;
    if (len === 0x81) { len = v[2] as number; off = 3; }
    else if (len === 0x82) { len = ((v[2] as number) << 8) | (v[3] as number); off = 4; }
    if (off + len === v.length && len === expected) return v.subarray(off);
  }
  throw new KeysError('BACKEND', 'token returned an EC point in an unexpected encoding');
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

/**
 * Opens a session on the token labelled `tokenLabel`, logs in, and returns a {@link KeyBackend}.
 * The caller sets the module's own configuration (e.g. `SOFTHSM2_CONF`) before the first call.
 */
export async function createPkcs11Backend(opts: Pkcs11BackendOptions): Promise<KeyBackend> {
  const { mod, loaded } = await loadLibrary(opts.libraryPath);
  const lib = loaded.lib;
  const labelPrefix = opts.labelPrefix ?? 'iot-signer';

  const slot = lib.C_GetSlotList(true).find((s) => {
    try {
      return lib.C_GetTokenInfo(s).label.trim() === opts.tokenLabel;
    } catch {
      return false;
    }
  });
  if (slot === undefined) throw new KeysError('BACKEND', `no PKCS#11 token labelled "${opts.tokenLabel}"`);
  let session: Buffer;
  try {
    session = lib.C_OpenSession(slot, mod.CKF_SERIAL_SESSION | mod.CKF_RW_SESSION);
  } catch (e) {
    throw new KeysError('BACKEND', `cannot open a PKCS#11 session: ${describe(e)}`);
  }
  try {
    lib.C_Login(session, mod.CKU_USER, opts.pin);
  } catch (e) {
    // Login state belongs to the application, not the session: a second backend on the same token is already logged in.
    const already = (e as { code?: number }).code === mod.CKR_USER_ALREADY_LOGGED_IN || /CKR_USER_ALREADY_LOGGED_IN/.test(String((e as Error).message));
    if (!already) {
      lib.C_CloseSession(session);
      throw new KeysError('BACKEND', `PKCS#11 login failed: ${describe(e)}`);
    }
  }

  // A PKCS#11 session runs one operation at a time: serialize every call.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }
  function call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KeysError) throw e;
      throw new KeysError('BACKEND', `PKCS#11 ${what} failed: ${describe(e)}`);
    }
  }

  function find(template: Pkcs11Types.Template): Buffer[] {
    return call('find', () => {
      lib.C_FindObjectsInit(session, template);
      try {
        return lib.C_FindObjects(session, 16);
      } finally {
        lib.C_FindObjectsFinal(session);
      }
    });
  }
  function idBytes(keyId: string): Buffer {
    if (typeof keyId !== 'string' || !/^[0-9a-f]{2,128}$/.test(keyId) || keyId.length % 2 !== 0) throw new KeysError('KEY_NOT_FOUND', `no key ${String(keyId)} on the token`);
    return Buffer.from(keyId, 'hex');
  }
  function findOne(keyId: string, cls: number): Buffer {
    const h = find([{ type: mod.CKA_CLASS, value: cls }, { type: mod.CKA_ID, value: idBytes(keyId) }])[0];
    if (!h) throw new KeysError('KEY_NOT_FOUND', `no key ${keyId} on the token`);
    return h;
  }
  function attr(h: Buffer, type: number): Buffer {
    const v = call('C_GetAttributeValue', () => lib.C_GetAttributeValue(session, h, [{ type }]))[0]?.value;
    if (!(v instanceof Buffer)) throw new KeysError('BACKEND', 'token did not return a requested attribute');
    return v;
  }

  /** Reads the public key object into a KeyRef. */
  function describeKey(keyId: string): KeyRef {
    const pubH = findOne(keyId, mod.CKO_PUBLIC_KEY);
    const kt = attr(pubH, mod.CKA_KEY_TYPE).readUIntLE(0, Math.min(6, attr(pubH, mod.CKA_KEY_TYPE).length));
    let jwk: Record<string, string>;
    if (kt === mod.CKK_RSA) {
      jwk = { kty: 'RSA', n: b64u(attr(pubH, mod.CKA_MODULUS)), e: b64u(attr(pubH, mod.CKA_PUBLIC_EXPONENT)) };
    } else if (kt === mod.CKK_EC) {
      const params = attr(pubH, mod.CKA_EC_PARAMS);
      const p256 = params.equals(EC_PARAMS.EC_prime256v1);
      if (!p256 && !params.equals(EC_PARAMS.EC_secp384r1)) throw new KeysError('UNSUPPORTED_ALGORITHM', `token key ${keyId} uses an unsupported curve`);
      const n = p256 ? 32 : 48;
      const point = unwrapOctetString(attr(pubH, mod.CKA_EC_POINT), 2 * n + 1);
      jwk = { kty: 'EC', crv: p256 ? 'P-256' : 'P-384', x: b64u(point.subarray(1, 1 + n)), y: b64u(point.subarray(1 + n)) };
    } else if (kt === CKK_EC_EDWARDS) {
      jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(unwrapOctetString(attr(pubH, mod.CKA_EC_POINT), 32)) };
    } else {
      throw new KeysError('UNSUPPORTED_ALGORITHM', `token key ${keyId} has an unsupported key type`);
    }
    const pub = createPublicKey({ key: jwk, format: 'jwk' });
    return Object.freeze({ backend: 'pkcs11' as const, keyId, keyType: keyTypeOf(pub), publicKeySpki: new Uint8Array(pub.export({ format: 'der', type: 'spki' })) });
  }

  const keyTypes = new Map<string, KeyType>();
  function keyTypeFor(keyId: string): KeyType {
    let t = keyTypes.get(keyId);
    if (!t) {
      t = describeKey(keyId).keyType;
      keyTypes.set(keyId, t);
    }
    return t;
  }

  function commonAttrs(id: Buffer, keyType: KeyType) {
    const label = `${labelPrefix}:${hex(id)}`;
    const ckk = keyType.startsWith('RSA') ? mod.CKK_RSA : keyType === 'ED25519' ? CKK_EC_EDWARDS : mod.CKK_EC;
    const pub: Pkcs11Types.Template = [
      { type: mod.CKA_CLASS, value: mod.CKO_PUBLIC_KEY },
      { type: mod.CKA_KEY_TYPE, value: ckk },
      { type: mod.CKA_TOKEN, value: true },
      { type: mod.CKA_VERIFY, value: true },
      { type: mod.CKA_ID, value: id },
      { type: mod.CKA_LABEL, value: label },
    ];
    const priv: Pkcs11Types.Template = [
      { type: mod.CKA_CLASS, value: mod.CKO_PRIVATE_KEY },
      { type: mod.CKA_KEY_TYPE, value: ckk },
      { type: mod.CKA_TOKEN, value: true },
      { type: mod.CKA_PRIVATE, value: true },
      { type: mod.CKA_SENSITIVE, value: true },
      { type: mod.CKA_EXTRACTABLE, value: false },
      { type: mod.CKA_SIGN, value: true },
      { type: mod.CKA_ID, value: id },
      { type: mod.CKA_LABEL, value: label },
    ];
    return { pub, priv };
  }

  const PSS: Readonly<Record<HashAlgorithm, { hashAlg: number; mgf: number }>> = {
    SHA1: { hashAlg: mod.CKM_SHA_1, mgf: mod.CKG_MGF1_SHA1 },
    SHA256: { hashAlg: mod.CKM_SHA256, mgf: mod.CKG_MGF1_SHA256 },
    SHA384: { hashAlg: mod.CKM_SHA384, mgf: mod.CKG_MGF1_SHA384 },
    SHA512: { hashAlg: mod.CKM_SHA512, mgf: mod.CKG_MGF1_SHA512 },
  };

  function sign(keyId: string, mechanism: Pkcs11Types.Mechanism, data: Buffer): Buffer {
    const h = findOne(keyId, mod.CKO_PRIVATE_KEY);
    return call('C_Sign', () => {
      lib.C_SignInit(session, mechanism, h);
      return lib.C_Sign(session, data, Buffer.alloc(1024));
    });
  }

  let closed = false;
  return {
    kind: 'pkcs11',

    generateKey(keyType) {
      return serial(async () => {
        const id = randomBytes(16);
        const { pub, priv } = commonAttrs(id, keyType);
        let mech: number;
        switch (keyType) {
          case 'EC_prime256v1':
          case 'EC_secp384r1':
          case 'ED25519':
            pub.push({ type: mod.CKA_EC_PARAMS, value: EC_PARAMS[keyType] });
            mech = keyType === 'ED25519' ? CKM_EC_EDWARDS_KEY_PAIR_GEN : mod.CKM_EC_KEY_PAIR_GEN;
            break;
          case 'RSA_2048':
          case 'RSA_3072':
          case 'RSA_4096':
            pub.push({ type: mod.CKA_MODULUS_BITS, value: Number(keyType.slice(4)) }, { type: mod.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
            mech = mod.CKM_RSA_PKCS_KEY_PAIR_GEN;
            break;
          default:
            throw new KeysError('UNSUPPORTED_ALGORITHM', `unsupported key type ${String(keyType)}`);
        }
        try {
          await lib.C_GenerateKeyPairAsync(session, { mechanism: mech }, pub, priv);
        } catch (e) {
          throw new KeysError('BACKEND', `PKCS#11 key generation failed: ${describe(e)}`);
        }
        const ref = describeKey(hex(id));
        keyTypes.set(ref.keyId, ref.keyType);
        return ref;
      });
    },

    importKey(pkcs8Der) {
      return serial(() => {
        if (!(pkcs8Der instanceof Uint8Array)) throw new TypeError('pkcs8Der must be a Uint8Array');
        let priv;
        try {
          priv = createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
        } catch {
          throw new KeysError('KEY_MALFORMED', 'private key is not valid PKCS#8');
        }
        const keyType = keyTypeOf(priv);
        // JWK export yields strings V8 may keep until GC; the Buffers below are zeroized.
        const jwk = priv.export({ format: 'jwk' });
        const id = randomBytes(16);
        const { pub, priv: privT } = commonAttrs(id, keyType);
        const secrets: Buffer[] = [];
        const s = (v: string | undefined) => {
          const b = Buffer.from(v ?? '', 'base64url');
          secrets.push(b);
          return b;
        };
        try {
          if (keyType.startsWith('RSA')) {
            const n = Buffer.from(jwk.n ?? '', 'base64url');
            const e = Buffer.from(jwk.e ?? '', 'base64url');
            pub.push({ type: mod.CKA_MODULUS, value: n }, { type: mod.CKA_PUBLIC_EXPONENT, value: e });
            privT.push(
              { type: mod.CKA_MODULUS, value: n },
              { type: mod.CKA_PUBLIC_EXPONENT, value: e },
              { type: mod.CKA_PRIVATE_EXPONENT, value: s(jwk.d) },
              { type: mod.CKA_PRIME_1, value: s(jwk.p) },
              { type: mod.CKA_PRIME_2, value: s(jwk.q) },
              { type: mod.CKA_EXPONENT_1, value: s(jwk.dp) },
              { type: mod.CKA_EXPONENT_2, value: s(jwk.dq) },
              { type: mod.CKA_COEFFICIENT, value: s(jwk.qi) },
            );
          } else {
            const params = EC_PARAMS[keyType as 'EC_prime256v1' | 'EC_secp384r1' | 'ED25519'];
            const x = Buffer.from(jwk.x ?? '', 'base64url');
            const point = keyType === 'ED25519' ? x : Buffer.concat([Buffer.from([4]), x, Buffer.from(jwk.y ?? '', 'base64url')]);
            const octet = Buffer.concat([Buffer.from([0x04, point.length]), point]);
            pub.push({ type: mod.CKA_EC_PARAMS, value: params }, { type: mod.CKA_EC_POINT, value: octet });
            privT.push({ type: mod.CKA_EC_PARAMS, value: params }, { type: mod.CKA_VALUE, value: s(jwk.d) });
          }
          call('C_CreateObject', () => lib.C_CreateObject(session, privT));
          call('C_CreateObject', () => lib.C_CreateObject(session, pub));
        } finally {
          zeroize(...secrets);
        }
        const ref = describeKey(hex(id));
        keyTypes.set(ref.keyId, ref.keyType);
        return ref;
      });
    },

    getKey(keyId) {
      return serial(() => describeKey(keyId));
    },

    signDigest(keyId, digest, o: SignDigestOptions) {
      return serial(() => {
        const keyType = keyTypeFor(keyId);
        if (keyType === 'EC_prime256v1' || keyType === 'EC_secp384r1') {
          return ecdsaRawToDer(sign(keyId, { mechanism: mod.CKM_ECDSA }, Buffer.from(digest)));
        }
        if (keyType === 'ED25519') throw new KeysError('UNSUPPORTED_OPERATION', 'Ed25519 signs messages, not digests; use signMessage');
        if ((o.rsaPadding ?? 'pkcs1') === 'pkcs1') {
          return new Uint8Array(sign(keyId, { mechanism: mod.CKM_RSA_PKCS }, digestInfo(o.hash, digest)));
        }
        const p = PSS[o.hash];
        return new Uint8Array(
          sign(keyId, { mechanism: mod.CKM_RSA_PKCS_PSS, parameter: { type: mod.CK_PARAMS_RSA_PSS, hashAlg: p.hashAlg, mgf: p.mgf, saltLen: HASH_LENGTH[o.hash] } as Pkcs11Types.RsaPSS }, Buffer.from(digest)),
        );
      });
    },

    signMessage(keyId, message) {
      return serial(() => {
        const keyType = keyTypeFor(keyId);
        if (keyType !== 'ED25519') throw new KeysError('UNSUPPORTED_OPERATION', `signMessage is for Ed25519 keys; this key is ${keyType}`);
        return new Uint8Array(sign(keyId, { mechanism: CKM_EDDSA }, Buffer.from(message)));
      });
    },

    deleteKey(keyId) {
      return serial(() => {
        for (const h of find([{ type: mod.CKA_ID, value: idBytes(keyId) }])) call('C_DestroyObject', () => lib.C_DestroyObject(session, h));
        keyTypes.delete(keyId);
      });
    },

    close() {
      return serial(() => {
        if (closed) return;
        closed = true;
        loaded.refs--;
        if (loaded.refs === 0) {
          try {
            lib.C_Logout(session);
          } catch {
            // Best effort.
          }
        }
        try {
          lib.C_CloseSession(session);
        } catch {
          // Closing is best effort.
        }
        if (loaded.refs === 0) {
          libraries.delete(opts.libraryPath);
          try {
            if (loaded.owner) lib.C_Finalize();
            lib.close();
          } catch {
            // Finalize is best effort.
          }
        }
      });
    },
  };
}

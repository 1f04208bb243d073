import type { KeyBackend, KeyRef, SignDigestOptions, SigningKey } from './key-backend.types.js';
import { KeysError } from './errors.js';
import { checkDigest } from './signature-encoding.js';

/**
 * Wraps a backend key as the {@link SigningKey} platforms see: public facts, the chain,
 * and sign verbs. Inputs are checked here once for every backend (wrong type → TypeError,
 * wrong digest length → RangeError), so backends receive well-formed calls.
 *
 * @param backend - where the key lives
 * @param ref - the key
 * @param certificateChain - DER certificates, leaf first (empty for a bare key)
 */
export function toSigningKey(backend: KeyBackend, ref: KeyRef, certificateChain: readonly Uint8Array[] = []): SigningKey {
  const chain = Object.freeze(certificateChain.map((c) => new Uint8Array(c)));
  const spki = new Uint8Array(ref.publicKeySpki);
  return Object.freeze({
    keyType: ref.keyType,
    publicKeySpki: spki,
    certificateChain: chain,
    async signDigest(digest: Uint8Array, opts: SignDigestOptions): Promise<Uint8Array> {
      if (opts === null || typeof opts !== 'object') throw new TypeError('opts must be an object');
      checkDigest(digest, opts.hash);
      if (opts.rsaPadding !== undefined && opts.rsaPadding !== 'pkcs1' && opts.rsaPadding !== 'pss') throw new TypeError('rsaPadding must be pkcs1 or pss');
      if (ref.keyType === 'ED25519') throw new KeysError('UNSUPPORTED_OPERATION', 'Ed25519 keys sign messages, not digests; use signMessage');
      if (opts.rsaPadding === 'pss' && !ref.keyType.startsWith('RSA')) throw new KeysError('UNSUPPORTED_OPERATION', `PSS padding needs an RSA key; this key is ${ref.keyType}`);
      return backend.signDigest(ref.keyId, digest, opts);
    },
    async signMessage(message: Uint8Array): Promise<Uint8Array> {
      if (!(message instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array');
      if (ref.keyType !== 'ED25519') throw new KeysError('UNSUPPORTED_OPERATION', `signMessage is for Ed25519 keys; this key is ${ref.keyType}`);
      return backend.signMessage(ref.keyId, message);
    },
  });
}

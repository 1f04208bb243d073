import type { HashAlgorithm, KeyType } from '../../platforms/platform.types.js';

export type { HashAlgorithm, KeyType, SigningKey } from '../../platforms/platform.types.js';

/** Which backend holds a key. Recorded with each certificate so the key can be found again. */
export type KeyBackendKind = 'encrypted-file' | 'pkcs11';

/** Public facts about one private key held by a backend. Safe to store, log and return. */
export interface KeyRef {
  readonly backend: KeyBackendKind;
  /** Backend-local id (the file store: a UUID; PKCS#11: hex CKA_ID). */
  readonly keyId: string;
  readonly keyType: KeyType;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKeySpki: Uint8Array;
}

/** Options of {@link KeyBackend.signDigest}. */
export interface SignDigestOptions {
  hash: HashAlgorithm;
  /** RSA only; default `pkcs1`. */
  rsaPadding?: 'pkcs1' | 'pss';
}

/**
 * A place that holds private keys and signs with them. The private key never leaves
 * through this interface: there is no export verb.
 *
 * Every implementation passes the shared contract suite in `key-backend.contract.ts`.
 */
export interface KeyBackend {
  readonly kind: KeyBackendKind;
  /** Creates a new key inside the backend. */
  generateKey(keyType: KeyType): Promise<KeyRef>;
  /**
   * Takes a private key (PKCS#8 DER) into the backend. The caller should zeroize its copy
   * afterwards; the backend does not keep a reference to `pkcs8Der`.
   */
  importKey(pkcs8Der: Uint8Array): Promise<KeyRef>;
  /** Looks a key up; throws `KEY_NOT_FOUND` when absent. */
  getKey(keyId: string): Promise<KeyRef>;
  /** ECDSA (DER Ecdsa-Sig-Value) or RSA (PKCS#1 v1.5 / PSS) over a precomputed digest. */
  signDigest(keyId: string, digest: Uint8Array, opts: SignDigestOptions): Promise<Uint8Array>;
  /** Ed25519 over the message itself. */
  signMessage(keyId: string, message: Uint8Array): Promise<Uint8Array>;
  /** Destroys the key. Idempotent. */
  deleteKey(keyId: string): Promise<void>;
  /** Releases sessions and handles. */
  close(): Promise<void>;
}

/** What a revocation entry names: a key or certificate (hex SHA-256 fingerprint), or a signer ARN. */
export type RevocationKind = 'key' | 'certificate' | 'signer';

/**
 * Revocation state held by the device. Entries are hex SHA-256 fingerprints of a public key's
 * SubjectPublicKeyInfo (`key`) or of a certificate's DER (`certificate`), or signer identities
 * (`signer`: AWS Signer signing profile version ARNs and signing job ARNs, matched exactly).
 */
export interface RevocationList {
  /** True when the key, certificate or signer with this id must no longer be trusted. */
  isRevoked(kind: RevocationKind, id: string): boolean;
}

/** An offline revocation update, e.g. shipped inside an OTA job or on a service cable. */
export interface RevocationUpdate {
  /** Monotonic list version; an update whose version is not newer is refused. */
  readonly version: number;
  readonly keys?: readonly string[];
  readonly certificates?: readonly string[];
  /** Signing profile version ARNs or signing job ARNs (RevokeSigningProfile / RevokeSignature). */
  readonly signers?: readonly string[];
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

/**
 * In-memory revocation list that grows by offline updates. Revocations are never removed and
 * an older or replayed update is refused, so an attacker cannot un-revoke by replaying history.
 */
export class InMemoryRevocationList implements RevocationList {
  #version = 0;
  readonly #keys = new Set<string>();
  readonly #certificates = new Set<string>();
  readonly #signers = new Set<string>();

  /** The version of the newest update applied (0 = none). */
  get version(): number {
    return this.#version;
  }

  /** @inheritdoc */
  isRevoked(kind: RevocationKind, id: string): boolean {
    if (kind === 'signer') return this.#signers.has(id);
    return (kind === 'key' ? this.#keys : this.#certificates).has(id.toLowerCase());
  }

  /**
   * Applies an update; returns false (and changes nothing) when its version is not newer.
   * Throws TypeError / RangeError for malformed updates.
   */
  apply(update: RevocationUpdate): boolean {
    if (!Number.isSafeInteger(update.version) || update.version < 1) throw new RangeError('version must be a positive integer');
    const keys = (update.keys ?? []).map((k) => k.toLowerCase());
    const certificates = (update.certificates ?? []).map((c) => c.toLowerCase());
    const signers = update.signers ?? [];
    if (![...keys, ...certificates].every((f) => FINGERPRINT.test(f))) throw new TypeError('fingerprints must be 64 hex digits');
    if (!signers.every((s) => typeof s === 'string' && s.length > 0)) throw new TypeError('signer ids must be non-empty strings');
    if (update.version <= this.#version) return false;
    this.#version = update.version;
    for (const k of keys) this.#keys.add(k);
    for (const c of certificates) this.#certificates.add(c);
    for (const s of signers) this.#signers.add(s);
    return true;
  }
}

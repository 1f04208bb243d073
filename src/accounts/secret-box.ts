import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) of small secrets under a purpose-bound key derived
 * from the server's master key with HKDF, so access-key secrets and private keys never share a key.
 */
export class SecretBox {
  private readonly key: Buffer;
  constructor(masterKey: Uint8Array, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `iot-signer/${purpose}/v1`, 32));
  }

  /** nonce(12) ‖ tag(16) ‖ ciphertext; `aad` binds the sealed value to its record. */
  seal(plaintext: string, aad: string): Uint8Array {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return new Uint8Array(Buffer.concat([nonce, c.getAuthTag(), ct]));
  }

  open(sealed: Uint8Array, aad: string): string {
    const b = Buffer.from(sealed);
    const d = createDecipheriv('aes-256-gcm', this.key, b.subarray(0, 12));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(b.subarray(12, 28));
    return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
  }
}

/** A purpose-bound 32-byte key derived from the master key (e.g. for MACs). */
export function deriveKey(masterKey: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, Buffer.alloc(0), `iot-signer/${purpose}/v1`, 32));
}

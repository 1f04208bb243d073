import { sha256 } from '@noble/hashes/sha2.js';
import type { PublicKey } from '../public-key.js';
import { reversed } from '../bytes.js';
import { ESP32 } from './esp32-constants.js';

function littleEndian(x: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** The key material bytes an ESP32 signature block carries for `key`, or undefined if ESP32 cannot use it. */
export function esp32KeyMaterial(key: PublicKey): Uint8Array | undefined {
  if (key.kind === 'ecdsa-p256' || key.kind === 'ecdsa-p384') {
    const coordinate = (key.point.length - 1) / 2;
    const out = new Uint8Array(1 + 2 * coordinate);
    out[0] = key.kind === 'ecdsa-p256' ? ESP32.CURVE_P256 : ESP32.CURVE_P384;
    out.set(reversed(key.point.subarray(1, 1 + coordinate)), 1);
    out.set(reversed(key.point.subarray(1 + coordinate)), 1 + coordinate);
    return out;
  }
  if (key.kind === 'rsa' && key.rsa.bits === 8 * ESP32.RSA_MODULUS_BYTES) {
    const { n, e } = key.rsa;
    const bytes = ESP32.RSA_MODULUS_BYTES;
    // R = 2^(2·3072) mod n and M' = −n⁻¹ mod 2³² are the Montgomery constants the ROM uses.
    const r = (1n << BigInt(2 * 8 * bytes)) % n;
    const mPrime = (1n << 32n) - modInverse32(n);
    const out = new Uint8Array(ESP32.RSA_KEY_END - ESP32.RSA_KEY_OFFSET);
    out.set(littleEndian(n, bytes), 0);
    out.set(littleEndian(e, 4), bytes);
    out.set(littleEndian(r, bytes), bytes + 4);
    out.set(littleEndian(mPrime, 4), 2 * bytes + 4);
    return out;
  }
  return undefined;
}

/** n⁻¹ mod 2³² for odd n (Newton iteration). */
function modInverse32(n: bigint): bigint {
  const mod = 1n << 32n;
  let x = 1n;
  for (let i = 0; i < 5; i++) x = (x * (2n - ((n * x) % mod) + mod)) % mod;
  return x;
}

/**
 * The eFuse digest ESP32 Secure Boot V2 stores for `key` (espsecure `digest-sbv2-public-key`):
 * SHA-256 of the block's key material. Undefined for keys ESP32 cannot use.
 */
export function esp32KeyDigest(key: PublicKey): Uint8Array | undefined {
  const material = esp32KeyMaterial(key);
  return material === undefined ? undefined : sha256(material);
}

import type { ReasonCode } from './reason-codes.js';

/** Image formats this verifier understands. */
export type FormatId = 'mcuboot' | 'esp32-sbv2' | 'freertos' | 'cc3220sf' | 'notation' | 'lambda-zip';

/** What a successful verification established about the image. */
export interface VerifyInfo {
  readonly format: FormatId;
  /** Total bytes fed to the verifier. */
  readonly size: number;
  /** Hex digest the signature covers (MCUboot hash TLV, ESP32 image digest, FreeRTOS file hash, Notation artifact digest). */
  readonly digest: string;
  /** Hex SHA-256 of the SubjectPublicKeyInfo (DER) of the key that verified the signature. */
  readonly keyId: string;
  /** MCUboot image version `major.minor.revision+build`. */
  readonly version?: string;
  /** MCUboot SEC_CNT or ESP32 `secure_version`, when present. */
  readonly securityCounter?: number;
  /** Index of the ESP32 signature block (0..2) that verified. */
  readonly block?: number;
  /** Hex SHA-256 of the signer certificate (DER), for certificate-based formats. */
  readonly certificate?: string;
  /** lambda-zip: what the AWS Signer signed attributes say (covered by the verified signature). */
  readonly signer?: { readonly jobArn: string; readonly profileVersionArn: string; readonly signingTime: Date; readonly expiresAt: Date };
  /** lambda-zip: the DER certificates the package carries, in package order. */
  readonly certificates?: readonly Uint8Array[];
}

/**
 * The outcome of a verification: success with what was learnt, or the first check that failed.
 * `detail` is a short human hint and never carries key bytes or payload.
 */
export type VerifyResult =
  | { readonly ok: true; readonly info: VerifyInfo }
  | { readonly ok: false; readonly reason: ReasonCode; readonly detail: string };

/**
 * The contract between the signing server and one signing platform (`platforms/<id>/`).
 *
 * A platform folder holds `descriptor.json` (what GetSigningPlatform returns, plus the
 * server-side extras below) and `index.ts`, whose default export is a {@link PlatformModule}.
 * Platforms never import from `src/`: the server hands them a {@link SigningKey}.
 */

/** Hash names as the Signer API spells them (the model's enum is open: SHA384 is used live). */
export type HashAlgorithm = 'SHA1' | 'SHA256' | 'SHA384' | 'SHA512';
/** Encryption (signature) algorithm names as the Signer API spells them, plus our extra ones. */
export type EncryptionAlgorithm = 'ECDSA' | 'RSA' | 'ED25519';
/** Signed-object formats as the Signer API spells them, plus formats of non-AWS platforms. */
export type ImageFormat = string;

/** What GetSigningPlatform / ListSigningPlatforms return for a platform (the model's SigningPlatform shape). */
export interface PlatformDescriptor {
  platformId: string;
  displayName: string;
  partner: string;
  target: string;
  category: string;
  signingConfiguration: {
    encryptionAlgorithmOptions: { allowedValues: string[]; defaultValue: string };
    hashAlgorithmOptions: { allowedValues: string[]; defaultValue: string };
  };
  signingImageFormat: { supportedFormats: string[]; defaultFormat: string };
  maxSizeInMB: number;
  revocationSupported: boolean;
}

/** Server-side facts about a platform that the API does not return. */
export interface PlatformExtras {
  /** PutSigningProfile must carry `signingMaterial.certificateArn`. */
  requiresCertificate: boolean;
  /** Actions AddProfilePermission may grant on a profile of this platform. */
  allowedPermissionActions: string[];
  /** SignPayload is allowed for this platform (true for Notation). */
  supportsSignPayload: boolean;
  /** StartSigningJob is allowed for this platform (false for Notation). */
  supportsSigningJobs: boolean;
  /** signingParameters keys this platform understands; others are rejected. Empty = any. */
  signingParameters?: Record<string, { description: string; pattern?: string; default?: string }>;
  /**
   * Key types the platform accepts, per encryption algorithm (`ECDSA` → `['EC_prime256v1']`, …).
   * The platform rejects other keys at signing time; the server may also check it when a profile is created.
   * Absent = the platform does not restrict key types.
   */
  keyTypes?: Partial<Record<string, KeyType[]>>;
}

/** Contents of `platforms/<id>/descriptor.json`. */
export interface PlatformDescriptorFile extends PlatformDescriptor {
  extras: PlatformExtras;
}

/** Key types a signing key can have. */
export type KeyType = 'EC_prime256v1' | 'EC_secp384r1' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'ED25519';

/**
 * A private key held by the server (encrypted file store or PKCS#11 token).
 * The private key material is never visible here: only sign operations.
 */
export interface SigningKey {
  readonly keyType: KeyType;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKeySpki: Uint8Array;
  /** The certificate chain, leaf first, DER (empty when the key has no certificate). */
  readonly certificateChain: readonly Uint8Array[];
  /**
   * Signs a digest the caller already computed with `hash`.
   * ECDSA: returns a DER `Ecdsa-Sig-Value`. RSA `pkcs1`: EMSA-PKCS1-v1_5 with DigestInfo.
   * RSA `pss`: MGF1 with the same hash, salt length = hash length.
   */
  signDigest(digest: Uint8Array, opts: { hash: HashAlgorithm; rsaPadding?: 'pkcs1' | 'pss' }): Promise<Uint8Array>;
  /** Ed25519 (pure): signs `message` itself. Throws for other key types. */
  signMessage(message: Uint8Array): Promise<Uint8Array>;
}

/** Everything a platform needs to sign one job. */
export interface SignRequest {
  /** Opens the source object from the start; may be called more than once (two-pass formats). */
  openSource(): AsyncIterable<Uint8Array>;
  sourceSize: number;
  /** Source object key (e.g. to keep its extension). */
  sourceKey: string;
  key: SigningKey;
  encryptionAlgorithm: string;
  hashAlgorithm: HashAlgorithm;
  imageFormat: ImageFormat;
  signingParameters: Readonly<Record<string, string>>;
  job: {
    jobId: string;
    jobArn: string;
    profileName: string;
    profileVersion: string;
    profileVersionArn: string;
    platformId: string;
    createdAt: Date;
    signatureExpiresAt: Date;
  };
}

/** The signed object a platform produces. */
export interface SignedArtifact {
  /** Appended to `prefix + jobId` for the destination key ('' or e.g. '.zip'). */
  extension: string;
  contentType: string;
  /** Streams the signed object; called once by the writer. */
  body(): AsyncIterable<Uint8Array>;
  /** The raw signature (e.g. what an OTA job document carries base64), DER for ECDSA. */
  rawSignature: Uint8Array;
}

export interface SignPayloadRequest {
  payload: Uint8Array;
  payloadFormat: string;
  key: SigningKey;
  job: SignRequest['job'];
}

export interface SignPayloadResult {
  signature: Uint8Array;
  metadata: Record<string, string>;
}

/** Default export of `platforms/<id>/index.ts`. */
export interface PlatformModule {
  sign(request: SignRequest): Promise<SignedArtifact>;
  signPayload?(request: SignPayloadRequest): Promise<SignPayloadResult>;
}

/** A platform refuses the input (bad zip, oversize, …): the job fails with this statusReason. */
export class PlatformInputError extends Error {
  override readonly name = 'PlatformInputError';
}
